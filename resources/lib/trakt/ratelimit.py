"""Client-side pacing that keeps this client inside Trakt's rate limits (in-process).

Trakt allows 1000 GETs per 5 minutes and one POST/PUT/DELETE per second. The limiter keeps a
sliding window of GET send times (under a configurable budget) and spaces writes; it never
sleeps itself but asks the caller's abortable ``wait(seconds)``.
"""

from __future__ import annotations

import collections
import threading
from typing import Callable, Deque, Optional

WRITE_METHODS = frozenset(("POST", "PUT", "DELETE", "PATCH"))


class RateLimiter:
    """Decides how long to wait before the next request, and records requests sent."""

    def __init__(
        self,
        clock: Callable[[], float],
        wait: Callable[[float], None],
        get_budget: int = 950,
        get_window: float = 300.0,
        write_interval: float = 1.0,
    ) -> None:
        if get_budget < 1:
            raise ValueError("get_budget must be at least 1")
        self._clock = clock
        self._wait = wait
        self.get_budget = get_budget
        self.get_window = get_window
        self.write_interval = write_interval
        self._gets: Deque[float] = collections.deque()
        self._last_write: Optional[float] = None
        self._lock = threading.Lock()

    def delay_for(self, method: str) -> float:
        """Seconds to wait before a request with ``method`` may be sent (0 when it may go now)."""
        now = self._clock()
        with self._lock:
            if method.upper() in WRITE_METHODS:
                if self._last_write is None:
                    return 0.0
                return max(0.0, self._last_write + self.write_interval - now)
            while self._gets and self._gets[0] <= now - self.get_window:
                self._gets.popleft()
            if len(self._gets) < self.get_budget:
                return 0.0
            return max(0.0, self._gets[0] + self.get_window - now)

    def acquire(self, method: str) -> None:
        """Wait (through the abortable ``wait``) until ``method`` may be sent, then record it."""
        while True:
            delay = self.delay_for(method)
            if delay <= 0:
                break
            self._wait(delay)
        self.record(method)

    def record(self, method: str) -> None:
        now = self._clock()
        with self._lock:
            if method.upper() in WRITE_METHODS:
                self._last_write = now
            else:
                self._gets.append(now)

    @property
    def gets_in_window(self) -> int:
        now = self._clock()
        with self._lock:
            return sum(1 for t in self._gets if t > now - self.get_window)
