"""Client-side pacing that keeps this client inside Trakt's rate limits.

Trakt allows 1000 GETs per 5 minutes (500 announced in 2026) and one POST/PUT/DELETE per second.
Two sources decide when a GET may go (writes are simply spaced ``write_interval`` apart):

- while no response has reported a window: a local sliding window of GET send times under a
  configurable budget (works with no help from the server);
- once one has, Trakt's own count instead: every response carries ``X-Ratelimit: {"name",
  "period", "limit", "remaining", "until"}`` for the account's current window, shared by every
  process and device of the user. :meth:`RateLimiter.observe` reads it; until the window ends
  (``until``) the limiter counts down ``remaining`` for every GET it lets through.

Priorities: a GET sent inside :func:`background` (the sync) stops while ``remaining`` is at or
below the reserve (:func:`reserve_for`) and waits for the window to end, so the rest of the
window is kept for the user. Any other GET is interactive: it goes as long as the window has
anything left, and never queues behind background work (the limiter holds no lock while a
request waits). The limiter never sleeps itself but asks the caller's abortable ``wait``.
"""

from __future__ import annotations

import collections
import contextlib
import email.utils
import json
import threading
import time
from datetime import datetime
from typing import Any, Callable, Deque, Dict, Iterator, Optional

WRITE_METHODS = frozenset(("POST", "PUT", "DELETE", "PATCH"))
# A background GET waits for the window to end this long past Trakt's ``until`` (``until`` and
# ``Date`` have whole seconds).
WINDOW_MARGIN = 1.0
# Never wait longer than this for a window, whatever a (skewed) header says.
MAX_WINDOW_WAIT = 330.0

_local = threading.local()


@contextlib.contextmanager
def background() -> Iterator[None]:
    """GETs this thread sends inside the block are background work (see the module docstring)."""
    depth = getattr(_local, "depth", 0)
    _local.depth = depth + 1
    try:
        yield
    finally:
        _local.depth = depth


def is_background() -> bool:
    return getattr(_local, "depth", 0) > 0


