"""Plugin directories: plain :class:`Item` values in, Kodi ListItems out.

Kodi 20+ fills video metadata through ``ListItem.getVideoInfoTag()`` setters; Kodi 19's info tag
has getters only, so there ``setInfo('video', ...)``, ``setUniqueIDs`` and the ResumeTime/TotalTime
properties are used instead. Views never touch ``xbmcgui``/``xbmcplugin`` themselves.

The user's own Trakt rating (``user_rating``, 1-10) goes into the info tag's user rating (Kodi
20+ ``setUserRating``, Kodi 19 ``userrating``) and, readable in any skin, as the first line of the
plot ("Your rating: 8"): Estuary's list view shows the focused item's plot beside the list, while
a plugin's ``label2`` is replaced there by Kodi's default label mask (the duration).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import xbmcgui
import xbmcplugin


@dataclass
class Item:
    """One directory entry (only `label` and `url` are required)."""

    label: str
    url: str
    is_folder: bool = False
    playable: bool = False
    mediatype: str = ""
    title: str = ""
    year: Optional[int] = None
    tvshowtitle: str = ""
    season: Optional[int] = None
    episode: Optional[int] = None
    first_aired: str = ""
    plot: str = ""
    unique_ids: Dict[str, str] = field(default_factory=dict)
    playcount: Optional[int] = None
    resume_seconds: Optional[float] = None
    total_seconds: Optional[float] = None
    label2: str = ""
    icon: str = ""
    context_menu: List[Tuple[str, str]] = field(default_factory=list)
    art: Dict[str, str] = field(default_factory=dict)  # poster, fanart, clearlogo, thumb ...
    rating: Optional[float] = None
    genres: Tuple[str, ...] = ()
    properties: Dict[str, str] = field(default_factory=dict)
    user_rating: Optional[int] = None  # the user's own Trakt rating, 1-10


def _valid_rating(value: Any) -> Optional[int]:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10:
        return None
    return value


def _plot(item: Item) -> str:
    """The plot, with the user's rating as its first line when there is one."""
    rating = _valid_rating(item.user_rating)
    if rating is None:
        return item.plot
    from .localize import localize
    from .strings import YOUR_RATING

    line = localize(YOUR_RATING, rating=rating)
    return line + "[CR]" + item.plot if item.plot else line


def _has_v20_setters(tag: Any) -> bool:
    return tag is not None and hasattr(tag, "setMediaType") and hasattr(tag, "setUniqueIDs")


def _default_id(ids: Dict[str, str]) -> str:
    for key in ("tmdb", "imdb", "trakt", "tvdb"):
        if ids.get(key):
            return key
    return ""


def _apply_v20(tag: Any, item: Item) -> None:
    tag.setTitle(item.title or item.label)
    if item.mediatype:
        tag.setMediaType(item.mediatype)
    if item.year:
        tag.setYear(int(item.year))
    if item.tvshowtitle:
        tag.setTvShowTitle(item.tvshowtitle)
    if item.season is not None:
        tag.setSeason(int(item.season))
    if item.episode is not None:
        tag.setEpisode(int(item.episode))
    if item.first_aired:
        tag.setFirstAired(item.first_aired)
    plot = _plot(item)
    if plot:
        tag.setPlot(plot)
    if _valid_rating(item.user_rating) is not None:
        tag.setUserRating(int(item.user_rating or 0))
    if item.unique_ids:
        tag.setUniqueIDs(item.unique_ids, _default_id(item.unique_ids))
    if item.playcount is not None:
        tag.setPlaycount(int(item.playcount))
    if item.total_seconds:
        tag.setDuration(int(item.total_seconds))
    if item.resume_seconds and item.total_seconds:
        tag.setResumePoint(float(item.resume_seconds), float(item.total_seconds))
    if item.rating:
        tag.setRating(float(item.rating))
    if item.genres:
        tag.setGenres(list(item.genres))


def _apply_v19(listitem: Any, item: Item) -> None:
    info: Dict[str, Any] = {"title": item.title or item.label}
    if item.mediatype:
        info["mediatype"] = item.mediatype
    if item.year:
        info["year"] = int(item.year)
    if item.tvshowtitle:
        info["tvshowtitle"] = item.tvshowtitle
    if item.season is not None:
        info["season"] = int(item.season)
    if item.episode is not None:
        info["episode"] = int(item.episode)
    if item.first_aired:
        info["aired"] = item.first_aired
    plot = _plot(item)
    if plot:
        info["plot"] = plot
    if _valid_rating(item.user_rating) is not None:
        info["userrating"] = int(item.user_rating or 0)
    if item.playcount is not None:
        info["playcount"] = int(item.playcount)
    if item.total_seconds:
        info["duration"] = int(item.total_seconds)
    if item.rating:
        info["rating"] = float(item.rating)
    if item.genres:
        info["genre"] = " / ".join(item.genres)
    listitem.setInfo("video", info)
    if item.unique_ids:
        listitem.setUniqueIDs(item.unique_ids)
    if item.resume_seconds and item.total_seconds:
        listitem.setProperty("ResumeTime", str(float(item.resume_seconds)))
        listitem.setProperty("TotalTime", str(float(item.total_seconds)))


def build_listitem(item: Item) -> Any:
    """A ListItem for `item` on Kodi 19 (setInfo) or Kodi 20+ (InfoTagVideo)."""
    listitem = xbmcgui.ListItem(label=item.label, label2=item.label2, path=item.url, offscreen=True)
    tag = None
    getter = getattr(listitem, "getVideoInfoTag", None)
    if getter is not None:
        try:
            tag = getter()
        except Exception:  # some Kodi 19 builds raise for items without a video tag
            tag = None
    if _has_v20_setters(tag):
        _apply_v20(tag, item)
    else:
        _apply_v19(listitem, item)
    art = dict(item.art)
    if item.icon:
        art.setdefault("icon", item.icon)
        art.setdefault("thumb", item.icon)
    if art:
        listitem.setArt(art)
    for key, value in item.properties.items():
        listitem.setProperty(key, value)
    if item.playable:
        listitem.setProperty("IsPlayable", "true")
        # An installed script.trakt would scrobble our items a second time.
        listitem.setProperty("script.trakt.exclude", "true")
    if item.context_menu:
        listitem.addContextMenuItems(list(item.context_menu))
    return listitem


def show(handle: int, items: Sequence[Item], content: str = "videos", category: str = "") -> None:
    """List `items` and end the directory (never cached: the mirror changes in the background)."""
    if handle < 0:
        return
    if category:
        xbmcplugin.setPluginCategory(handle, category)
    xbmcplugin.setContent(handle, content)
    for item in items:
        xbmcplugin.addDirectoryItem(handle, item.url, build_listitem(item), item.is_folder)
    xbmcplugin.endOfDirectory(handle, succeeded=True, cacheToDisc=False)


def end_empty(handle: int) -> None:
    """An empty directory (refused or failed routes): Kodi shows nothing and no error box."""
    if handle >= 0:
        xbmcplugin.endOfDirectory(handle, succeeded=True, cacheToDisc=False)


def cancel(handle: int) -> None:
    """End a listing that shows nothing (a cancelled keyboard): Kodi stays where it was."""
    if handle >= 0:
        xbmcplugin.endOfDirectory(handle, succeeded=False, cacheToDisc=False)


def resolve_failed(handle: int) -> None:
    """Tell Kodi that a playable item has nothing to play."""
    if handle >= 0:
        xbmcplugin.setResolvedUrl(handle, False, xbmcgui.ListItem(offscreen=True))
