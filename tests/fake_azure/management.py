"""A stateful fake of Azure's management API (ARM) for the deployments of one Azure OpenAI
resource, on loopback HTTP:

    PUT/GET/DELETE /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices
                   /accounts/{account}/deployments/{name}?api-version=...
    GET            .../deployments
    GET            /operations/{id}   (the Azure-AsyncOperation of a create)

A created deployment is "Creating" for `creating_gets` GETs, then "Succeeded": from then
on the fake OpenAI it was given (`openai`) answers inference to the deployment's name as
the model it serves (tests/fake_openai/deployments.py). The bearer token must be the fake
Entra's token for the management scope. Faults, as ARM answers them: `refuse_next_put`
(InsufficientQuota and the like), `unsupported` models (the region does not offer them),
`fail_provisioning` (the deployment ends Failed), `expire_tokens` (401
ExpiredAuthenticationToken), `lose_next_put` (carried out, but no answer: the connection
drops), `delete_accepted` (a DELETE answers 202 and the name lingers "Deleting")."""

from __future__ import annotations

import http.server
import itertools
import json
import re
import socketserver
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from fake_entra import FakeEntra

API_VERSION = "2026-07-01"
_DEPLOYMENT = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
                         r"Microsoft\.CognitiveServices/accounts/(?P<account>[^/]+)/deployments(?:/(?P<name>[^/]+))?$")
_OPERATION = re.compile(r"^/operations/(?P<id>[^/]+)$")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    json: Any
    authorized: bool  # the bearer token was the management scope's (the token itself is not kept)
    status: int | None = None


@dataclass
class _Deployment:
    body: dict
    gets_left: int  # GETs still answered "Creating" (or "Deleting")
    fails_with: str | None = None  # the provisioning error it ends with
    operation: str | None = None


@dataclass
class _Faults:
    put_refusals: list[tuple[int, str, str]] = field(default_factory=list)
    lose_puts: int = 0
    unsupported: dict[str, str] = field(default_factory=dict)  # model -> region named in the refusal
    provisioning_failure: str | None = None
    expired: bool = False
    delete_accepted: bool = False