def reserve_for(limit: int) -> int:
    """GETs of a window kept for interactive use: 5 %, at least 10 (50 of 1000, 25 of 500)."""
    return max(10, limit // 20)


class RateLimiter:
    """Decides how long to wait before the next request, and records requests sent."""

    def __init__(
        self,
        clock: Callable[[], float],
        wait: Callable[[float], None],
        get_budget: int = 950,
        get_window: float = 300.0,
        write_interval: float = 1.0,
        now: Callable[[], float] = time.time,
    ) -> None:
        if get_budget < 1:
            raise ValueError("get_budget must be at least 1")
        self._clock = clock
        self._now = now
        self._wait = wait
        self.get_budget = get_budget
        self.get_window = get_window
        self.write_interval = write_interval
        self._gets: Deque[float] = collections.deque()
        self._last_write: Optional[float] = None
        self._lock = threading.Lock()
        # Trakt's GET window as last reported: its end (on ``clock``), limit and what is left.
        self._window_end: Optional[float] = None
        self._window_until: Optional[str] = None
        self._window_limit = 0
        self._remaining = 0
        self.window_waits = 0  # how often a GET waited for Trakt's window (for tests/bench)

    def delay_for(self, method: str, background: Optional[bool] = None) -> float:
        """Seconds to wait before a request with ``method`` may be sent (0 when it may go now)."""
        now = self._clock()
        with self._lock:
            if method.upper() in WRITE_METHODS:
                if self._last_write is None:
                    return 0.0
                return max(0.0, self._last_write + self.write_interval - now)
            while self._gets and self._gets[0] <= now - self.get_window:
                self._gets.popleft()
            window = self._window_delay(now, background)
            if self._window_end is not None:
                return window  # Trakt's own count is known: it replaces the local budget
            if len(self._gets) >= self.get_budget:
                return max(0.0, self._gets[0] + self.get_window - now)
            return 0.0

    def _window_delay(self, now: float, background: Optional[bool]) -> float:
        if self._window_end is None:
            return 0.0
        if now >= self._window_end:
            self._window_end = None  # a new window: unknown until the next response
            return 0.0
        if background is None:
            background = is_background()
        floor = reserve_for(self._window_limit) if background else 0
        if self._remaining > floor:
            return 0.0
        return self._window_end - now

    def acquire(self, method: str, wait: Optional[Callable[[float], None]] = None) -> None:
        """Wait (through the abortable ``wait``) until ``method`` may be sent, then record it.

        ``wait`` overrides the limiter's own: a client's per-run view waits with its own abort
        check while sharing this limiter."""
        sleep = self._wait if wait is None else wait
        waited = False
        while True:
            delay = self.delay_for(method)
            if delay <= 0 and self._take(method):
                return
            if not waited and method.upper() not in WRITE_METHODS:
                waited = True
                self.window_waits += 1
            sleep(max(delay, 0.01))  # 0.01: another thread took the last free slot

    def _take(self, method: str) -> bool:
        """Record the request if it may still go (another thread may have taken the last)."""
        now = self._clock()
        with self._lock:
            if method.upper() in WRITE_METHODS:
                self._last_write = now
                return True
            if self._window_end is not None and now < self._window_end:
                floor = reserve_for(self._window_limit) if is_background() else 0
                if self._remaining <= floor:
                    return False
                self._remaining -= 1
            self._gets.append(now)
            return True

    def record(self, method: str) -> None:
        now = self._clock()
        with self._lock:
            if method.upper() in WRITE_METHODS:
                self._last_write = now
            else:
                self._gets.append(now)
                if self._window_end is not None:
                    self._remaining -= 1

    def observe(self, method: str, status: int, headers: Dict[str, str]) -> None:
        """Read Trakt's ``X-Ratelimit`` (and ``Date``) from a response to ``method``.

        A 429 is left to the client, which waits its ``Retry-After`` (waiting here as well would
        wait twice)."""
        if method.upper() in WRITE_METHODS or status == 429:
            return
        info = _parse_header(headers.get("x-ratelimit"))
        if info is None or "POST" in str(info.get("name") or "").upper():
            return
        seconds = _seconds_until(info["until"], headers.get("date"), self._now)
        if seconds is None:
            return
        with self._lock:
            end = self._clock() + min(max(0.0, seconds) + WINDOW_MARGIN, MAX_WINDOW_WAIT)
            if info["until"] != self._window_until or self._window_end is None:
                self._remaining = info["remaining"]  # a new window
            else:
                self._remaining = min(self._remaining, info["remaining"])
            self._window_until = info["until"]
            self._window_end = end
            self._window_limit = info["limit"]

    @property
    def gets_in_window(self) -> int:
        now = self._clock()
        with self._lock:
            return sum(1 for t in self._gets if t > now - self.get_window)

    @property
    def window_remaining(self) -> Optional[int]:
        """GETs left in Trakt's current window as this limiter counts them (None: unknown)."""
        with self._lock:
            if self._window_end is None or self._clock() >= self._window_end:
                return None
            return self._remaining


def _parse_header(value: Optional[str]) -> Optional[Dict[str, Any]]:
    if not value:
        return None
    try:
        info = json.loads(value)
        if not isinstance(info, dict) or not isinstance(info.get("until"), str):
            return None
        return {
            "name": info.get("name"),
            "limit": int(info["limit"]),
            "remaining": max(0, int(info["remaining"])),
            "until": info["until"],
        }
    except (ValueError, TypeError, KeyError):
        return None


def _seconds_until(until: str, date: Optional[str], now: Callable[[], float]) -> Optional[float]:
    """Seconds from the response to ``until``: measured against the response's ``Date`` when
    present, so a wrong clock on the device does not matter."""
    try:
        end = datetime.fromisoformat(until.strip().replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
    reference: Optional[float] = None
    if date:
        try:
            reference = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, IndexError):
            reference = None
    return end - (now() if reference is None else reference)
