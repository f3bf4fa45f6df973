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
