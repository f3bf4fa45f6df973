"""Trakt's rate limits in the sandbox: fixed windows for GETs and for writes, the ``X-Ratelimit``
header on every API response, and a 429 with ``Retry-After`` once a window is spent.

Trakt counts GETs per user in a window of ``period`` seconds (1,000 per 300 s documented, 500 per
300 s announced in 2026) and writes (POST, PUT, DELETE) at 1 per second. A window opens with its
first request and ends ``period`` seconds later (the header's ``until``); a request arriving after
that opens a new one. The defaults are high enough that nothing is ever refused, so tests that do
not ask for a limit behave as before, but the header is still real.
"""

from __future__ import annotations

import json
import math
import threading
import time
from typing import Callable, Dict, Optional, Tuple

GET_NAME = "AUTHED_API_GET_LIMIT"
WRITE_NAME = "AUTHED_API_POST_LIMIT"
UNLIMITED = 1_000_000  # "off": a limit no test reaches
TRAKT_GET_LIMIT = 1000
TRAKT_GET_PERIOD = 300
WRITE_METHODS = frozenset(("POST", "PUT", "DELETE", "PATCH"))


class Window:
    """One fixed window: ``limit`` requests per ``period`` seconds."""

    def __init__(self, name: str, limit: int, period: float) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("a rate limit needs limit >= 1 and period > 0")
        self.name, self.limit, self.period = name, int(limit), float(period)
        self.started: Optional[float] = None
        self.used = 0

    def take(self, now: float) -> Tuple[bool, Dict[str, object], float]:
        """Count one request at ``now`` (epoch seconds). Returns (allowed, header fields,
        seconds until the window ends)."""
        if self.started is None or now >= self.started + self.period:
            self.started, self.used = now, 0
        allowed = self.used < self.limit
        if allowed:
            self.used += 1
        until = self.started + self.period
        info = {
            "name": self.name,
            "period": int(self.period) if self.period == int(self.period) else self.period,
            "limit": self.limit,
            "remaining": self.limit - self.used,
            "until": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(math.ceil(until))),
        }
        return allowed, info, until - now


class RateLimits:
    """The GET and write windows of one sandbox, and how many requests they refused."""

    def __init__(
        self,
        get_limit: Optional[int] = None,
        get_period: float = TRAKT_GET_PERIOD,
        write_limit: Optional[int] = None,
        write_period: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.configure(get_limit, get_period, write_limit, write_period)

    def configure(
        self,
        get_limit: Optional[int] = None,
        get_period: float = TRAKT_GET_PERIOD,
        write_limit: Optional[int] = None,
        write_period: float = 1.0,
    ) -> None:
        """Set the limits (None = unlimited) and start fresh windows."""
        with self._lock:
            self.get = Window(GET_NAME, get_limit or UNLIMITED, get_period)
            self.write = Window(WRITE_NAME, write_limit or UNLIMITED, write_period)
            self.rejected = 0

    def check(self, method: str) -> Tuple[bool, str, float]:
        """Count one API request: (allowed, X-Ratelimit header value, seconds to wait)."""
        window = self.write if method.upper() in WRITE_METHODS else self.get
        with self._lock:
            allowed, info, wait = window.take(self._clock())
            if not allowed:
                self.rejected += 1
        return allowed, json.dumps(info, separators=(",", ":")), max(0.0, wait)

    def describe(self) -> Dict[str, object]:
        with self._lock:
            return {
                "get": {"limit": self.get.limit, "period": self.get.period, "used": self.get.used},
                "write": {
                    "limit": self.write.limit,
                    "period": self.write.period,
                    "used": self.write.used,
                },
                "rejected": self.rejected,
            }