class FakeManagement:
    def __init__(self, openai=None, *, subscription: str = "00000000-1111-2222-3333-444444444444",
                 resource_group: str = "rg-finetune", account: str = "aoai-finetune", creating_gets: int = 2,
                 region: str = "swedencentral") -> None:
        self.openai = openai  # a FakeOpenAI whose inference learns of the serving deployments
        self.subscription, self.resource_group, self.account = subscription, resource_group, account
        self.creating_gets, self.region = creating_gets, region
        self.deployments: dict[str, _Deployment] = {}
        self.operations: dict[str, dict] = {}
        self.requests: list[Recorded] = []
        self.server_errors: list[str] = []
        self.faults = _Faults()
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    # -- lifecycle ---------------------------------------------------------------
    def __enter__(self) -> FakeManagement:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def expected_token(self) -> str:
        return FakeEntra.token_for(f"{self.endpoint}/.default")

    def resource_args(self) -> list[str]:
        """The CLI flags naming this resource."""
        return ["--subscription", self.subscription, "--resource-group", self.resource_group,
                "--account", self.account, "--management-endpoint", self.endpoint]

    def settings(self) -> dict:
        """The editor settings naming this resource."""
        return {"azureSubscription": self.subscription, "azureResourceGroup": self.resource_group,
                "azureAccount": self.account, "azureManagementEndpoint": self.endpoint}

    # -- faults --------------------------------------------------------------------
    def refuse_next_put(self, status: int = 400, code: str = "InsufficientQuota", message: str | None = None) -> None:
        with self._lock:
            self.faults.put_refusals.append((status, code, message or (
                "This operation require 1 new capacity in quota Tokens Per Minute (thousands) - gpt-4.1-mini "
                "finetune, which is bigger than the current available capacity 0.")))

    def unsupported(self, model: str) -> None:
        with self._lock:
            self.faults.unsupported[model] = self.region

    def fail_provisioning(self, message: str = "The fine-tuned model could not be loaded.") -> None:
        with self._lock:
            self.faults.provisioning_failure = message

    def expire_tokens(self) -> None:
        with self._lock:
            self.faults.expired = True

    def lose_next_put(self) -> None:
        with self._lock:
            self.faults.lose_puts += 1

    def delete_accepted(self) -> None:
        with self._lock:
            self.faults.delete_accepted = True

    # -- observation -------------------------------------------------------------------
    def state_of(self, name: str) -> str | None:
        with self._lock:
            found = self.deployments.get(name)
            return found.body["properties"]["provisioningState"] if found else None

    def requests_to(self, method: str) -> list[Recorded]:
        return [r for r in list(self.requests) if r.method == method]

    # -- answering -----------------------------------------------------------------------
    def answer(self, method: str, path: str, query: dict, headers: dict, body: bytes) -> tuple[int, dict, Any] | None:
        """(status, headers, JSON body), or None for no answer at all."""
        try:
            value = json.loads(body) if body else None
        except ValueError:
            value = None
        token = headers.get("authorization", "").removeprefix("Bearer ")
        record = Recorded(method, path, query, value, token == self.expected_token)
        self.requests.append(record)
        with self._lock:
            result = self._route(method, path, query, value, record.authorized)
        record.status = result[0] if result else None
        return result

    def _route(self, method, path, query, body, authorized):
        if self.faults.expired:
            return _error(401, "ExpiredAuthenticationToken", "The access token expiry UTC time is earlier than "
                                                              "current UTC time.")
        if not authorized:
            return _error(401, "InvalidAuthenticationToken", "The access token is invalid.")
        operation = _OPERATION.match(path)
        if operation and method == "GET":
            found = self.operations.get(operation["id"])
            return (200, {}, found) if found else _error(404, "NotFound", "No such operation.")
        match = _DEPLOYMENT.match(path)
        if match is None:
            return _error(404, "InvalidResourceType", f"The resource type could not be found ({method} {path}).")
        if query.get("api-version") != [API_VERSION]:
            return _error(400, "InvalidApiVersionParameter", "The api-version is missing or not supported.")
        names = {key: unquote(value) for key, value in match.groupdict().items() if value}
        if (names["sub"], names["rg"], names["account"]) != (self.subscription, self.resource_group, self.account):
            return _error(404, "ResourceNotFound", f"The Resource 'Microsoft.CognitiveServices/accounts/"
                                                   f"{names['account']}' under resource group '{names['rg']}' "
                                                   "was not found.")
        name = names.get("name")
        if name is None:
            if method != "GET":
                return _error(405, "MethodNotAllowed", "Only GET lists deployments.")
            return 200, {}, {"value": [json.loads(json.dumps(known.body)) for known in self.deployments.values()]}
        if method == "PUT":
            return self._put(path, name, body)
        if method == "GET":
            return self._get(name)
        if method == "DELETE":
            return self._delete(name)
        return _error(405, "MethodNotAllowed", f"{method} is not served by this fake.")

    def _put(self, path: str, name: str, body: Any):
        sku = body.get("sku") if isinstance(body, dict) else None
        model = ((body or {}).get("properties") or {}).get("model") if isinstance(body, dict) else None
        if not isinstance(sku, dict) or not isinstance(sku.get("name"), str) or \
                not isinstance(model, dict) or not isinstance(model.get("name"), str):
            return _error(400, "InvalidRequestContent", "The request content was invalid: sku.name and "
                                                        "properties.model.name are required.")
        if self.faults.put_refusals:
            return _error(*self.faults.put_refusals.pop(0))
        if model["name"] in self.faults.unsupported:
            return _error(400, "DeploymentModelNotSupported",
                          f"The model '{model['name']}' is not supported for SKU '{sku['name']}' in region "
                          f"'{self.faults.unsupported[model['name']]}'.")
        operation = f"op-{next(self._ids):04d}"
        existed = name in self.deployments
        self.deployments[name] = _Deployment(
            {"id": path, "name": name, "type": "Microsoft.CognitiveServices/accounts/deployments",
             "sku": dict(sku), "systemData": {"createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
             "properties": {"model": dict(model), "provisioningState": "Creating"}},
            self.creating_gets, self.faults.provisioning_failure, operation)
        self.operations[operation] = {"id": operation, "name": operation, "status": "InProgress"}
        answer = (200 if existed else 201, {"Azure-AsyncOperation": f"{self.endpoint}/operations/{operation}"
                                            f"?api-version={API_VERSION}", "Retry-After": "0"},
                  json.loads(json.dumps(self.deployments[name].body)))
        if self.faults.lose_puts:
            self.faults.lose_puts -= 1
            return None  # carried out, never answered
        return answer

    def _get(self, name: str):
        found = self.deployments.get(name)
        if found is None:
            return _error(404, "DeploymentNotFound", f"The deployment '{name}' was not found.")
        properties = found.body["properties"]
        if found.gets_left > 0:
            found.gets_left -= 1
        elif properties["provisioningState"] == "Creating":
            self._settle(name, found)
        elif properties["provisioningState"] == "Deleting":
            self._remove(name)
            return _error(404, "DeploymentNotFound", f"The deployment '{name}' was not found.")
        return 200, {"Retry-After": "0"}, json.loads(json.dumps(found.body))

    def _settle(self, name: str, found: _Deployment) -> None:
        properties = found.body["properties"]
        if found.fails_with:
            properties["provisioningState"] = "Failed"
            self.operations[found.operation] = {"id": found.operation, "name": found.operation, "status": "Failed",
                                                "error": {"code": "DeploymentFailed", "message": found.fails_with}}
            return
        properties["provisioningState"] = "Succeeded"
        properties["deploymentState"] = "Running"
        self.operations[found.operation] = {"id": found.operation, "name": found.operation, "status": "Succeeded"}
        if self.openai is not None:
            with self.openai.state.lock:
                self.openai.state.deployments[name] = properties["model"]["name"]

    def _delete(self, name: str):
        found = self.deployments.get(name)
        if found is None:
            return 204, {}, None
        if self.faults.delete_accepted:
            found.body["properties"]["provisioningState"] = "Deleting"
            found.gets_left = self.creating_gets
            return 202, {"Retry-After": "0"}, None
        self._remove(name)
        return 200, {}, None

    def _remove(self, name: str) -> None:
        self.deployments.pop(name, None)
        if self.openai is not None:
            with self.openai.state.lock:
                self.openai.state.deployments.pop(name, None)


def _error(status: int, code: str, message: str):
    return status, {}, {"error": {"code": code, "message": message}}


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeManagement) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:  # no host-name lookup (see fake_openai/http_handler.py)
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            result = self.server.fake.answer(self.command, url.path, parse_qs(url.query), headers, body)
        except Exception as error:  # noqa: BLE001 - the fake's own bug: kept for the test, answered 500
            self.server.fake.server_errors.append(f"{type(error).__name__}: {error}")
            result = _error(500, "InternalServerError", "The fake failed.")
        if result is None:
            self.close_connection = True
            return
        status, extra, value = result
        payload = json.dumps(value).encode() if value is not None else b""
        self.send_response(status)
        if payload:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, header in extra.items():
            self.send_header(name, header)
        self.end_headers()
        self.wfile.write(payload)

    do_PUT = do_DELETE = do_POST = do_PATCH = do_GET

    def log_message(self, *args) -> None:
        pass
