"""The log of API requests the sandbox answered, with counts per endpoint (control requests
are never logged)."""

from __future__ import annotations

import collections
import re
import threading
from typing import Any, Deque, Dict

from .timeutil import iso, now_ms

MAX_LOG = 10_000  # entries kept; totals and per-endpoint counts are never truncated
_ID_SEGMENT = re.compile(r"^(\d+|tt\d+)$")


def endpoint_of(method: str, path: str) -> str:
    """``GET /shows/{id}/progress/watched``: numeric/imdb ids and show/movie refs -> ``{id}``."""
    parts = path.rstrip("/").split("/") or [""]
    for index, part in enumerate(parts):
        if _ID_SEGMENT.match(part) or (index == 2 and parts[1] in ("shows", "movies")):
            parts[index] = "{id}"
    return "{} {}".format(method, "/".join(parts) or "/")


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.by_endpoint: Dict[str, int] = {}
            self.entries: Deque[Dict[str, Any]] = collections.deque(maxlen=MAX_LOG)

    def record(self, method: str, path: str, query: str) -> Dict[str, Any]:
        """Count a request; the returned entry gets its ``status`` once answered."""
        endpoint = endpoint_of(method, path)
        entry: Dict[str, Any] = {
            "at": iso(now_ms()),
            "method": method,
            "path": path + ("?" + query if query else ""),
            "endpoint": endpoint,
            "status": None,
            "fault": None,
        }
        with self._lock:
            self.total += 1
            self.by_endpoint[endpoint] = self.by_endpoint.get(endpoint, 0) + 1
            self.entries.append(entry)
        return entry

    def snapshot(self) -> Dict[str, Any]:
        with self._lock:
            return {
                "total": self.total,
                "by_endpoint": dict(sorted(self.by_endpoint.items())),
                "log": [dict(e) for e in self.entries],
            }
