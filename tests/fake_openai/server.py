"""FakeOpenAI: a stateful OpenAI API on loopback HTTP, driven by the test.

Real HTTP (not an httpx mock transport) so that a language-server
subprocess can reach it as well as the test's own client. The test moves
jobs on with `advance`/`fail`, schedules faults with `fail_next`/`delay_next`
(and `answer_next`, `hold_next`, `land_late_next`: a malformed answer, a call held
until the test lets it go, a create that lands after the client gave up) and reads
back `requests` (credentials removed).
"""

from __future__ import annotations

import itertools
import threading
import traceback
from collections.abc import Collection, Mapping
from typing import Any

from . import azure, files_api, job_lifecycle, jobs_api, models_api, uploads_api
from .errors import ApiError, default_error_body
from .faults import FaultPlan, RouteMatcher
from .http_handler import LoopbackServer
from .recording import RecordedFile, RecordedRequest, bearer_token, redact_headers, scrub
from .routing import Request, Response, Router
from .state import DEFAULT_ANSWER, DEFAULT_BASE_MODELS, FakeState, snapshot

SENTINEL_KEY = "sk-test-SENTINEL-0123456789"

_MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from "
    "https://platform.openai.com/account/api-keys."
)


def _build_router() -> Router:
    router = Router()
    for api in (files_api, uploads_api, jobs_api, models_api, azure):
        api.register(router)
    return router


