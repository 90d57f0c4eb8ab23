"""A fake Microsoft Entra ID token source on loopback HTTP: the managed-identity endpoint
that Azure App Service gives its apps (IDENTITY_ENDPOINT + IDENTITY_HEADER), which
azure-identity's DefaultAzureCredential really calls. So the Entra path runs through the
real azure-identity code, and no test patches it.

    with FakeEntra() as entra:
        monkeypatch.setenv(...entra.environment())   # or the `fake_entra` fixture

`token_for(scope)` is the token handed out for a scope ("https://ai.azure.com" for the
data plane, the management endpoint for deployments); tests compare it with what the
fake OpenAI and the fake management API received, and check no output shows it.
`expire()` makes every later token already expired; `refuse(message)` makes the endpoint
answer 400 as Entra does for an identity without access."""

from __future__ import annotations

import http.server
import threading
import time
from urllib.parse import parse_qs, urlparse

from helpers import answer_json

SENTINEL_TOKEN_PREFIX = "eyJ0eXAi-ENTRA-SENTINEL-"
IDENTITY_HEADER = "fake-identity-header"


class FakeEntra:
    def __init__(self) -> None:
        self.requests: list[str] = []  # the resources asked for
        self._expired = False
        self._refusal: str | None = None
        self._lock = threading.Lock()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                query = parse_qs(urlparse(self.path).query)
                resource = (query.get("resource") or [""])[0]
                with fake._lock:
                    fake.requests.append(resource)
                    refusal, expired = fake._refusal, fake._expired
                if self.headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER:
                    return self._answer(401, {"error": "invalid_request", "error_description": "no identity header"})
                if refusal:
                    return self._answer(400, {"error": "invalid_request", "error_description": refusal})
                expires = int(time.time()) + (-60 if expired else 3600)
                self._answer(200, {"access_token": fake.token_for(resource), "expires_on": str(expires),
                                   "resource": resource, "token_type": "Bearer"})

            def _answer(self, status: int, body: dict) -> None:
                answer_json(self, status, body)

            def log_message(self, *args) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @staticmethod
    def token_for(resource_or_scope: str) -> str:
        resource = resource_or_scope.removesuffix("/.default").rstrip("/")
        name = "".join(c if c.isalnum() else "-" for c in resource.split("://", 1)[-1])
        return f"{SENTINEL_TOKEN_PREFIX}{name}"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/msi/token"

    def environment(self) -> dict[str, str]:
        """What makes DefaultAzureCredential use this endpoint (and nothing else first)."""
        return {"IDENTITY_ENDPOINT": self.endpoint, "IDENTITY_HEADER": IDENTITY_HEADER}

    def expire(self) -> None:
        with self._lock:
            self._expired = True

    def refuse(self, message: str) -> None:
        with self._lock:
            self._refusal = message

    def __enter__(self) -> FakeEntra:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
