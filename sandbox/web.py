"""HTTP plumbing shared by the route modules: request/response objects, the route table,
JSON helpers and Trakt-style pagination."""

from __future__ import annotations

import json
import math
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

JSON_TYPE = "application/json"


class ApiError(Exception):
    """Raised by a handler to answer with ``status`` and a JSON ``body``."""

    def __init__(
        self, status: int, body: Any = None, headers: Optional[Dict[str, str]] = None
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body if body is not None else {"error": f"error {status}"}
        self.headers = headers or {}


class Request:
    def __init__(
        self,
        method: str,
        path: str,
        query: Dict[str, str],
        headers: Any,
        body: bytes,
    ) -> None:
        self.method, self.path, self.query, self.headers, self.body = (
            method,
            path,
            query,
            headers,
            body,
        )
        self.params: Dict[str, Optional[str]] = {}
        self.user_token: Optional[str] = None

    def json(self) -> Any:
        """The decoded JSON body ({} when empty); 400 on invalid JSON."""
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, {"error": f"invalid JSON body: {exc}"}) from exc

    def json_object(self) -> Dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise ApiError(400, {"error": "JSON body must be an object"})
        return data

    def extended(self) -> List[str]:
        return [p.strip() for p in self.query.get("extended", "").split(",") if p.strip()]


class Response:
    def __init__(
        self,
        status: int = 200,
        body: bytes = b"",
        headers: Optional[List[Tuple[str, str]]] = None,
    ) -> None:
        self.status, self.body = status, body
        self.headers: List[Tuple[str, str]] = list(headers or [])


def json_response(
    data: Any, status: int = 200, headers: Optional[Dict[str, str]] = None
) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    out = [("Content-Type", JSON_TYPE + "; charset=utf-8")]
    out.extend((headers or {}).items())
    return Response(status, body, out)


Handler = Callable[[Request, Any], Response]


class Route:
    __slots__ = ("method", "regex", "handler", "auth", "kind", "pattern")

    def __init__(self, method: str, pattern: str, handler: Handler, auth: bool, kind: str) -> None:
        self.method, self.pattern, self.handler, self.auth, self.kind = (
            method,
            pattern,
            handler,
            auth,
            kind,
        )
        self.regex = re.compile("^" + pattern + "/?$")


class RouteTable:
    """Routes registered by decorator; ``kind`` is ``api``, ``oauth`` or ``control``."""

    def __init__(self) -> None:
        self.routes: List[Route] = []

    def route(
        self, method: str, pattern: str, auth: bool = False, kind: str = "api"
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, pattern, handler, auth, kind))
            return handler

        return register

    def match(self, method: str, path: str) -> Tuple[Route, Dict[str, Optional[str]]]:
        allowed = False
        for route in self.routes:
            found = route.regex.match(path)
            if found:
                if route.method == method:
                    return route, found.groupdict()
                allowed = True
        if allowed:
            raise ApiError(405, {"error": "method not allowed"})
        raise ApiError(404, {"error": "not found"})


def int_arg(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def paginate(
    request: Request,
    items: Sequence[Any],
    render: Callable[[Any], Any],
    max_limit: int = 250,
    headers: Optional[Dict[str, str]] = None,
) -> Response:
    """Answer one page of ``items`` (page 1, limit 100 when absent; limit capped silently)."""
    page = max(1, int_arg(request.query.get("page"), 1))
    limit = min(max(1, int_arg(request.query.get("limit"), 100)), max_limit)
    total = len(items)
    start = (page - 1) * limit
    body = [render(item) for item in items[start : start + limit]]
    out = {
        "X-Pagination-Page": str(page),
        "X-Pagination-Limit": str(limit),
        "X-Pagination-Page-Count": str(max(1, math.ceil(total / limit))),
        "X-Pagination-Item-Count": str(total),
    }
    out.update(headers or {})
    return json_response(body, headers=out)


routes = RouteTable()  # every route module registers here
