"""A list that opens on a stale mirror asks the service for a freshness check.

The plugin renders from the mirror at once and never waits: :func:`request_if_stale` only reads
two window properties and, when the mirror's last check of Trakt (``aiostreams.last_sync``) is a
minute old or more, posts ``NotifyAll(plugin.video.aiostreams, freshness)``, which the service's
monitor receives as ``Other.freshness``. The service checks Trakt (one ``last_activities``
request when nothing changed), syncs what changed and refreshes the open list and the widgets.
No request within a minute of the last one, nor within a minute of the service's own refresh:
the renders that refresh causes must not ask again.
"""

from __future__ import annotations

import logging
import time
from typing import Optional

import xbmc

from resources.lib.constants import ADDON_ID
from resources.lib.kodi import window

log = logging.getLogger(__name__)

# The same age as the service's bound (service/scheduler.FRESH_SECONDS, not imported: a list
# view imports only what it uses).
FRESH_SECONDS = 60.0
METHOD = "freshness"
BUILTIN = "NotifyAll(%s, %s)" % (ADDON_ID, METHOD)


def _seconds(text: str) -> Optional[float]:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _recent(at: Optional[float], now: float) -> bool:
    return at is not None and 0 <= now - at < FRESH_SECONDS


def request_if_stale(now: Optional[float] = None) -> bool:
    """Ask the service for a freshness check if the mirror is stale; True when asked. Never
    raises and never blocks (a list must show whatever happens here)."""
    try:
        now = time.time() if now is None else now
        last = window.get_json(window.LAST_SYNC)
        checked = _seconds(last.get("time")) if isinstance(last, dict) else None
        if _recent(checked, now):
            return False
        if _recent(_seconds(window.get_text(window.FRESH_REFRESHED)), now):
            return False  # a render caused by the service's own refresh
        if _recent(_seconds(window.get_text(window.FRESH_REQUESTED)), now):
            return False  # another list (or widget) asked already
        window.set_text(window.FRESH_REQUESTED, "%.3f" % now)
        xbmc.executebuiltin(BUILTIN)
        log.debug("Freshness check requested (last check of Trakt: %s)", checked)
        return True
    except Exception:
        log.debug("Could not ask the service for a freshness check", exc_info=True)
        return False
