"""Playback on the Kodi side, plugin half: the resolved ListItem, the source select, closing
the busy dialogs, and the hand-off to the service.

One short-lived interpreter per play: :func:`build_resolved_item`, :func:`select_stream`,
:func:`publish_now_playing` and :class:`Resolver` (exactly one ``setResolvedUrl`` per handle).

The service half: the Kodi-free worker and wiring are in ``scrobble/`` (``worker``,
``playback``); Kodi's pieces in :mod:`.scrobble_worker` (the ``xbmc.Player`` subclass and the
player calls) and :mod:`.scrobbling` (``PlaybackScrobbling`` with those plugged in, which the
service imports from here).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import xbmc
import xbmcgui
import xbmcplugin

from resources.lib.kodi.scrobble_worker import KodiPlayback, PlayerMonitor
from resources.lib.kodi.scrobbling import QUIT_SEND_SECONDS, PlaybackScrobbling
from resources.lib.kodi.window import HOME_WINDOW_ID, NOW_PLAYING_PROPERTY
from resources.lib.kodi.window import PLAY_RETRY_PROPERTY as RETRY_PROPERTY
from resources.lib.scrobble.media import NowPlaying

log = logging.getLogger(__name__)

EXCLUDE_PROPERTY = "script.trakt.exclude"


class Resolver:
    """Answers Kodi's resolve request for one handle exactly once.

    ``succeed`` / ``fail`` after the first answer are ignored with a warning: calling
    ``setResolvedUrl`` twice on one handle confuses Kodi's player.
    """

    def __init__(self, handle: int) -> None:
        self.handle = handle
        self.answered: Optional[bool] = None

    def succeed(self, listitem: Any) -> None:
        self._answer(True, listitem)

    def fail(self) -> None:
        self._answer(False, xbmcgui.ListItem(offscreen=True))

    def _answer(self, ok: bool, listitem: Any) -> None:
        if self.answered is not None:
            log.warning("setResolvedUrl already called for handle %d; ignored", self.handle)
            return
        self.answered = ok
        if self.handle >= 0:
            xbmcplugin.setResolvedUrl(self.handle, ok, listitem)


@dataclass
class PlaybackInfo:
    """Metadata for the resolved item (all optional but ``path``)."""

    path: str
    mime_type: str = "video/mp4"
    subtitles: List[str] = field(default_factory=list)
    mediatype: str = ""
    title: str = ""
    tvshowtitle: str = ""
    season: Optional[int] = None
    episode: Optional[int] = None
    unique_ids: Dict[str, str] = field(default_factory=dict)
    resume_seconds: float = 0.0
    total_seconds: float = 0.0


def _default_id(ids: Dict[str, str]) -> str:
    for key in ("imdb", "tmdb", "trakt", "tvdb"):
        if ids.get(key):
            return key
    return ""


def build_resolved_item(info: PlaybackInfo) -> Any:
    """The ListItem handed to ``setResolvedUrl``: mime type, no content lookup (debrid links
    refuse HEAD), subtitles, ids, titles and the resume point (Kodi 20 tag or 19 properties)."""
    item = xbmcgui.ListItem(label=info.title, path=info.path, offscreen=True)
    item.setMimeType(info.mime_type)
    item.setContentLookup(False)
    if info.subtitles:
        item.setSubtitles(list(info.subtitles))
    item.setProperty(EXCLUDE_PROPERTY, "true")
    tag = None
    getter = getattr(item, "getVideoInfoTag", None)
    if getter is not None:
        try:
            tag = getter()
        except Exception:  # some Kodi 19 builds raise here
            tag = None
    if tag is not None and hasattr(tag, "setResumePoint") and hasattr(tag, "setUniqueIDs"):
        tag.setTitle(info.title)
        if info.mediatype:
            tag.setMediaType(info.mediatype)
        if info.tvshowtitle:
            tag.setTvShowTitle(info.tvshowtitle)
        if info.season is not None:
            tag.setSeason(int(info.season))
        if info.episode is not None:
            tag.setEpisode(int(info.episode))
        if info.unique_ids:
            tag.setUniqueIDs(dict(info.unique_ids), _default_id(info.unique_ids))
        if info.resume_seconds > 0:
            tag.setResumePoint(float(info.resume_seconds), float(info.total_seconds))
    else:
        labels: Dict[str, Any] = {"title": info.title}
        if info.mediatype:
            labels["mediatype"] = info.mediatype
        if info.tvshowtitle:
            labels["tvshowtitle"] = info.tvshowtitle
        if info.season is not None:
            labels["season"] = int(info.season)
        if info.episode is not None:
            labels["episode"] = int(info.episode)
        item.setInfo("video", labels)
        if info.unique_ids:
            item.setUniqueIDs(dict(info.unique_ids))
        if info.resume_seconds > 0:
            item.setProperty("ResumeTime", str(float(info.resume_seconds)))
            item.setProperty("TotalTime", str(float(info.total_seconds)))
    return item


def select_stream(heading: str, rows: Sequence[Tuple[str, str]]) -> int:
    """A source select with two lines per stream; the chosen index or -1 (cancelled)."""
    items = []
    for label, label2 in rows:
        items.append(xbmcgui.ListItem(label=label, label2=label2, offscreen=True))
    return int(xbmcgui.Dialog().select(heading, items, useDetails=True))


def close_busy_dialogs() -> None:
    """Close Kodi's busy spinners (shown while a plugin resolves) before an error dialog: a
    modal dialog opened under them cannot be seen or answered."""
    for dialog in ("busydialog", "busydialognocancel"):
        xbmc.executebuiltin(f"Dialog.Close({dialog},true)")


def publish_now_playing(now_playing: NowPlaying, retry_url: str = "") -> None:
    """Hand what is about to play to the service (and the one-time retry URL, if any)."""
    home = xbmcgui.Window(HOME_WINDOW_ID)
    home.setProperty(NOW_PLAYING_PROPERTY, now_playing.to_json())
    if retry_url:
        home.setProperty(RETRY_PROPERTY, json.dumps({"url": retry_url, "path": now_playing.path}))
    else:
        home.clearProperty(RETRY_PROPERTY)


__all__ = [
    "EXCLUDE_PROPERTY",
    "HOME_WINDOW_ID",
    "QUIT_SEND_SECONDS",
    "RETRY_PROPERTY",
    "KodiPlayback",
    "PlaybackInfo",
    "PlaybackScrobbling",
    "PlayerMonitor",
    "Resolver",
    "build_resolved_item",
    "close_busy_dialogs",
    "publish_now_playing",
    "select_stream",
]
