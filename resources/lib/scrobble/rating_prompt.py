"""Whether to ask for a rating after a playback ended: one pure rule, tested from a table.

The prompt is optional (both switches off by default): after a movie, or after the last episode
of a season (``finale``: the mirror's episodes table has no later episode in that season). It
needs a real end (>= 80 %, a play on Trakt), and never interrupts what comes next: the front end
waits :data:`SETTLE_SECONDS` after the end, then it is skipped while Kodi plays a video (the next
episode already started) or while Up Next is active (its dialog is open, or it started the next
episode). The outcome is a code; the front end logs it and shows the prompt only for
:data:`PROMPT`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

PROMPT_PROGRESS = 80.0  # Trakt's own threshold for a play
SETTLE_SECONDS = 2.0  # after the end: long enough for Up Next's next episode to have started

PROMPT = "prompt"
OFF = "off"  # the switch for this kind of item is off
NOT_ENDED = "not_ended"  # stopped before 80 %
NOT_FINALE = "not_finale"  # an episode that is not the last of its season (or unknown)
PLAYING = "playing"  # a video plays again (the next episode)
UP_NEXT = "up_next"  # Up Next is handling the next episode
UNKNOWN = "unknown"  # not a movie or an episode


@dataclass(frozen=True)
class PromptSettings:
    """``rating_prompt_movies`` and ``rating_prompt_season_finale``."""

    movies: bool = False
    season_finale: bool = False

    @property
    def any(self) -> bool:
        return self.movies or self.season_finale


def decide(
    kind: str,
    progress: float,
    settings: PromptSettings,
    finale: Optional[bool],
    playing_video: bool,
    upnext_active: bool,
) -> str:
    """The outcome code for a playback of ``kind`` (movie|episode) that ended at ``progress``
    percent. ``finale``: the episode is its season's last (None: not known, no prompt)."""
    if kind == "movie":
        if not settings.movies:
            return OFF
    elif kind == "episode":
        if not settings.season_finale:
            return OFF
    else:
        return UNKNOWN
    if progress < PROMPT_PROGRESS:
        return NOT_ENDED
    if kind == "episode" and not finale:
        return NOT_FINALE
    if upnext_active:
        return UP_NEXT
    if playing_video:
        return PLAYING
    return PROMPT


def is_finale(number: Optional[int], last_in_season: Optional[int]) -> Optional[bool]:
    """Is episode ``number`` the last of its season (``last_in_season``: the highest number the
    mirror knows there; None when it knows none)."""
    if number is None or last_in_season is None:
        return None
    return number >= last_in_season


__all__ = [
    "NOT_ENDED",
    "NOT_FINALE",
    "OFF",
    "PLAYING",
    "PROMPT",
    "PROMPT_PROGRESS",
    "SETTLE_SECONDS",
    "UNKNOWN",
    "UP_NEXT",
    "PromptSettings",
    "decide",
    "is_finale",
]
