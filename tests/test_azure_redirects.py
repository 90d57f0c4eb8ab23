"""A redirect from the Azure endpoint is not followed: the key travels in an `api-key`
header as well as the bearer on Azure's v1 API, and httpx drops only `Authorization` when
a redirect leads to another host; a followed redirect would hand the key to that host."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading

from fake_openai import SENTINEL_KEY
from helpers import answer_json


class _Recording(http.server.BaseHTTPRequestHandler):
    seen: list = []
    location = ""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        type(self).seen.append(dict(self.headers))
        if type(self).location:
            answer_json(self, 307, {}, {"Location": type(self).location + self.path})
        else:
            answer_json(self, 200, {"object": "list", "data": []})

    def log_message(self, *args) -> None:
        pass


def _serve(handler: type) -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_redirect_to_another_host_gets_neither_the_key_nor_a_request(tmp_path):
    elsewhere_handler = type("Elsewhere", (_Recording,), {"seen": [], "location": ""})
    elsewhere = _serve(elsewhere_handler)
    endpoint_handler = type("Endpoint", (_Recording,), {
        "seen": [], "location": f"http://localhost:{elsewhere.server_address[1]}"})
    endpoint = _serve(endpoint_handler)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_OPENAI_"))}
        env["AZURE_OPENAI_API_KEY"] = SENTINEL_KEY
        done = subprocess.run([sys.executable, "-m", "finetune_ls", "files", "list", "--provider", "azure",
                               "--azure-endpoint", f"http://127.0.0.1:{endpoint.server_address[1]}",
                               "--max-retries", "0", "--timeout", "10"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
    finally:
        endpoint.shutdown()
        elsewhere.shutdown()
    assert endpoint_handler.seen, "the command never reached the endpoint"
    assert elsewhere_handler.seen == []  # not followed: the other host saw nothing, the key least of all
    assert done.returncode == 1 and "307" in done.stderr and SENTINEL_KEY not in done.stdout + done.stderr
