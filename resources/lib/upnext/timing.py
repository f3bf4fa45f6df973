"""When Up Next is offered: the due position of one playback, and a clock that fires once.

The setting ``upnext_mode`` is one of ``OFF`` (no Up Next at all), ``ASK`` (the dialog shows,
its countdown's end closes it) or ``AUTO`` (the countdown's end plays the next episode).
``UpNextTiming`` is the trigger: a fixed lead before the end, or a percentage of the runtime
(for episodes with long credits). ``UpNextClock`` is pure: the Kodi glue feeds it the player's
position and the user's seeks, and it answers whether the offer is due now.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

OFF, ASK, AUTO = "off", "ask", "auto"
MODES = (OFF, ASK, AUTO)

TRIGGER_SECONDS, TRIGGER_PERCENT = "seconds", "percent"

# A user who seeks this close to the end is skipping the credits on purpose: no offer then.
LAST_SECONDS = 10


@dataclass(frozen=True)
class UpNextTiming:
    trigger: str = TRIGGER_SECONDS  # or TRIGGER_PERCENT
    seconds_before_end: int = 30
    percent: int = 92


def mode_or_default(value: object) -> str:
    """``value`` when it is one of ``MODES``, else ``AUTO`` (the default)."""
    return value if value in MODES else AUTO  # type: ignore[return-value]


def _known_total(total_seconds: Optional[float]) -> Optional[float]:
    if total_seconds is None:
        return None
    try:
        total = float(total_seconds)
    except (TypeError, ValueError):
        return None
    # Kodi reports 0 before the stream's length is known; NaN/inf come from broken streams.
    if not math.isfinite(total) or total <= 0:
        return None
    return total


def due_position(total_seconds: Optional[float], timing: UpNextTiming) -> Optional[float]:
    """The position (seconds) from which the offer is due, or None: the total is unknown, or so
    short that the lead time does not fit (the offer would be due at the very start)."""
    total = _known_total(total_seconds)
    if total is None:
        return None
    if timing.trigger == TRIGGER_PERCENT:
        # Out-of-range settings are clamped: 0 % would offer at once, 100 % never.
        percent = min(max(int(timing.percent), 1), 99)
        due = total * percent / 100.0
    else:
        due = total - max(int(timing.seconds_before_end), 1)
    if due <= 0 or due >= total:
        return None
    return due


class UpNextClock:
    """One playback's Up Next clock: ``observe`` says True exactly once, at the due position."""

    def __init__(self, total_seconds: Optional[float], timing: UpNextTiming) -> None:
        self.total = _known_total(total_seconds)
        self.due = due_position(total_seconds, timing)
        self.fired = False
        self.cancelled = False

    def observe(self, position: float) -> bool:
        """True on the first observed ``position`` at or past the due point, never again."""
        if self.fired or self.cancelled or self.due is None:
            return False
        if position >= self.due:
            self.fired = True
            return True
        return False

    def seeked(self, position: float) -> None:
        """The user seeked to ``position``: landing within the last ``LAST_SECONDS`` cancels
        the offer for this playback; a seek anywhere else changes nothing (playing on from
        before the due point still reaches it)."""
        if self.total is not None and position >= self.total - LAST_SECONDS:
            self.cancelled = True

    def countdown_seconds(self, position: float) -> int:
        """Whole seconds left until the end (rounded up, at least 1)."""
        if self.total is None:
            return 1
        return max(1, int(math.ceil(self.total - position)))
