"""The service's playback scrobbling with Kodi's parts plugged in.

:class:`PlaybackScrobbling` is the Kodi-free
:class:`resources.lib.scrobble.playback.PlaybackScrobbling` given Kodi's player
(:class:`~.scrobble_worker.KodiPlayback`), the placeholder setting, the localized notices, and
the :class:`~.scrobble_worker.PlayerMonitor` whose callbacks feed its worker. The service builds
it with ``PlaybackScrobbling(data_dir, context_factory)`` and calls ``start``, ``tick``,
``begin_quit`` and ``stop``. The end of a playback also reaches the optional rating prompt
(:class:`~.rating_prompt.PromptAfterPlayback`, which remembers each stop the mirror records).
"""

from __future__ import annotations

from typing import Any, Callable

from resources.lib.kodi.scrobble_worker import KodiPlayback, PlayerMonitor
from resources.lib.scrobble import playback as core
from resources.lib.scrobble.playback import FLUSH_MIN_INTERVAL, QUIT_SEND_SECONDS, played_item
from resources.lib.scrobble.resume import PLACEHOLDER_SECONDS


class PlaybackScrobbling(core.PlaybackScrobbling):
    """The core's scrobbling, fed by Kodi's player."""

    def __init__(self, data_dir: str, context_factory: Callable[[], Any]) -> None:
        from resources.lib.kodi.rating_prompt import PromptAfterPlayback

        self.rating_prompt = PromptAfterPlayback()
        super().__init__(
            data_dir,
            context_factory,
            playback=KodiPlayback(),
            placeholder_seconds=_placeholder_seconds,
            messages=_message,
            on_playback_end=self._playback_ended,
        )
        self.monitor = PlayerMonitor(self.worker.post)

    def _record_local(self, media: Any, action: Any, title: str = "") -> None:
        """A pause or stop for the mirror; the rating prompt remembers the item and progress."""
        self.rating_prompt.stopped(media, action.progress, title)
        super()._record_local(media, action, title)

    def _playback_ended(self) -> None:
        refresh_widgets_after_playback()
        self.rating_prompt.ended()  # decides in a thread of its own: the worker goes on


def refresh_widgets_after_playback() -> None:
    """A playback stopped or ended: watched state and Next Up changed, the widgets reload."""
    from resources.lib.kodi.prefetch import refresh_widgets

    refresh_widgets()


def _placeholder_seconds() -> float:
    from resources.lib.kodi.settings import load_settings

    try:
        return float(load_settings().playback_placeholder_seconds)
    except Exception:
        return PLACEHOLDER_SECONDS


def _message(key: str) -> str:
    from resources.lib.kodi import strings
    from resources.lib.kodi.localize import localize

    ids = {"placeholder": strings.PLACEHOLDER_CLIP, "placeholder_retry": strings.PLACEHOLDER_RETRY}
    return localize(ids[key]) if key in ids else key


__all__ = ["FLUSH_MIN_INTERVAL", "QUIT_SEND_SECONDS", "PlaybackScrobbling", "played_item"]
