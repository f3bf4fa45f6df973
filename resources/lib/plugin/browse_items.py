"""Browse records (``browse.records``) as directory items, and a page status as one item.

A movie plays through the play route; a show (or any other type with a meta) opens its show
page. Each item carries what the meta holds (title, year, plot, rating, genres, runtime, poster,
fanart, logo) and the mirror's mark (play count, resume point). A status other than OK becomes
exactly one item that says what happened and, where something can be done, opens it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from resources.lib.browse.records import Art, Episode, Item, Mark, Status
from resources.lib.constants import ADDON_ID
from resources.lib.kodi.directory import Item as Entry
from resources.lib.kodi.localize import localize
from resources.lib.plugin import texts
from resources.lib.plugin.urls import play_url, url_for

DIM = "FF808080"  # unaired episodes: grey, like Kodi's own "unavailable" items
SETTINGS_BUILTIN = f"Addon.OpenSettings({ADDON_ID})"

_STATUS_TEXT = {
    Status.EMPTY: texts.CATALOG_EMPTY,
    Status.END: texts.CATALOG_END,
    Status.NO_MANIFEST: texts.NO_MANIFEST,
    Status.NO_SEARCH_CATALOGS: texts.NO_SEARCH_CATALOGS,
    Status.UNKNOWN_CATALOG: texts.UNKNOWN_CATALOG,
    Status.NOT_FOUND: texts.NOT_FOUND,
    Status.UNREACHABLE: texts.UNREACHABLE,
    Status.RATE_LIMITED: texts.RATE_LIMITED,
    Status.BAD_RESPONSE: texts.BAD_RESPONSE,
    Status.ABORTED: texts.ABORTED,
}


def status_text(status: Status, message: str = "", query: str = "") -> str:
    """The words for a page status (AIOStreams' own text for an instance error)."""
    if status is Status.INSTANCE_ERROR:
        from resources.lib.aiostreams.text import display_text

        return localize(texts.INSTANCE_ERROR, message=display_text(message) or "-")
    if status is Status.NO_RESULTS:
        return localize(texts.NO_RESULTS, query=query)
    return localize(_STATUS_TEXT.get(status, texts.BAD_RESPONSE))


def status_item(status: Status, message: str = "", query: str = "", retry: str = "") -> Entry:
    """One item for a page that has nothing to list; it opens the place to fix the cause:
    the settings without a manifest, the catalogs menu for a vanished catalog, ``retry`` (the
    page itself) after a network failure, else nothing."""
    if status is Status.NO_MANIFEST:
        url = url_for("open_settings")
    elif status is Status.UNKNOWN_CATALOG:
        url = url_for("catalogs", refresh=1)
    elif status in (Status.UNREACHABLE, Status.RATE_LIMITED, Status.ABORTED) and retry:
        url = retry
    else:
        url = url_for("noop")
    is_folder = url.startswith(url_for("catalogs")) or (bool(retry) and url == retry)
    return Entry(status_text(status, message, query), url, is_folder=is_folder)


def art_dict(art: Art, episode: bool = False) -> Dict[str, str]:
    """Kodi art keys from a record's art: poster, fanart, clearlogo, thumb (the still of an
    episode, else the poster), icon."""
    found: Dict[str, str] = {}
    if art.poster:
        found["poster"] = art.poster
        if not episode:
            found["tvshow.poster"] = art.poster
    if art.fanart:
        found["fanart"] = art.fanart
    if art.logo:
        found["clearlogo"] = art.logo
    thumb = art.thumb or (art.fanart if episode else art.poster)
    if thumb:
        found["thumb"] = thumb
        found["icon"] = thumb
    return found


def _resume(mark: Mark, runtime: Optional[int]) -> Tuple[Optional[float], Optional[float]]:
    seconds = mark.resume_seconds(runtime)
    total = float(runtime * 60) if runtime else None
    return (float(seconds) if seconds else None), total


def _label(item: Item) -> str:
    return f"{item.title} ({item.year})" if item.year else item.title


def media_entry(item: Item) -> Entry:
    """A catalog item, search result or list entry: a movie plays, anything else opens its
    show page."""
    resume, total = _resume(item.mark, item.runtime)
    common: Dict[str, Any] = dict(
        title=item.title,
        year=item.year,
        plot=item.plot or "",
        rating=item.rating,
        genres=tuple(item.genres),
        art=art_dict(item.art),
        unique_ids=_ids(item.imdb_id, item.mark.trakt_id),
        total_seconds=total,
        user_rating=item.mark.rating,
    )
    if item.is_movie:
        url = play_url(
            type="movie",
            imdb=item.imdb_id,
            trakt=item.mark.trakt_id,
            title=item.title,
            runtime=item.runtime,
        )
        entry = Entry(
            _label(item),
            url,
            playable=bool(item.imdb_id),
            mediatype="movie",
            playcount=item.mark.playcount if item.mark.watched else 0,
            resume_seconds=resume,
            **common,
        )
        if not item.imdb_id:  # the play route needs an IMDb or TMDB id
            entry.url = url_for("show", id=item.stremio_id, type=item.media_type)
    else:
        url = url_for("show", id=item.stremio_id, type=item.media_type)
        common["total_seconds"] = None
        entry = Entry(
            _label(item),
            url,
            is_folder=True,
            mediatype="tvshow",
            tvshowtitle=item.title,
            playcount=1 if item.mark.watched else 0,
            **common,
        )
    from resources.lib.plugin.context_menu import item_entries
    from resources.lib.plugin.rate_menu import item_entries as rate_entries

    found = item_entries(item) + rate_entries(item)
    entry.context_menu = [(localize(label), cmd) for label, cmd in found]
    return entry


def _ids(imdb: Optional[str], trakt: Optional[int]) -> Dict[str, str]:
    ids = {}
    if imdb:
        ids["imdb"] = imdb
    if trakt:
        ids["trakt"] = str(trakt)
    return ids


def season_label(number: int) -> str:
    return localize(texts.SPECIALS) if number == 0 else localize(texts.SEASON, number=number)


def episode_entry(show: Item, episode: Episode) -> Entry:
    """One episode of a season page: playable when aired (dimmed and inert when not), with
    the mirror's play count, resume point and the Next Up mark."""
    mark = episode.mark
    resume, total = _resume(mark, show.runtime)
    label = "%d. %s" % (episode.number, episode.title or "")
    label2 = ""
    properties: Dict[str, str] = {}
    if mark.next_up:
        label = f"[B]{label}[/B]"
        label2 = localize(texts.NEXT_UP_MARK)
        properties["AIOStreams.NextUp"] = "true"
    if episode.aired and show.imdb_id:
        url = play_url(
            type="episode",
            show_imdb=show.imdb_id,
            show=show.mark.trakt_id,
            season=episode.season,
            episode=episode.number,
            title=episode.title,
            show_title=show.title,
            runtime=show.runtime,
        )
    else:  # the play route needs the show's IMDb id (a kitsu-only anime cannot be played)
        url = url_for("noop", reason="not_aired" if not episode.aired else "no_imdb_id")
    if not episode.aired:
        label = f"[COLOR {DIM}]{label}[/COLOR]"
        date = (episode.released or "")[:10]
        label2 = localize(texts.NOT_AIRED_ON, date=date) if date else localize(texts.NOT_AIRED)
    entry = Entry(
        label,
        url,
        playable=episode.aired and bool(show.imdb_id),
        mediatype="episode",
        title=episode.title or "",
        tvshowtitle=show.title,
        season=episode.season,
        episode=episode.number,
        first_aired=(episode.released or "")[:10],
        plot=episode.plot or "",
        # Kodi's watched overlay is playcount > 0: plays from before a rewatch reset do not count
        playcount=mark.playcount if mark.watched else 0,
        resume_seconds=resume,
        total_seconds=total,
        label2=label2,
        art=art_dict(episode.art, episode=True),
        properties=properties,
        user_rating=mark.rating,
    )
    from resources.lib.plugin.context_menu import episode_entries
    from resources.lib.plugin.rate_menu import episode_entries as rate_entries

    found = episode_entries(show, episode) + rate_entries(show, episode)
    entry.context_menu = [(localize(text), cmd) for text, cmd in found]
    return entry


def type_label(media_type: str) -> str:
    if media_type == "movie":
        return localize(texts.TYPE_MOVIE)
    if media_type == "series":
        return localize(texts.TYPE_SERIES)
    return localize(texts.TYPE_OTHER, type=media_type.capitalize())


def with_status_on_top(status: Status, items: List[Entry], message: str = "") -> List[Entry]:
    """Items of a page that answered partly (an add-on failed): its text first, then the items."""
    if not message:
        return items
    return [Entry(status_text(status, message), url_for("noop"))] + items