class FakeOpenAI:
    """Start with `with FakeOpenAI() as fake:` (or the `fake_openai` fixture) and point
    `openai.OpenAI(base_url=fake.base_url, api_key=SENTINEL_KEY)` at it.

    Keys: `api_keys` plus, unless `accept_any_sk_key=False`, anything starting "sk-".
    Azure (tests/fake_openai/azure.py): `AzureOpenAI(azure_endpoint=fake.root_url, ...)` or
    `OpenAI(base_url=fake.azure_v1_url)`; Entra ID tokens in `entra_tokens` (or handed over
    with accept_entra_token) are accepted as bearers, until expire_entra_token.
    `file_processing_retrieves`: retrieves that still see a new file as "uploaded".
    `training_steps`: metrics events (and advances) a job spends running.
    """

    def __init__(
        self,
        *,
        api_keys: Collection[str] = (SENTINEL_KEY,),
        accept_any_sk_key: bool = True,
        base_models: Mapping[str, str | None] = DEFAULT_BASE_MODELS,
        organization: str = "fake-org",
        file_processing_retrieves: int = 0,
        training_steps: int = 3,
        auto_advance: bool = False,
        default_answer: str = DEFAULT_ANSWER,
        entra_tokens: Collection[str] = (),
    ) -> None:
        self.api_keys = set(api_keys)
        self._entra_tokens: dict[str, bool] = dict.fromkeys(entra_tokens, True)  # token -> still valid
        self.accept_any_sk_key = accept_any_sk_key
        self.state = FakeState(
            organization=organization,
            file_processing_retrieves=file_processing_retrieves,
            training_steps=training_steps,
            auto_advance=auto_advance,
            default_answer=default_answer,
        )
        for model_id, shutdown_date in base_models.items():
            self.state.add_model(model_id, "system", shutdown_date)
        self.requests: list[RecordedRequest] = []
        self.server_errors: list[str] = []  # tracebacks of the fake's own bugs
        self._faults = FaultPlan()
        self._late_lock = threading.Lock()
        self._landing_late: list[tuple[Request, str | None]] = []
        self.landed_late: list[Any] = []  # the answers nobody received to requests that landed late
        self._router = _build_router()
        self._request_ids = itertools.count(1)
        self._stopping = threading.Event()
        self._server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------
    def start(self) -> FakeOpenAI:
        if self._server is None:
            self._stopping.clear()
            self._server = LoopbackServer(self)
            # A short poll interval keeps stop() (which waits for the loop) fast.
            self._thread = threading.Thread(
                target=self._server.serve_forever, args=(0.02,), name="fake-openai", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._stopping.set()  # wakes handlers sleeping in an injected delay
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeOpenAI is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def root_url(self) -> str:
        """Azure's endpoint (https://NAME.openai.azure.com) for this fake."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def azure_v1_url(self) -> str:
        return f"{self.root_url}/openai/v1"

    # -- Azure's Entra ID tokens --------------------------------------------
    def accept_entra_token(self, token: str) -> None:
        """Accept this bearer token (e.g. FakeEntra.token_for(DATA_SCOPE)) as Azure would."""
        self._entra_tokens[token] = True

    def expire_entra_token(self, token: str) -> None:
        """From now on the token is refused with Azure's 401 for an expired token."""
        self._entra_tokens[token] = False

    # -- driving jobs, files and models ------------------------------------
    @property
    def auto_advance(self) -> bool:
        """When on, every retrieve of a job moves it one step first."""
        return self.state.auto_advance

    @auto_advance.setter
    def auto_advance(self, value: bool) -> None:
        self.state.auto_advance = value

    def advance(self, job_id: str, to: str | None = None) -> str:
        """One step on (or on until status `to`); returns the new status."""
        with self.state.lock:
            if to is None:
                return job_lifecycle.advance(self.state, job_id)
            return job_lifecycle.advance_to(self.state, job_id, to)

    def fail(
        self, job_id: str, message: str, code: str = "invalid_training_file", param: str | None = "training_file"
    ) -> None:
        with self.state.lock:
            job_lifecycle.fail(self.state, job_id, message, code, param)

    def set_job_status(self, job_id: str, status: str) -> None:
        """Any status string, e.g. "pausing", which the spec's enum lacks."""
        with self.state.lock:
            self.state.job(job_id)["status"] = status

    def add_event(
        self,
        job_id: str,
        message: str,
        *,
        level: str = "info",
        type: str = "message",
        data: dict[str, Any] | None = None,
    ) -> None:
        with self.state.lock:
            self.state.job(job_id)
            self.state.add_event(job_id, message, level=level, type=type, data=data)

    def set_file_status(self, file_id: str, status: str, details: str | None = None) -> None:
        with self.state.lock:
            files_api.set_file_status(self.state, file_id, status, details)

    def add_model(self, model_id: str, owned_by: str = "system", shutdown_date: str | None = None) -> None:
        with self.state.lock:
            self.state.add_model(model_id, owned_by, shutdown_date)

    def set_answer(self, model: str, text: str) -> None:
        """The content every completion from `model` returns."""
        with self.state.lock:
            self.state.answers[model] = text

    def job(self, job_id: str) -> dict[str, Any]:
        with self.state.lock:
            return snapshot(self.state.job(job_id))

    def file_content(self, file_id: str) -> bytes:
        with self.state.lock:
            self.state.file(file_id)
            return self.state.file_data[file_id]

    # -- faults and observation -------------------------------------------
    def fail_next(
        self,
        route: str,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        *,
        code: str | None = None,
        message: str | None = None,
    ) -> None:
        """The next `times` requests matching `route` get `status` with an OpenAI error body.

        `route` is "METHOD /path-prefix" or "/path-prefix". For 429, code="insufficient_quota"
        selects the out-of-credit body instead of rate_limit_exceeded.
        """
        self._faults.fail_next(route, status, body, headers, times, code, message)

    def delay_next(self, route: str, seconds: float, times: int = 1) -> None:
        """Hold the next matching requests for `seconds`, then answer them normally."""
        self._faults.delay_next(route, seconds, times)

    def answer_next(
        self, route: str, body: Any, *, status: int = 200, content_type: str = "application/json", times: int = 1
    ) -> None:
        """The next `times` matching requests get `body` (bytes as they are, else JSON) instead of
        the real answer, and change nothing: a malformed answer, a proxy's page, an id-less object."""
        self._faults.answer_next(route, body, status, content_type, times)

    def hold_next(self, route: str, times: int = 1) -> threading.Event:
        """Hold the next matching requests until the test sets the returned event (at most
        30 s), then answer them normally: the test acts while a call is in flight."""
        return self._faults.hold_next(route, times)

    def land_late_next(self, route: str, hold_seconds: float, times: int = 1) -> None:
        """The next matching requests get no answer (held `hold_seconds`, so the client times
        out, then the connection is closed) and take effect only just before the next request
        to the same method and path: a create that lands after the client gave up on it."""
        self._faults.land_late_next(route, hold_seconds, times)

    def requests_to(self, route: str) -> list[RecordedRequest]:
        matcher = RouteMatcher.parse(route)
        return [request for request in list(self.requests) if matcher.matches(request.method, request.path)]

    # -- called by the HTTP handler ------------------------------------------
    def _new_request_id(self) -> str:
        return f"req_fake{next(self._request_ids):06d}"

    def _answer(self, request: Request, secret: str | None) -> Response | None:
        wire_path = request.path
        request = azure.as_openai(request)
        secret = secret or azure.key_of(request)
        record = self._record(request, secret)
        record.wire_path = wire_path
        response = self._respond(request, bearer_token(request.headers) or azure.key_of(request))
        if response is not None and request.azure:
            response = azure.as_azure(response)
        record.status = response.status if response is not None else None
        return response

    def _respond(self, request: Request, key: str | None) -> Response | None:
        gate = self._faults.take_hold(request.method, request.path)
        if gate is not None:
            self._hold(gate)
        delay = self._faults.take_delay(request.method, request.path)
        if delay:
            self._stopping.wait(delay)
        late = self._faults.take_late(request.method, request.path)
        if late is not None:
            with self._late_lock:
                self._landing_late.append((request, key))
            self._stopping.wait(late)  # the client gives up waiting meanwhile
            return None
        self._land_late_requests(request)
        failure = self._faults.take_failure(request.method, request.path)
        if failure:
            return Response(failure.body, failure.status, dict(failure.headers), failure.content_type)
        return self._dispatch(request, key)

    def _dispatch(self, request: Request, key: str | None) -> Response:
        try:
            if request.azure:
                refused = self._azure_refusal(request, key)
                if refused is not None:
                    return refused
            else:
                self._authorize(key)
            with self.state.lock:
                return self._router.dispatch(self.state, request)
        except ApiError as error:
            return Response(error.body, error.status)
        except Exception:
            self.server_errors.append(traceback.format_exc())
            return Response(default_error_body(500), 500)

    def _land_late_requests(self, request: Request) -> None:
        """Requests held by land_late_next take effect now, before the next one like them."""
        with self._late_lock:
            landing = [held for held in self._landing_late if (held[0].method, held[0].path)
                       == (request.method, request.path)]
            self._landing_late = [held for held in self._landing_late if held not in landing]
        for held, key in landing:
            self.landed_late.append(self._dispatch(held, key).body)

    def _hold(self, gate: threading.Event, limit: float = 30.0) -> None:
        waited = 0.0
        while not gate.wait(0.02) and not self._stopping.is_set() and waited < limit:
            waited += 0.02

    def _azure_refusal(self, request: Request, key: str | None) -> Response | None:
        """Azure's 401s: a token it does not take (unknown or expired), or a key it does not know."""
        if key in self._entra_tokens:
            return None if self._entra_tokens[key] else Response(azure.TOKEN_REFUSED, 401)
        if key is not None and azure.key_of(request) is None and not key.startswith("sk-") \
                and key not in self.api_keys:
            return Response(azure.TOKEN_REFUSED, 401)  # a bearer alone that is no key: an unknown token
        try:
            self._authorize(key)
        except ApiError:
            return Response(azure.KEY_REFUSED, 401)
        return None

    def _authorize(self, key: str | None) -> None:
        if key is None:
            raise ApiError(401, _MISSING_KEY)
        if key not in self.api_keys and not (self.accept_any_sk_key and key.startswith("sk-")):
            # The live API echoes a masked key here; the fake echoes none of it.
            raise ApiError(401, default_error_body(401)["error"]["message"], code="invalid_api_key")

    def _record(self, request: Request, secret: str | None) -> RecordedRequest:
        record = RecordedRequest(
            request.method, request.path, scrub(request.query, secret), redact_headers(request.headers, secret)
        )
        try:
            if request.content_type.startswith("multipart/form-data"):
                fields, files = request.form()
                record.form = scrub(fields, secret)
                record.files = {
                    name: RecordedFile(file.filename, file.content_type, len(file.data)) for name, file in files.items()
                }
            else:
                record.json = scrub(request.json(), secret)
        except ApiError:
            pass  # a malformed body is recorded without it; the route reports the error
        self.requests.append(record)
        return record
