"""Failures and delays a test schedules for the next matching requests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .errors import default_error_body


@dataclass(frozen=True)
class RouteMatcher:
    """Which requests a rule applies to, written "POST /v1/fine_tuning/jobs",
    "/v1/files" or "/files": the method is optional and the path is a prefix
    (whole segments). A path without /v1 gets it, so tests may write either.
    """

    method: str | None
    path_prefix: str

    @classmethod
    def parse(cls, route: str) -> RouteMatcher:
        method, _, path = route.strip().rpartition(" ")
        if not path.startswith("/v1/") and path != "/v1":
            path = "/v1" + (path if path.startswith("/") else "/" + path)
        return cls(method.upper() or None, path.rstrip("/") or "/")

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method != method:
            return False
        return path == self.path_prefix or path.startswith(self.path_prefix + "/")


@dataclass
class Failure:
    """An answer given in place of the real one: an error, or a malformed body (bytes are
    sent as they are, under `content_type`)."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass
class _Rule:
    matcher: RouteMatcher
    remaining: int
    failure: Failure | None = None
    delay_seconds: float = 0.0
    gate: threading.Event | None = None  # hold_next: released by the test


class FaultPlan:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: list[_Rule] = []
        self._delays: list[_Rule] = []
        self._holds: list[_Rule] = []
        self._late: list[_Rule] = []

    def fail_next(
        self,
        route: str,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        code: str | None = None,
        message: str | None = None,
    ) -> None:
        failure = Failure(
            status, body if body is not None else default_error_body(status, code, message), dict(headers or {})
        )
        with self._lock:
            self._failures.append(_Rule(RouteMatcher.parse(route), times, failure=failure))

    def answer_next(self, route: str, body: Any, status: int = 200, content_type: str = "application/json",
                    times: int = 1) -> None:
        with self._lock:
            self._failures.append(_Rule(RouteMatcher.parse(route), times,
                                        failure=Failure(status, body, content_type=content_type)))

    def delay_next(self, route: str, seconds: float, times: int = 1) -> None:
        with self._lock:
            self._delays.append(_Rule(RouteMatcher.parse(route), times, delay_seconds=seconds))

    def hold_next(self, route: str, times: int = 1) -> threading.Event:
        gate = threading.Event()
        with self._lock:
            self._holds.append(_Rule(RouteMatcher.parse(route), times, gate=gate))
        return gate

    def land_late_next(self, route: str, hold_seconds: float, times: int = 1) -> None:
        with self._lock:
            self._late.append(_Rule(RouteMatcher.parse(route), times, delay_seconds=hold_seconds))

    def take_failure(self, method: str, path: str) -> Failure | None:
        rule = self._take(self._failures, method, path)
        return rule.failure if rule else None

    def take_delay(self, method: str, path: str) -> float:
        rule = self._take(self._delays, method, path)
        return rule.delay_seconds if rule else 0.0

    def take_hold(self, method: str, path: str) -> threading.Event | None:
        rule = self._take(self._holds, method, path)
        return rule.gate if rule else None

    def take_late(self, method: str, path: str) -> float | None:
        """How long to hold a request that lands late (None: it lands now)."""
        rule = self._take(self._late, method, path)
        return rule.delay_seconds if rule else None

    def _take(self, rules: list[_Rule], method: str, path: str) -> _Rule | None:
        # First scheduled, first served; a rule is spent after `times` matches.
        with self._lock:
            for rule in rules:
                if rule.matcher.matches(method, path):
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        rules.remove(rule)
                    return rule
        return None

    def pending(self) -> int:
        with self._lock:
            return len(self._failures) + len(self._delays) + len(self._holds) + len(self._late)
