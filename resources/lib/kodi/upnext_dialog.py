"""The Up Next dialog: the next episode's art, titles and a countdown, Play now / Stop.

:class:`UpNextDialog` is an ``xbmcgui.WindowXMLDialog`` over
``resources/skins/default/1080i/script-aiostreams-upnext.xml`` (Kodi's own control types, the
font every skin defines and one texture of ours: it works in Estuary and in any skin without an
Up Next dialog of its own). :func:`run_offer` shows it without blocking (``show``), updates the
countdown every quarter second from the caller's ``status`` and returns the user's choice, one
of :data:`CHOICES`. The caller's ``wait`` must be ``xbmc.Monitor().waitForAbort``: Kodi delivers
the dialog's ``onClick`` / ``onAction`` while the thread that opened it waits there.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple

import xbmcaddon
import xbmcgui

from resources.lib.constants import ADDON_ID
from resources.lib.kodi import strings
from resources.lib.kodi.localize import localize

XML_FILE = "script-aiostreams-upnext.xml"

PLAY, STOP, SELECT = "play", "stop", "select"
TIMEOUT_PLAY, TIMEOUT_CLOSE, DISMISSED = "timeout-play", "timeout-close", "dismissed"
CHOICES = (PLAY, STOP, SELECT, TIMEOUT_PLAY, TIMEOUT_CLOSE, DISMISSED)
# The choices after which the next episode is played.
PLAYS_NEXT = (PLAY, SELECT, TIMEOUT_PLAY)

PLAY_BUTTON, STOP_BUTTON, SELECT_BUTTON = 201, 202, 203
# Kodi's action ids: back / close leave the episode playing, the remote's Stop stops it.
_DISMISS_ACTIONS = (9, 10, 92)  # ACTION_PARENT_DIR, ACTION_PREVIOUS_MENU, ACTION_NAV_BACK
_STOP_ACTION = 13

# The playback is "playing" with this many seconds left, "ended" or "stopped".
PLAYING, ENDED, STOPPED = "playing", "ended", "stopped"
Status = Tuple[str, float]
# The countdown ends this long before the episode does: the next one then replaces it without a
# trip through the home screen (the episode counts as watched long before).
END_LEAD_SECONDS = 1.0
TICK_SECONDS = 0.25


@dataclass(frozen=True)
class UpNextOffer:
    """What the dialog shows about the next episode."""

    show_title: str
    season: int
    number: int
    title: str
    thumb: str = ""
    auto: bool = True
    nothing_playable: bool = False

    @property
    def plays_at_end(self) -> bool:
        """Does the countdown's end play the next episode (mode auto, something to play)?"""
        return self.auto and not self.nothing_playable

    def episode_line(self) -> str:
        title = self.title or localize(strings.UPNEXT_NEXT_EPISODE)
        return localize(
            strings.UPNEXT_EPISODE_LINE, season=self.season, episode=self.number, title=title
        )

    def countdown_text(self, seconds: int) -> str:
        word = strings.UPNEXT_STARTS_IN if self.plays_at_end else strings.UPNEXT_CLOSES_IN
        return localize(word, seconds=seconds)


class UpNextDialog(xbmcgui.WindowXMLDialog):
    """The dialog; ``choice`` is None until a button or an action decides."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice: Optional[str] = None
        self.nothing_playable = False

    def fill(self, offer: UpNextOffer) -> None:
        """The window properties the XML shows (set before ``show``)."""
        self.nothing_playable = offer.nothing_playable
        self.setProperty("upnext.show", offer.show_title)
        self.setProperty("upnext.episode", offer.episode_line())
        self.setProperty("upnext.thumb", offer.thumb)
        self.setProperty("upnext.nothing_playable", "true" if offer.nothing_playable else "")

    def set_countdown(self, text: str) -> None:
        self.setProperty("upnext.countdown", text)

    def onInit(self) -> None:  # noqa: N802 (Kodi's names)
        if self.nothing_playable:
            self.setFocusId(SELECT_BUTTON)

    def onClick(self, controlId: int) -> None:  # noqa: N802, N803
        chosen = {PLAY_BUTTON: PLAY, STOP_BUTTON: STOP, SELECT_BUTTON: SELECT}.get(controlId)
        if chosen is not None:
            self._decide(chosen)

    def onAction(self, action: Any) -> None:  # noqa: N802
        action_id = action.getId()
        if action_id in _DISMISS_ACTIONS:
            self._decide(DISMISSED)
        elif action_id == _STOP_ACTION:
            self._decide(STOP)

    def _decide(self, choice: str) -> None:
        if self.choice is None:
            self.choice = choice
        self.close()


def open_dialog(offer: UpNextOffer) -> UpNextDialog:
    """The dialog filled with ``offer``, shown (not modal: the caller drives the countdown)."""
    path = xbmcaddon.Addon(ADDON_ID).getAddonInfo("path")
    dialog = UpNextDialog(XML_FILE, path, "default", "1080i")
    dialog.fill(offer)
    dialog.setProperty("upnext.fallback", os.path.join(path, "resources", "media", "fanart.jpg"))
    dialog.set_countdown("")
    dialog.show()
    return dialog


def countdown_choice(offer: UpNextOffer, status: Status) -> Optional[str]:
    """The choice the playback itself makes (None: keep counting). Stopped by the user: nothing
    plays; ended, or within :data:`END_LEAD_SECONDS` of the end: the countdown is over."""
    state, seconds_left = status
    if state == STOPPED:
        return DISMISSED
    if state == ENDED or seconds_left <= END_LEAD_SECONDS:
        return TIMEOUT_PLAY if offer.plays_at_end else TIMEOUT_CLOSE
    return None


def run_offer(
    offer: UpNextOffer,
    status: Callable[[], Status],
    wait: Callable[[float], bool],
    on_open: Callable[[], None] = lambda: None,
    opener: Callable[[UpNextOffer], Any] = open_dialog,
) -> str:
    """Shows the dialog until the user or the countdown decides; returns the choice."""
    dialog = opener(offer)
    on_open()
    try:
        while True:
            if dialog.choice is not None:
                return str(dialog.choice)
            current = status()
            ended = countdown_choice(offer, current)
            if ended is not None:
                return ended
            # Counts down to the countdown's end, which is END_LEAD_SECONDS before the end.
            seconds = max(1, int(math.ceil(current[1] - END_LEAD_SECONDS)))
            dialog.set_countdown(offer.countdown_text(seconds))
            if wait(TICK_SECONDS):  # Kodi is shutting down
                return DISMISSED
    finally:
        dialog.close()


__all__ = [
    "CHOICES",
    "DISMISSED",
    "PLAY",
    "PLAYS_NEXT",
    "SELECT",
    "STOP",
    "TIMEOUT_CLOSE",
    "TIMEOUT_PLAY",
    "UpNextDialog",
    "UpNextOffer",
    "countdown_choice",
    "open_dialog",
    "run_offer",
]
