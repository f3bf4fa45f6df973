"""Fault injection: rules that make the next N matching API requests fail in a chosen way."""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any, Dict, List, Optional

from .timeutil import iso
from .web import ApiError, Response, json_response

KINDS = (
    "429",
    "429_bare",
    "500",
    "502",
    "503",
    "520",
    "slow",
    "drop",
    "truncate",
    "badjson",
    "401",
    "423",
    "420",
    "426",
    "404",
    "invalid_grant",
    "invalid_client",
    "fake_totals",
)
# Kinds answered instead of the real handler; the others wrap or delay the real answer.
ERROR_KINDS = (
    "429",
    "429_bare",
    "500",
    "502",
    "503",
    "520",
    "401",
    "423",
    "420",
    "426",
    "404",
    "invalid_grant",
    "invalid_client",
)


class Fault:
    __slots__ = ("kind", "path", "regex", "method", "remaining", "retry_after", "delay", "after")

    def __init__(self, spec: Dict[str, Any]) -> None:
        self.kind = str(spec.get("kind"))
        if self.kind not in KINDS:
            raise ApiError(400, {"error": f"unknown fault kind {self.kind!r}", "kinds": KINDS})
        self.path = str(spec.get("path") or ".*")
        try:
            self.regex = re.compile(self.path)
        except re.error as exc:
            raise ApiError(400, {"error": f"bad path regex: {exc}"}) from exc
        method = spec.get("method")
        self.method = str(method).upper() if method else None
        self.remaining = int(spec.get("count", 1))
        self.retry_after = int(spec.get("retry_after", 1))
        self.delay = float(spec.get("delay", 2.0))
        self.after = bool(spec.get("after", False))

    def describe(self) -> Dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "method": self.method,
            "remaining": self.remaining,
            "retry_after": self.retry_after,
            "delay": self.delay,
            "after": self.after,
        }


class Faults:
    """Pending fault rules and the global slow-down; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: List[Fault] = []
        self.global_delay = 0.0

    def add(self, spec: Dict[str, Any]) -> Fault:
        fault = Fault(spec)
        with self._lock:
            self._rules.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def pending(self) -> List[Dict[str, Any]]:
        with self._lock:
            return [f.describe() for f in self._rules]

    def take(self, method: str, path: str) -> Optional[Fault]:
        """The first rule matching this request, consuming one of its ``count``."""
        with self._lock:
            for fault in self._rules:
                if fault.method and fault.method != method:
                    continue
                if not fault.regex.search(path):
                    continue
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._rules.remove(fault)
                return fault
        return None


def error_response(fault: Fault) -> Response:
    """The canned answer for an error kind."""
    kind = fault.kind
    retry = str(fault.retry_after)
    if kind == "429":
        until = iso(int((time.time() + fault.retry_after) * 1000))
        limit = {
            "name": "AUTHED_API_GET_LIMIT",
            "period": 300,
            "limit": 1000,
            "remaining": 0,
            "until": until[:19] + "Z" if until else None,
        }
        return json_response(
            {"error": "rate limit exceeded"},
            429,
            {"Retry-After": retry, "X-Ratelimit": json.dumps(limit, separators=(",", ":"))},
        )
    if kind == "429_bare":
        return json_response({"error": "rate limit exceeded"}, 429, {"Retry-After": retry})
    if kind == "520":
        body = (
            b"<!DOCTYPE html><html><head><title>api.trakt.tv | 520: Web server is returning an "
            b"unknown error</title></head><body><h1>Error 520</h1></body></html>"
        )
        return Response(520, body, [("Content-Type", "text/html; charset=UTF-8")])
    if kind in ("500", "502", "503"):
        headers = {"Retry-After": retry} if kind == "503" else {}
        return json_response({"error": f"server error {kind}"}, int(kind), headers)
    if kind == "401":
        return json_response(
            {"error": "invalid_token", "error_description": "The access token expired"}, 401
        )
    if kind == "423":
        return json_response(
            {"error": "account locked"},
            423,
            {"X-Account-Locked": "true", "X-Account-Deactivated": "false"},
        )
    if kind == "420":
        return json_response(
            {"error": "account limit exceeded"},
            420,
            {
                "X-Upgrade-URL": "https://trakt.tv/vip",
                "X-VIP-User": "false",
                "X-Account-Limit": "250",
            },
        )
    if kind == "404":
        # An endpoint this server does not offer (a Trakt-like server without it).
        return json_response({"error": "not found"}, 404)
    if kind in ("invalid_grant", "invalid_client"):  # OAuth refusals (/oauth/token)
        return json_response({"error": kind}, 400 if kind == "invalid_grant" else 401)
    if kind == "426":
        return json_response({"error": "VIP only"}, 426, {"X-Upgrade-URL": "https://trakt.tv/vip"})
    raise ValueError(kind)


def fake_totals(response: Response) -> None:
    """``fake_totals``: the real page, with made-up ``X-Pagination-Item-Count``/``Page-Count``
    far above the truth (Trakt's ``up_next`` endpoints do this)."""
    fakes = {"x-pagination-item-count": "100000", "x-pagination-page-count": "400"}
    response.headers = [(name, fakes.get(name.lower(), value)) for name, value in response.headers]
