"""steady, the spec-driven OpenAPI mock server, run for contract tests.

steady answers range and length violations (E4xxx) and union mismatches (E3012) with a
200, so a test only learns of them from the `x-steady-error-*` response headers or from
the JSON log, where each request line carries its `diagnostics` list:

    {"type":"request","id":"…","timestamp":"…",
     "request":{"method":"POST","path":"/v1/fine_tuning/jobs","pathPattern":"/v1/fine_tuning/jobs"},
     "response":{"status":200,"statusText":"OK","timing":2},
     "diagnostics":[{"code":"E4003","severity":"info","category":"content-note",
                     "requestPath":"body.suffix","message":"String length violation",
                     "expected":64,"actual":80,…}]}

The log is the one source that also covers requests made by other processes (a
language-server subprocess), so the "no diagnostic" assertion reads it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx2

# Without these the SDK's nested query and form fields (files.create(expires_after=...))
# are refused: the SDK writes them as a[]=x and a[b]=y.
BRACKET_FLAGS = (
    "--validator-query-array-format=brackets",
    "--validator-form-array-format=brackets",
    "--validator-query-object-format=brackets",
    "--validator-form-object-format=brackets",
)
# A path outside the spec: steady logs it (as a 404), which lets us tell when the log
# has caught up; its lines are left out of what the tests see.
BARRIER_PREFIX = "/_finetune-ls-log-barrier/"


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str  # with the query string, as steady logged it
    status: int
    diagnostics: tuple[dict, ...]

    def describe(self) -> str:
        lines = [f"{self.method} {self.path} -> {self.status}"]
        lines += [f"  {describe_diagnostic(d)}" for d in self.diagnostics]
        return "\n".join(lines)


def describe_diagnostic(d: dict) -> str:
    where = d.get("requestPath") or d.get("path") or "?"
    text = f"{d.get('code')} ({d.get('severity', '?')}) at {where}: {d.get('message')}"
    if "expected" in d or "actual" in d:
        text += f" (expected {d.get('expected')!r}, got {d.get('actual')!r})"
    return text


def header_diagnostics(response: httpx2.Response) -> list[dict]:
    """The diagnostics steady put in a response's x-steady-error-N-* headers."""
    count = int(response.headers.get("x-steady-error-count", "0"))
    return [
        {field: response.headers.get(f"x-steady-error-{n}-{field}") for field in ("code", "path", "message")}
        for n in range(1, count + 1)
    ]


class HeaderRecorder:
    """An httpx response hook keeping every response that carried diagnostics in its headers."""

    def __init__(self) -> None:
        self.diagnosed: list[LoggedRequest] = []

    def __call__(self, response: httpx2.Response) -> None:
        found = header_diagnostics(response)
        if found:
            url = response.request.url
            path = url.raw_path.decode()
            self.diagnosed.append(LoggedRequest(response.request.method, path, response.status_code, tuple(found)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Steady:
    def __init__(self, binary: Path, spec: Path, log_path: Path) -> None:
        self.binary, self.spec, self.log_path = binary, spec, log_path
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.startup_seconds = 0.0

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def start(self, timeout: float = 30.0) -> Steady:
        # The free port may be taken between our probe and steady's bind: try another.
        for _ in range(3):
            self.port = free_port()
            began = time.monotonic()
            with open(self.log_path, "ab") as log:
                # A session of its own so that stop() also ends the native binary that
                # the npm wrapper (node) spawns.
                self.process = subprocess.Popen(
                    [str(self.binary), "--host", "127.0.0.1", "-p", str(self.port), *BRACKET_FLAGS,
                     "--log-format=json", str(self.spec)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                )
            if self._wait_healthy(timeout):
                self.startup_seconds = time.monotonic() - began
                return self
            self.stop()
        raise RuntimeError(f"steady did not start; its log ends with:\n{self._log_tail()}")

    def _wait_healthy(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if httpx2.get(f"{self.root_url}/_x-steady/health", timeout=1).status_code == 200:
                    return True
            except httpx2.TransportError:
                pass
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.process is None:
            return
        # The node wrapper traps SIGTERM and lingers, and steady keeps no state worth
        # flushing, so the whole group is killed outright.
        group = self.process.pid
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        self.process = None
        # The native binary is not our child: wait until it too has gone from the group.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)

    def __enter__(self) -> Steady:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def requests(self) -> list[LoggedRequest]:
        """Every request steady has logged so far (health checks are not logged)."""
        self._sync_log()
        return [r for r in self._read_log() if not r.path.startswith(BARRIER_PREFIX)]

    def mark(self) -> int:
        """A position in the log, for diagnosed(since=...) on a server shared by many tests."""
        return len(self.requests())

    def diagnosed(self, since: int = 0) -> list[LoggedRequest]:
        return [r for r in self.requests()[since:] if r.diagnostics]

    def assert_no_diagnostics(self, since: int = 0) -> None:
        seen = self.requests()[since:]
        bad = [r for r in seen if r.diagnostics]
        if bad:
            raise AssertionError(
                f"steady reported diagnostics for {len(bad)} of {len(seen)} requests (log: {self.log_path}):\n"
                + "\n".join(r.describe() for r in bad)
            )

    def _sync_log(self, timeout: float = 10.0) -> None:
        # A log line may be written just after its response reaches the client; steady
        # handles requests in order on one event loop, so once a later request's line is
        # in the file, so are the lines of every request answered before it.
        barrier = f"{BARRIER_PREFIX}{uuid.uuid4().hex}"
        httpx2.get(f"{self.root_url}{barrier}", timeout=5)
        deadline = time.monotonic() + timeout
        while not any(r.path == barrier for r in self._read_log()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"steady did not log request {barrier} within {timeout}s ({self.log_path})")
            time.sleep(0.02)

    def _read_log(self) -> list[LoggedRequest]:
        found = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a partly written last line, or a plain-text message
            if isinstance(entry, dict) and entry.get("type") == "request":
                request = entry["request"]
                found.append(LoggedRequest(
                    request["method"], request["path"] + request.get("query", ""),
                    entry["response"]["status"], tuple(entry.get("diagnostics", ())),
                ))
        return found

    def _log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"
