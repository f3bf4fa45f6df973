"""Resume points and the placeholder-clip decision (pure functions).

The mirror stores Trakt's playback progress as a percentage; Kodi wants seconds. Runtime comes
from the movie's or show's metadata, so the point is approximate: the player monitor may refine
it once the real duration is known (``progress * total / 100``).

Debrid playback URLs that fail redirect to a few-second placeholder video
(``downloading.mp4``, ``download_failed.mp4``, ...). Kodi plays it happily; a feature that turns
out to last under ``threshold`` seconds is treated as a failed playback, never scrobbled.
"""

from __future__ import annotations

import math
from typing import Optional

PLACEHOLDER_SECONDS = 45.0


def progress_percent(time_seconds: float, total_seconds: float) -> float:
    """Playback position as a percentage in [0, 100]; 0 when the total is unknown."""
    if not total_seconds or total_seconds <= 0 or time_seconds is None:
        return 0.0
    return max(0.0, min(100.0, 100.0 * float(time_seconds) / float(total_seconds)))


def resume_seconds(progress_percent: Optional[float], runtime_minutes: Optional[float]) -> float:
    """Seconds to resume at for a Trakt progress, 0 when there is nothing to resume.

    Nothing to resume: unknown or non-positive runtime, progress under 1 % (Trakt ignores it)
    or at/over 100 %. Whole seconds, rounded down, so the user never misses a frame.
    """
    if progress_percent is None or runtime_minutes is None:
        return 0.0
    try:
        percent = float(progress_percent)
        runtime = float(runtime_minutes)
    except (TypeError, ValueError):
        return 0.0
    if not (math.isfinite(percent) and math.isfinite(runtime)) or runtime <= 0:
        return 0.0
    if percent < 1.0 or percent >= 100.0:
        return 0.0
    return float(math.floor(runtime * 60.0 * percent / 100.0))


def seek_target(progress_percent: Optional[float], total_seconds: Optional[float]) -> float:
    """Seconds to seek to once the player knows the real length (the list item carried no
    runtime, so playback started at 0). Same rules as :func:`resume_seconds`."""
    if not total_seconds or total_seconds <= 0:
        return 0.0
    return resume_seconds(progress_percent, float(total_seconds) / 60.0)


def is_placeholder_clip(
    total_seconds: Optional[float],
    expected_runtime_minutes: Optional[float] = None,
    threshold_seconds: float = PLACEHOLDER_SECONDS,
) -> bool:
    """True when a playback of ``total_seconds`` cannot be the expected feature.

    Unknown duration (None or <= 0) is not a decision: False. A duration under the threshold
    fails, unless the metadata says the item itself is short (expected runtime within twice
    the threshold). Unknown expected runtime counts as a feature: movies and episodes are long.
    """
    if total_seconds is None or total_seconds <= 0:
        return False
    if total_seconds >= threshold_seconds:
        return False
    if expected_runtime_minutes and expected_runtime_minutes * 60.0 <= 2 * threshold_seconds:
        return False
    return True


__all__ = [
    "PLACEHOLDER_SECONDS",
    "is_placeholder_clip",
    "progress_percent",
    "resume_seconds",
    "seek_target",
]
