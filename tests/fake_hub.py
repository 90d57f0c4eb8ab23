"""A fake Hugging Face Hub on loopback, for the tokenizer download tests (HF_ENDPOINT points at it).

It answers what huggingface_hub 2.4's `hf_hub_download` asks (read in its file_download.py,
`get_hf_file_metadata` and `_hf_hub_download_to_cache_dir`): `HEAD|GET /{repo}/resolve/{revision}/{file}`
with `X-Repo-Commit` (the commit the cache's snapshot folder is named after), a quoted `ETag` (the
blob's name in the cache) and `Content-Length`; errors carry `X-Error-Code` as the Hub's do
(`GatedRepo`, `RepoNotFound`, `EntryNotFound`: utils/_http.py `hf_raise_for_status` sorts them
by it). `/api/models/{repo}` answers too, so that a test sees it if anything asks for it. Every
request is recorded (method, path, the Authorization header) for the tests to inspect.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from dataclasses import dataclass, field


@dataclass
class Request:
    method: str
    path: str
    authorization: str | None


@dataclass
class FakeHub:
    repos: dict[str, dict[str, bytes]] = field(default_factory=dict)  # repo id → file name → content
    gated: dict[str, int] = field(default_factory=dict)  # repo id → the status it answers (401, 403)
    gated_code: str | None = "GatedRepo"  # X-Error-Code of a gated answer (None: a bare 401/403)
    commit: str = "0123456789abcdef0123456789abcdef01234567"
    requests: list[Request] = field(default_factory=list)

    def start(self) -> str:
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_HEAD(self):
                hub._answer(self, body=False)

            def do_GET(self):
                hub._answer(self, body=True)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        """Stop serving (again: no-op); the port is then closed, as a Hub that is gone."""
        server, self._server = getattr(self, "_server", None), None
        if server is not None:
            server.shutdown()
            server.server_close()

    def _answer(self, handler, body: bool) -> None:
        self.requests.append(Request(handler.command, handler.path, handler.headers.get("Authorization")))
        path = handler.path.split("?")[0]
        if path.startswith("/api/models/"):
            repo = path[len("/api/models/"):]
            return self._send(handler, 200, json.dumps({"id": repo, "sha": self.commit}).encode(), body)
        repo, sep, rest = path.lstrip("/").partition("/resolve/")
        if not sep:
            return self._send(handler, 404, b"not found", body)
        _revision, _, filename = rest.partition("/")
        if repo in self.gated:
            headers = {"X-Error-Message": f"Access to model {repo} is restricted. You must have access to it and be "
                                          "authenticated to access it. Please log in."}
            if self.gated_code:
                headers["X-Error-Code"] = self.gated_code
            return self._send(handler, self.gated[repo], b"gated", body, headers)
        if repo not in self.repos:
            return self._send(handler, 404, b"no repo", body, {"X-Error-Code": "RepoNotFound"})
        files = self.repos[repo]
        if filename not in files:
            return self._send(handler, 404, b"no entry", body,
                              {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": self.commit})
        data = files[filename]
        etag = hashlib.sha256(data).hexdigest()
        self._send(handler, 200, data, body, {"ETag": f'"{etag}"', "X-Repo-Commit": self.commit})

    @staticmethod
    def _send(handler, status: int, data: bytes, body: bool, headers: dict[str, str] | None = None) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if body:
            handler.wfile.write(data)
