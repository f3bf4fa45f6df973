"""The player monitor inside the service, Kodi's half: what needs ``xbmc``.

:class:`PlayerMonitor` is the ``xbmc.Player`` subclass. Kodi calls its callbacks on its own
thread; they only queue events for the Kodi-free
:class:`~resources.lib.scrobble.worker.ScrobbleWorker`. :class:`KodiPlayback` is the worker's
:class:`~resources.lib.scrobble.worker.Playback`: position, length, seek, stop, the Home
window's properties and notifications.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, List, Optional, Tuple

import xbmc
import xbmcgui

from resources.lib.kodi.window import HOME_WINDOW_ID

log = logging.getLogger(__name__)


class PlayerMonitor(xbmc.Player):
    """Kodi's player callbacks, turned into events for the worker (no work on Kodi's thread)."""

    def __init__(self, post: Callable[..., None]) -> None:
        super().__init__()
        self._listeners: List[Callable[..., None]] = [post]

    def add_listener(self, post: Callable[..., None]) -> None:
        """One more receiver of the same events (Up Next's monitor): one Player subclass."""
        self._listeners.append(post)

    def _post(self, kind: str, value: Any = None) -> None:
        for post in list(self._listeners):
            try:
                post(kind) if value is None else post(kind, value)
            except Exception:  # one receiver's failure must not starve the others
                log.warning("A player event receiver failed", exc_info=True)

    def onAVStarted(self) -> None:  # noqa: N802 (Kodi's names)
        self._post("av_started")

    def onPlayBackPaused(self) -> None:  # noqa: N802
        self._post("paused")

    def onPlayBackResumed(self) -> None:  # noqa: N802
        self._post("resumed")

    def onPlayBackSeek(self, time_ms: int, seek_offset: int) -> None:  # noqa: N802
        self._post("seek", float(time_ms) / 1000.0)

    def onPlayBackStopped(self) -> None:  # noqa: N802
        self._post("stopped")

    def onPlayBackEnded(self) -> None:  # noqa: N802
        self._post("ended")

    def onPlayBackError(self) -> None:  # noqa: N802
        self._post("error")


class KodiPlayback:
    """The Kodi calls the worker needs, in one replaceable object (tests pass a fake)."""

    def __init__(self, player: Any = None) -> None:
        self.player = player if player is not None else xbmc.Player()

    def sample(self) -> Optional[Tuple[float, float]]:
        """``(time, total)`` in seconds while a video plays, else None (never raises)."""
        try:
            if not self.player.isPlayingVideo():
                return None
            return float(self.player.getTime()), float(self.player.getTotalTime())
        except Exception:  # stopped between the check and the call
            return None

    def playing_file(self) -> str:
        try:
            return str(self.player.getPlayingFile())
        except Exception:
            return ""

    def stop(self) -> None:
        try:
            self.player.stop()
        except Exception:
            log.debug("Player.stop failed", exc_info=True)

    def seek(self, seconds: float) -> None:
        try:
            self.player.seekTime(float(seconds))
        except Exception:
            log.debug("Player.seekTime failed", exc_info=True)

    def get_property(self, name: str) -> str:
        return xbmcgui.Window(HOME_WINDOW_ID).getProperty(name)

    def clear_property(self, name: str) -> None:
        xbmcgui.Window(HOME_WINDOW_ID).clearProperty(name)

    def play_url(self, url: str) -> None:
        xbmc.executebuiltin(f"PlayMedia({url})")

    def notify(self, message: str) -> None:
        from resources.lib.kodi import dialogs

        dialogs.notification(message, icon=dialogs.WARNING, time_ms=7000)


__all__ = ["KodiPlayback", "PlayerMonitor"]
