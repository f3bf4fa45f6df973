"""The Trakt menu and its lists, read from the local mirror, with art from the meta cache.

Next Up, In Progress, the watchlists, the collection and the list views get poster, fanart,
thumb and plot from ``meta_cache.db`` (:func:`browse.artwork.art_for_rows`: one cache read per
list, never the network; the service fills the cache after a sync). An item whose meta is not
cached yet is shown as text and has its art the next time. No view here opens a dialog, so each
works as a home-screen widget.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Callable, Dict, List, Optional

from resources.lib.kodi import directory, strings
from resources.lib.kodi.context import AddonContext, build_context
from resources.lib.kodi.directory import Item
from resources.lib.kodi.localize import localize
from resources.lib.plugin import list_ratings, texts, views
from resources.lib.plugin.urls import url_for

log = logging.getLogger(__name__)

MENU = (
    (strings.NEXT_UP, "next_up"),
    (strings.IN_PROGRESS, "in_progress"),
    (strings.UPCOMING, "upcoming"),  # h26-upcoming
    (strings.RECENTLY_WATCHED, "recently_watched"),
    (strings.WATCHLIST_MOVIES, "watchlist_movies"),
    (strings.WATCHLIST_SHOWS, "watchlist_shows"),
    (texts.COLLECTION, "collection"),
    (texts.MY_LISTS, "lists_personal"),
    (texts.LIKED_LISTS, "lists_liked"),
    (strings.SYNC_HISTORY, "sync_history"),
)


def trakt_menu(handle: int) -> None:
    """Every Trakt entry; without a sign-in the first item says so and opens the sign-in."""
    ctx = build_context()
    try:
        authorised = ctx.is_authorised()
    finally:
        ctx.close()
    items = [] if authorised else [Item(localize(texts.TRAKT_NOT_SET), url_for("trakt_auth"))]
    items += [Item(localize(label), url_for(action), is_folder=True) for label, action in MENU]
    directory.show(handle, items, content="files", category=localize(strings.TRAKT))


# ---------------------------------------------------------------- art from the cache


def _cache(ctx: AddonContext) -> Any:
    from resources.lib.database.meta_cache import FILE_NAME, MetaCache

    return MetaCache(os.path.join(ctx.paths.data_dir, FILE_NAME))


def with_art(ctx: AddonContext, rows: List[Dict[str, Any]], items: List[Item]) -> List[Item]:
    """``items`` (one per row) with the cached art and details of their movie or show."""
    if not rows:
        return items
    from resources.lib.browse.artwork import art_for_rows

    try:
        cache = _cache(ctx)
        try:
            found = art_for_rows(cache, rows)
        finally:
            cache.close()
    except Exception:  # art is an extra: an unreadable cache leaves the text list
        log.warning("The meta cache could not be read; listing without art", exc_info=True)
        return items
    if not any(found):
        return items
    from resources.lib.plugin import browse_items  # only with art to show: a cold cache skips it

    for row, item, art in zip(rows, items, found):
        if art is None:
            continue
        episode = row.get("type") == "episode" or item.mediatype == "episode"
        item.art = dict(browse_items.art_dict(art.art, episode=episode), **item.art)
        details = art.item
        item.plot = item.plot or (art.episode_plot if episode else details.plot) or ""
        item.rating = item.rating if episode else details.rating
        item.genres = item.genres or tuple(details.genres)
        if not item.total_seconds and details.runtime:
            item.total_seconds = float(details.runtime * 60)
    return items


def _show_entry(row: Dict[str, Any], view: str) -> Item:
    """A show opens its show page (seasons and episodes) when its IMDb id is known."""
    item = views.with_menu(views.show_item(row), row, view)
    imdb = row.get("imdb_id")
    item.url = url_for("show", id=imdb, type="series") if imdb else url_for("noop")
    item.is_folder = bool(imdb)
    return item


def _entry(row: Dict[str, Any], view: str) -> Item:
    kind = row.get("type") or ("episode" if view == "next_up" else "movie")
    if kind == "show":
        return _show_entry(row, view)
    item = views.episode_item(row) if kind == "episode" else views.movie_item(row)
    return views.with_menu(item, row, view)


PAGE_SIZE = 100  # rows a page shows; a "Next page" item opens the next hundred


def page_number(params: Dict[str, str]) -> int:
    """The page a URL asks for (``page=2``); anything but a number from 1 to 9999 is page 1."""
    text = (params or {}).get("page", "")
    return int(text) if text.isdigit() and 0 < len(text) <= 4 and int(text) > 0 else 1


def _route(action: str, params: Optional[Dict[str, str]], **extra: Any) -> Dict[str, Any]:
    """The action and parameters of a list's next page: a widget path's ``widget=1`` stays."""
    route: Dict[str, Any] = dict(extra, action=action)
    widget = (params or {}).get("widget")
    if widget in ("1", "true"):
        route["widget"] = widget
    return route


def _all_rows(rows: List[Dict[str, Any]], limit: int, offset: int) -> List[Dict[str, Any]]:
    return rows[offset : offset + limit]


def _rows_view(
    handle: int,
    category: int,
    content: str,
    rows_of: Callable[[Any, int, int], List[Dict[str, Any]]],
    view: str,
    empty: int,
    page: int = 1,
    route: Optional[Dict[str, Any]] = None,
) -> None:
    """One page of a list: ``rows_of(db, limit, offset)`` reads one row more than a page holds,
    so a "Next page" item (``route``: the action and parameters of this list) is added only
    when there is a next page."""

    def read(ctx: AddonContext) -> List[Item]:
        rows = rows_of(ctx.db, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        items = with_art(ctx, rows, [_entry(row, view) for row in rows])
        items = list_ratings.with_ratings(ctx.db, rows, items)  # h27: one read per page
        if more and route:
            url = url_for(**dict(route, page=page + 1))
            items.append(Item(localize(texts.NEXT_PAGE), url, is_folder=True))
        return items

    views.list_view(handle, category, content, read, empty, page=page)


def next_up(handle: int, params: Optional[Dict[str, str]] = None) -> None:
    _rows_view(
        handle,
        strings.NEXT_UP,
        "episodes",
        lambda db, limit, offset: db.next_up(limit=limit, offset=offset),
        "next_up",
        strings.NEXT_UP_EMPTY,
        page_number(params),
        _route("next_up", params),
    )


def in_progress(handle: int, params: Optional[Dict[str, str]] = None) -> None:
    _rows_view(
        handle,
        strings.IN_PROGRESS,
        "videos",
        lambda db, limit, offset: _all_rows(db.in_progress(), limit, offset),
        "in_progress",
        strings.IN_PROGRESS_EMPTY,
        page_number(params),
        _route("in_progress", params),
    )


def watchlist(handle: int, kind: str, params: Optional[Dict[str, str]] = None) -> None:
    if kind == "movie":
        _rows_view(
            handle,
            strings.WATCHLIST_MOVIES,
            "movies",
            lambda db, limit, offset: _all_rows(db.watchlist("movie"), limit, offset),
            "watchlist_movie",
            strings.WATCHLIST_MOVIES_EMPTY,
            page_number(params),
            _route("watchlist_movies", params),
        )
    else:
        _rows_view(
            handle,
            strings.WATCHLIST_SHOWS,
            "tvshows",
            lambda db, limit, offset: _all_rows(db.watchlist("show"), limit, offset),
            "watchlist_show",
            strings.WATCHLIST_SHOWS_EMPTY,
            page_number(params),
            _route("watchlist_shows", params),
        )


def collection(handle: int, params: Optional[Dict[str, str]] = None) -> None:
    _rows_view(
        handle,
        texts.COLLECTION,
        "videos",
        lambda db, limit, offset: _all_rows(db.collection(), limit, offset),
        "collection",
        texts.COLLECTION_EMPTY,
        page_number(params),
        _route("collection", params),
    )


# ---------------------------------------------------------------- Trakt lists


def lists(handle: int, kind: str) -> None:
    """My lists (``personal``) or the lists I liked (``liked``), each a folder of its items."""
    category = texts.MY_LISTS if kind == "personal" else texts.LIKED_LISTS

    def rows(ctx: AddonContext) -> List[Item]:
        items = []
        for row in ctx.db.lists(kind=kind):
            list_id = row.get("list_id")
            count = row.get("item_count")
            items.append(
                Item(
                    str(row.get("name") or list_id),
                    url_for("list_items", id=list_id),
                    is_folder=True,
                    label2=str(count) if count is not None else "",
                    plot=str(row.get("description") or ""),
                )
            )
        return items

    views.list_view(handle, category, "files", rows, texts.LIST_EMPTY)


def list_items(handle: int, params: Dict[str, str]) -> None:
    list_id = params.get("id", "")
    if not list_id.isdigit():
        log.warning("list_items refused: bad list id")
        directory.end_empty(handle)
        return
    _rows_view(
        handle,
        texts.MY_LISTS,
        "videos",
        lambda db, limit, offset: _all_rows(db.list_items(int(list_id)), limit, offset),
        "list",
        texts.LIST_EMPTY,
        page_number(params),
        _route("list_items", params, id=list_id),
    )


def sync_history(handle: int) -> None:
    views.sync_history(handle)
