"""The one fake clock of the test suite: time moves only when a test (or a fake sleep) says so.

It serves every clock seam the code has: a zero-argument callable (``clock()``), ``time``,
``now`` (wall) and ``monotonic`` all read the same instant; ``sleep`` advances it and records
each slice (``sleeps``, ``slept``), ``advance`` moves it without recording. Thread-safe, because
the service loop and the xbmc doubles' ``Monitor.waitForAbort`` read it from other threads.
"""

from __future__ import annotations

import threading
from typing import List

DEFAULT_START = 1_700_000_000.0


class FakeClock:
    """Epoch seconds that only move when told to."""

    def __init__(self, start: float = DEFAULT_START) -> None:
        self._now = float(start)
        self._lock = threading.Lock()
        self.sleeps: List[float] = []

    def time(self) -> float:
        with self._lock:
            return self._now

    __call__ = time
    now = time
    monotonic = time

    @property
    def t(self) -> float:
        """The instant as an attribute, for tests that move it by hand (``clock.t += 61``)."""
        return self.time()

    @t.setter
    def t(self, value: float) -> None:
        with self._lock:
            self._now = float(value)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += float(seconds)

    def sleep(self, seconds: float) -> None:
        """A fake ``time.sleep``: a zero or negative sleep is a bug in the caller's arithmetic."""
        assert seconds > 0, "slept %r seconds" % seconds
        with self._lock:
            self.sleeps.append(seconds)
            self._now += float(seconds)

    @property
    def slept(self) -> float:
        return round(sum(self.sleeps), 6)
