"""Small Kodi facts for plugin and script calls: abort requested, video playing, builtins."""

from __future__ import annotations

from typing import Any

import xbmc

_monitor: Any = None


def abort_requested() -> bool:
    """True once Kodi is shutting down (long actions pass this on as `should_abort`)."""
    global _monitor
    if _monitor is None:
        _monitor = xbmc.Monitor()
    return bool(_monitor.abortRequested())


def is_playing_video() -> bool:
    try:
        return bool(xbmc.Player().isPlayingVideo())
    except Exception:  # no player during shutdown: nothing plays
        return False


def executebuiltin(command: str) -> None:
    xbmc.executebuiltin(command)


def wait_for_folder(path_part: str, timeout: float = 3.0, poll: float = 0.05) -> bool:
    """Waits until the window shows a folder whose path contains ``path_part`` and has finished
    loading; True if it did within ``timeout`` seconds, False otherwise (or on abort).

    A plugin that ends its listing and then sends ``Container.Update`` must wait for this: Kodi
    may handle the update while it is still inside the first listing's fetch, and then the
    first listing, finished last, replaces the second.
    """
    global _monitor
    if _monitor is None:
        _monitor = xbmc.Monitor()
    for _ in range(max(1, int(timeout / poll))):
        shown = xbmc.getInfoLabel("Container.FolderPath") or ""
        if path_part in shown and not xbmc.getCondVisibility("Container.IsUpdating"):
            return True
        if _monitor.waitForAbort(poll):
            return False
    return False
