"""Items of the lists read from the local mirror, the state item of an empty list, and the
sync history view (the Trakt menu and its lists are in ``views_trakt``, the AIOStreams pages in
``views_browse`` and ``views_search``).

Browsing never touches the network: the lists come from TraktSyncDatabase read queries and the
authorisation check reads the token file. Rows are plain dicts from the database package; this
module turns them into :class:`~resources.lib.kodi.directory.Item` values.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Dict, List, Optional, Tuple

from resources.lib.database.trakt_sync.items import as_int
from resources.lib.kodi import directory, strings
from resources.lib.kodi.context import AddonContext, build_context
from resources.lib.kodi.directory import Item
from resources.lib.kodi.localize import localize
from resources.lib.plugin import texts
from resources.lib.plugin.urls import play_url, url_for

log = logging.getLogger(__name__)

_ID_KEYS = (("trakt", "trakt_id"), ("imdb", "imdb_id"), ("tmdb", "tmdb_id"), ("tvdb", "tvdb_id"))


# ------------------------------------------------------------------ helpers


def unique_ids(row: Dict[str, Any], prefix: str = "") -> Dict[str, str]:
    """{'trakt': '1', 'imdb': 'tt1', 'tmdb': '2'} from a row's id columns (empty ones omitted)."""
    ids = {}
    for name, column in _ID_KEYS:
        value = row.get(prefix + column)
        if value not in (None, "", 0):
            ids[name] = str(value)
    return ids


def _resume(row: Dict[str, Any]) -> Dict[str, Optional[float]]:
    """Resume point in seconds from Trakt's percent and the runtime (minutes) in the mirror."""
    runtime = as_int(row.get("runtime"))
    total = float(runtime * 60) if runtime else None
    try:
        progress = float(row.get("progress") or 0.0)
    except (TypeError, ValueError):
        progress = 0.0
    resume = total * progress / 100.0 if total and 0.0 < progress < 100.0 else None
    return {"resume_seconds": resume, "total_seconds": total, "progress": progress}


def _movie_label(row: Dict[str, Any]) -> str:
    title = str(row.get("title") or "")
    year = as_int(row.get("year"))
    return f"{title} ({year})" if year else title


def _episode_label(row: Dict[str, Any]) -> str:
    """The label: "Show 1x02. Title", or "Show 1x02" while Trakt has no title for it."""
    title = row.get("title") or ""
    return localize(
        strings.EPISODE_LABEL if title else strings.EPISODE_LABEL_UNTITLED,
        show=row.get("show_title") or "",
        season=as_int(row.get("season")) or 0,
        episode=as_int(row.get("number")) or 0,
        title=title,
    )


def _play_url(row: Dict[str, Any], kind: str) -> str:
    """``plugin://plugin.video.aiostreams/play?...``: ids, numbers, titles and runtime."""
    ids = unique_ids(row)
    episode = kind == "episode"
    return play_url(
        type=kind,
        trakt=ids.get("trakt"),
        imdb=ids.get("imdb"),
        tmdb=ids.get("tmdb"),
        show=row.get("show_trakt_id") if episode else None,
        show_imdb=row.get("show_imdb_id") if episode else None,
        show_tmdb=row.get("show_tmdb_id") if episode else None,
        season=as_int(row.get("season")) if episode else None,
        episode=as_int(row.get("number")) if episode else None,
        title=row.get("title") or None,
        show_title=row.get("show_title") if episode else None,
        runtime=as_int(row.get("runtime")),
    )


def episode_item(row: Dict[str, Any], not_playable: str = "") -> Item:
    """An episode of a list; with ``not_playable`` (a noop reason) it is listed, not played."""
    resume = _resume(row)
    progress = resume["progress"] or 0.0
    return Item(
        label=_episode_label(row),
        url=url_for("noop", reason=not_playable) if not_playable else _play_url(row, "episode"),
        playable=not not_playable,
        mediatype="episode",
        title=str(row.get("title") or ""),
        year=as_int(row.get("show_year")),
        tvshowtitle=str(row.get("show_title") or ""),
        season=as_int(row.get("season")),
        episode=as_int(row.get("number")),
        first_aired=str(row.get("first_aired") or "")[:10],
        unique_ids=unique_ids(row),
        playcount=0,
        resume_seconds=resume["resume_seconds"],
        total_seconds=resume["total_seconds"],
        label2=f"{progress:.0f}%" if progress else "",
    )


def movie_item(row: Dict[str, Any]) -> Item:
    resume = _resume(row)
    progress = resume["progress"] or 0.0
    plays = as_int(row.get("plays"))
    return Item(
        label=_movie_label(row),
        url=_play_url(row, "movie"),
        playable=True,
        mediatype="movie",
        title=str(row.get("title") or ""),
        year=as_int(row.get("year")),
        unique_ids=unique_ids(row),
        playcount=plays if plays is not None else None,
        resume_seconds=resume["resume_seconds"],
        total_seconds=resume["total_seconds"],
        label2=f"{progress:.0f}%" if progress else "",
    )


