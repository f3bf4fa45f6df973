"""Sync progress in words, for every front end.

The engine reports progress as ``on_progress(percent, step)`` where ``step`` is a code
(``database/trakt_sync/progress.py``). This module maps the codes to strings.po ids; the caller
passes its ``localize`` (Kodi's in the add-on, ``i18n.localize`` on the command line). A step
this module does not know reads as the generic "Syncing with Trakt", never as the code itself.
Pure: no Kodi, no files.
"""

from __future__ import annotations

from typing import Any, Callable

from ..database.trakt_sync.progress import ACCOUNT, ACTIVITY, DONE, METADATA, UNIT

Localize = Callable[..., str]

SYNCING = 30130  # "Syncing with Trakt"
SYNCING_UNIT = 30172  # "Syncing {what}"
STEPS = {ACTIVITY: 30170, ACCOUNT: 30171, METADATA: 30180, DONE: 30181}
# The lower-case unit names that fill "Syncing {what}".
UNITS = {
    "watched_movies": 30173,
    "watched_shows": 30174,
    "watchlist": 30175,
    "playback": 30176,
    "hidden": 30177,
    "collection": 30178,
    "ratings": 30179,
    "lists_personal": 31063,
    "lists_liked": 31064,
}


def step_text(value: Any, localize: Localize) -> str:
    """The words of one progress step (the generic label for anything unknown)."""
    kind, unit = value if isinstance(value, tuple) and len(value) == 2 else (None, None)
    if kind in STEPS:
        return localize(STEPS[kind])
    if kind == UNIT and unit in UNITS:
        return localize(SYNCING_UNIT, what=localize(UNITS[unit]))
    return localize(SYNCING)
