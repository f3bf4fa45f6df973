"""Time helpers: Trakt-style ISO 8601 text, lenient parsing, and the sandbox's logical clock.

Internally every timestamp is an integer count of milliseconds since the Unix epoch (UTC).
"""

from __future__ import annotations

import calendar
import re
import threading
import time
from typing import Optional

_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_RELATIVE_RE = re.compile(r"^now\s*(?:([+-])\s*(\d+(?:\.\d+)?)\s*([smhd]))?$")
_UNIT_MS = {"s": 1000, "m": 60000, "h": 3600000, "d": 86400000}


def now_ms() -> int:
    """Current wall-clock time in epoch milliseconds."""
    return int(time.time() * 1000)


def iso(ms: Optional[int]) -> Optional[str]:
    """Format epoch milliseconds as ``2014-09-01T09:10:11.000Z`` (None stays None)."""
    if ms is None:
        return None
    seconds, millis = divmod(int(ms), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def parse_time(text: str, now: Optional[int] = None) -> int:
    """Parse ISO 8601 (full or ``YYYY-MM-DD``) or ``now``, ``now-3d``, ``now+2h`` to epoch ms.

    Raises ValueError on anything else.
    """
    text = str(text).strip()
    rel = _RELATIVE_RE.match(text)
    if rel:
        base = now_ms() if now is None else now
        if not rel.group(1):
            return base
        delta = int(float(rel.group(2)) * _UNIT_MS[rel.group(3)])
        return base + delta if rel.group(1) == "+" else base - delta
    match = _ISO_RE.match(text)
    if not match:
        raise ValueError(f"not an ISO 8601 date: {text!r}")
    year, month, day, hour, minute, second, frac, zone = match.groups()
    seconds = calendar.timegm(
        (int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    )
    millis = int((frac or "0")[:3].ljust(3, "0"))
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        seconds -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return seconds * 1000 + millis


class LogicalClock:
    """A clock that never repeats: each tick is later than the wall clock and every earlier tick.

    Trakt clients compare ``last_activities`` timestamps; two mutations in the same millisecond
    must still be told apart, so every tick advances by at least one millisecond.
    """

    def __init__(self, start: int = 0) -> None:
        self._last = start
        self._lock = threading.Lock()

    def observe(self, ms: int) -> None:
        """Make sure later ticks come after ``ms``."""
        with self._lock:
            self._last = max(self._last, ms)

    def tick(self) -> int:
        """Return a new timestamp, strictly greater than any returned or observed before."""
        with self._lock:
            self._last = max(now_ms(), self._last + 1)
            return self._last