def show_item(row: Dict[str, Any]) -> Item:
    return Item(
        label=_movie_label(row),
        url=_play_url(row, "show"),
        mediatype="tvshow",
        title=str(row.get("title") or ""),
        year=as_int(row.get("year")),
        tvshowtitle=str(row.get("title") or ""),
        unique_ids=unique_ids(row),
    )


def _not_authorised_item() -> Item:
    return Item(localize(strings.NOT_AUTHORISED), url_for("trakt_auth"))


def _empty_state(ctx: AddonContext, empty: Tuple[int, str]) -> Item:
    """Why a list has nothing to show, as one item that opens the place to fix it.

    Not authorised opens the (guided) authorisation; before the first sync completes it says
    that a sync is running, or offers one; after that the list is genuinely empty (``empty``:
    the view's own label and route).
    """
    if not ctx.is_authorised():
        return _not_authorised_item()
    # A plugin call never creates the database (the service does): no file, no sync yet.
    exists = os.path.exists(ctx.paths.db_path)
    if not exists or ctx.db.last_sync_at() is None:
        if exists and ctx.db.sync_in_progress():
            return Item(localize(strings.FIRST_SYNC_RUNNING), url_for("noop"))
        return Item(localize(strings.FIRST_SYNC_PENDING), url_for("force_sync"))
    label, action = empty
    return Item(localize(label), url_for(action))


def _view_items(ctx: AddonContext, read: Any, empty: Tuple[int, str]) -> List[Item]:
    """The rows of a view; a state item only where there is nothing to list.

    Rows are listed whenever the mirror has them, even before the first sync (a 2.7.x upgrade's
    migrated lists show at once). Not authorised with data: the data plus one info item on top.
    """
    items: List[Item] = read(ctx) if os.path.exists(ctx.paths.db_path) else []
    if not items:
        return [_empty_state(ctx, empty)]
    if not ctx.is_authorised():
        return [_not_authorised_item()] + items
    return items


def _unreadable_item(exc: Exception, what: str) -> Item:
    """The one item of a list that could not be read.

    A database that cannot be used (a full disk, a read-only folder, another program's file) is
    named in words from strings.po with a warning line; anything else says "see the Kodi log"
    and logs the traceback. No dialog: the list may be a widget on the home screen.
    """
    from resources.lib.database.storage import DatabaseUnavailable

    if isinstance(exc, DatabaseUnavailable):
        log.warning("%s could not be read: the database cannot be used: %s", what, exc)
        label = localize(strings.storage_message_id(exc.code), error=str(exc)[:120])
    else:
        log.exception("%s could not be read", what)
        label = localize(strings.LIST_UNREADABLE)
    return Item(label, url_for("noop"))


def _category(category: int, page: int) -> str:
    """The list's name, with the page number from page 2 on."""
    name = localize(category)
    return name if page <= 1 else localize(texts.PAGE_CATEGORY, category=name, page=page)


def list_view(
    handle: int, category: int, content: str, read: Any, empty: int, page: int = 1
) -> None:
    """Show one list; a list is never an empty folder (``empty``: its genuinely-empty label).
    ``page``: the page of a paged list (its number shows in the category from page 2 on)."""
    ctx = build_context()
    try:
        try:
            items = _view_items(ctx, read, (empty, "noop"))
        except Exception as exc:  # a broken database: say so in the list, details in the log
            items = [_unreadable_item(exc, localize(category))]
            content = "files"
        directory.show(handle, items, content=content, category=_category(category, page))
    finally:
        ctx.close()
    from resources.lib.kodi import freshness  # after the list is shown: it never waits

    freshness.request_if_stale()


# -------------------------------------------------------------------- views


def with_menu(item: Item, row: Dict[str, Any], view: str) -> Item:
    """``item`` with the context-menu entries of ``row`` (mark watched, watchlist, ...)."""
    from resources.lib.plugin.context_menu import menu_entries

    item.context_menu = [(localize(label), cmd) for label, cmd in menu_entries(row, view)]
    return item


def sync_history(handle: int) -> None:
    """The runs, newest first; without any, why (not authorised, first sync) or a sync to run."""
    from resources.lib.plugin.actions import history_lines

    ctx = build_context()
    try:
        try:
            exists = os.path.exists(ctx.paths.db_path)
            lines = history_lines(ctx) if exists else []
            if lines:
                items = [Item(line, url_for("noop")) for line in lines]
            else:
                items = [_empty_state(ctx, (strings.HISTORY_EMPTY, "force_sync"))]
        except Exception as exc:  # a broken database: say so in the list, details in the log
            items = [_unreadable_item(exc, localize(strings.SYNC_HISTORY))]
        directory.show(handle, items, content="files", category=localize(strings.SYNC_HISTORY))
    finally:
        ctx.close()


def noop(handle: int) -> None:
    directory.end_empty(handle)
