"""The Kodi calls Up Next's monitor makes, in one replaceable object (tests pass their own).

Player position and stop, the Home window's properties, ``PlayMedia``, the service.upnext check
and its ``JSONRPC.NotifyAll``, the wait that lets Kodi deliver the dialog's clicks, and the
dialog itself (:mod:`.upnext_dialog`, imported when first shown).
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any, Callable, Dict, Tuple

import xbmc
import xbmcgui

from resources.lib.kodi.scrobble_worker import KodiPlayback
from resources.lib.kodi.window import HOME_WINDOW_ID

log = logging.getLogger(__name__)

SERVICE_UPNEXT = "service.upnext"


class KodiUpNext(KodiPlayback):
    """Kodi's side of Up Next: the scrobbling's player calls (position, playing file, stop, the
    Home window's properties, ``PlayMedia``), plus what only Up Next needs. Every call guarded:
    the player may stop between two calls."""

    def __init__(self, player: Any = None, monitor: Any = None) -> None:
        super().__init__(player)
        self.monitor = monitor if monitor is not None else xbmc.Monitor()

    def set_property(self, name: str, value: str) -> None:
        xbmcgui.Window(HOME_WINDOW_ID).setProperty(name, value)

    def has_addon(self, addon_id: str) -> bool:
        """Installed and enabled (Kodi's ``System.HasAddon``)."""
        return bool(xbmc.getCondVisibility(f"System.HasAddon({addon_id})"))

    def notify_all(self, params: Dict[str, Any]) -> None:
        """``JSONRPC.NotifyAll``: how service.upnext (and other add-ons) are told things."""
        request = {"jsonrpc": "2.0", "id": 1, "method": "JSONRPC.NotifyAll", "params": params}
        answer = xbmc.executeJSONRPC(json.dumps(request))
        if '"error"' in answer:
            log.warning("JSONRPC.NotifyAll was refused: %s", answer[:200])

    def abort_requested(self) -> bool:
        return bool(self.monitor.abortRequested())

    def wait(self, seconds: float) -> bool:
        """Wait (Kodi delivers the dialog's callbacks meanwhile); True when Kodi is quitting."""
        return bool(self.monitor.waitForAbort(seconds))

    def run_dialog(
        self, offer: Any, status: Callable[[], Tuple[str, float]], on_open: Callable[[], None]
    ) -> str:
        from resources.lib.kodi import upnext_dialog

        return upnext_dialog.run_offer(offer, status, self.wait, on_open)


def cached_thumb(data_dir: str, show_imdb: str, season: int, number: int) -> str:
    """The next episode's picture from the meta cache (its thumb, else the show's fanart or
    poster), as the lists show it; "" when nothing is cached. Never the network."""
    if not show_imdb:
        return ""
    from resources.lib.browse.artwork import art_for_rows
    from resources.lib.database.meta_cache import FILE_NAME, MetaCache

    path = os.path.join(data_dir, FILE_NAME)
    if not os.path.exists(path):
        return ""
    row = {"type": "episode", "show_imdb_id": show_imdb, "season": season, "number": number}
    try:
        with MetaCache(path) as cache:
            found = art_for_rows(cache, [row])[0]
    except Exception:  # art is a nicety: a damaged cache never keeps the dialog away
        log.debug("No art for Up Next", exc_info=True)
        return ""
    if found is None:
        return ""
    art = found.art
    return art.thumb or art.fanart or art.poster or ""


__all__ = ["SERVICE_UPNEXT", "KodiUpNext", "cached_thumb"]
