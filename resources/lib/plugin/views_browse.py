"""The root menu and the AIOStreams pages: catalogs, a catalog's pages, a show's seasons, a
season's episodes.

Pages come from :mod:`resources.lib.browse.browser` (cached in ``meta_cache.db``; a cached page
sends no request) with the Trakt mirror's marks. A page that cannot list anything shows one item
saying why (:func:`browse_items.status_item`), never an empty folder, and no view opens a dialog,
so every folder here also works as a home-screen widget.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Dict, List, Optional

from resources.lib.browse.records import Status
from resources.lib.kodi import directory, strings
from resources.lib.kodi.context import AddonContext, build_context
from resources.lib.kodi.directory import Item
from resources.lib.kodi.localize import localize
from resources.lib.plugin import browse_items, texts
from resources.lib.plugin.urls import url_for

log = logging.getLogger(__name__)


def open_browser(ctx: AddonContext) -> Any:
    """The browse facade over the meta cache, with the mirror's marks when a mirror exists (a
    plugin call never creates the Trakt database: the service does)."""
    from resources.lib.browse.browser import open_browser as _open

    mirror = ctx.db if os.path.exists(ctx.paths.db_path) else None
    return _open(ctx.paths.data_dir, ctx.settings.aiostreams_manifest_url, mirror)


def _has_manifest(ctx: AddonContext) -> bool:
    return bool((ctx.settings.aiostreams_manifest_url or "").strip())


def root_items(ctx: AddonContext) -> List[Item]:
    """Search, Catalogs, Trakt, Settings; what cannot be used yet says why and opens the fix."""
    items = []
    for label, action in ((texts.SEARCH, "search"), (texts.CATALOGS, "catalogs")):
        if _has_manifest(ctx):
            items.append(Item(localize(label), url_for(action), is_folder=True))
        else:
            text = localize(texts.NEEDS_MANIFEST, label=localize(label))
            items.append(Item(text, url_for("open_settings")))
    if ctx.is_authorised():
        items.append(Item(localize(strings.TRAKT), url_for("trakt"), is_folder=True))
    else:
        text = localize(texts.NEEDS_TRAKT, label=localize(strings.TRAKT))
        items.append(Item(text, url_for("trakt_auth")))
    items.append(Item(localize(texts.SETTINGS), url_for("open_settings")))
    return items


def root(handle: int) -> None:
    ctx = build_context()
    try:
        items = root_items(ctx)
    finally:
        ctx.close()
    directory.show(handle, items, content="files", category=localize(strings.ADDON_NAME))


def _show(handle: int, items: List[Item], content: str, category: str) -> None:
    directory.show(handle, items, content=content, category=category)


def _show_status(
    handle: int, status: Status, message: str, category: str, retry: Optional[str] = None
) -> None:
    """A list that holds only the entry saying why there is nothing (and how to retry)."""
    _show(handle, [browse_items.status_item(status, message, retry=retry)], "files", category)


def catalogs(handle: int, params: Dict[str, str]) -> None:
    """Without ``type``: one folder per type (one type: its catalogs at once); with it: the
    catalogs of that type, named as the manifest names them."""
    ctx = build_context()
    try:
        browser = open_browser(ctx)
        menu = browser.catalogs(refresh=params.get("refresh") == "1")
    finally:
        ctx.close()
    category = localize(texts.CATALOGS)
    if menu.status is not Status.OK:
        retry = url_for("catalogs", refresh=1)
        _show_status(handle, menu.status, menu.message, category, retry=retry)
        return
    groups = menu.groups
    wanted = params.get("type")
    if not groups:
        _show(handle, [browse_items.status_item(Status.EMPTY)], "files", category)
        return
    if wanted is None and len(groups) > 1:
        items = [
            Item(browse_items.type_label(kind), url_for("catalogs", type=kind), is_folder=True)
            for kind, _ in groups
        ]
        _show(handle, items, "files", category)
        return
    found = [defs for kind, defs in groups if wanted is None or kind == wanted]
    defs = found[0] if found else []
    if not defs:
        _show(handle, [browse_items.status_item(Status.UNKNOWN_CATALOG)], "files", category)
        return
    items = [
        Item(
            catalog.name or catalog.id,
            url_for("catalog", type=catalog.type, id=catalog.id),
            is_folder=True,
        )
        for catalog in defs
    ]
    _show(handle, items, "files", browse_items.type_label(defs[0].type))


def _number(text: Optional[str], default: int = 0) -> int:
    try:
        value = int(text or default)
    except ValueError:
        return default
    return max(0, min(value, 1_000_000))


def catalog(handle: int, params: Dict[str, str]) -> None:
    """One page of a catalog: a genre choice on top where the manifest offers genres, the
    items, and "Next page" while the catalog goes on."""
    kind, catalog_id = params.get("type", ""), params.get("id", "")
    genre = params.get("genre") or None
    skip, size = _number(params.get("skip")), _number(params.get("size"))
    here = url_for(
        "catalog", type=kind, id=catalog_id, genre=genre, skip=skip or None, size=size or None
    )
    ctx = build_context()
    try:
        page = open_browser(ctx).catalog_page(kind, catalog_id, genre, skip, size)
    finally:
        ctx.close()
    name = page.catalog.name if page.catalog is not None else catalog_id
    if page.status is not Status.OK:
        _show_status(handle, page.status, page.message, name, retry=here)
        return
    items: List[Item] = []
    if page.catalog is not None and page.catalog.genres and skip == 0:
        label = localize(texts.GENRE, genre=page.genre or localize(texts.ALL_GENRES))
        items.append(Item(label, url_for("genres", type=kind, id=catalog_id), is_folder=True))
    items.extend(browse_items.media_entry(item) for item in page.items)
    if page.next_skip is not None:
        url = url_for(
            "catalog",
            type=kind,
            id=catalog_id,
            genre=page.genre,
            skip=page.next_skip,
            size=page.page_size,
        )
        items.append(
            Item(
                localize(texts.NEXT_PAGE), url, is_folder=True, properties={"SpecialSort": "bottom"}
            )
        )
    content = "movies" if kind == "movie" else "tvshows"
    _show(
        handle,
        browse_items.with_status_on_top(
            Status.INSTANCE_ERROR, items, page.errors[0] if page.errors else ""
        ),
        content,
        name,
    )


def genres(handle: int, params: Dict[str, str]) -> None:
    """The genre options of a catalog (from the cached manifest), each a folder of its page."""
    kind, catalog_id = params.get("type", ""), params.get("id", "")
    ctx = build_context()
    try:
        menu = open_browser(ctx).catalogs()
    finally:
        ctx.close()
    found = menu.find(kind, catalog_id) if menu.status is Status.OK else None
    if found is None or not found.genres:
        status = menu.status if menu.status is not Status.OK else Status.UNKNOWN_CATALOG
        _show_status(handle, status, menu.message, localize(texts.CHOOSE_GENRE))
        return
    items = []
    if found.default_genre is None:  # genre optional: "all genres" is the catalog itself
        first = url_for("catalog", type=kind, id=catalog_id)
        items.append(Item(localize(texts.ALL_GENRES), first, is_folder=True))
    for option in found.genres:
        items.append(
            Item(option, url_for("catalog", type=kind, id=catalog_id, genre=option), is_folder=True)
        )
    _show(handle, items, "files", localize(texts.CHOOSE_GENRE))


def show(handle: int, params: Dict[str, str]) -> None:
    """A show's seasons (specials last) with watched counts; a movie id opens its one item."""
    stremio_id, kind = params.get("id", ""), params.get("type") or "series"
    here = url_for("show", id=stremio_id, type=kind)
    ctx = build_context()
    try:
        browser = open_browser(ctx)
        page = (
            browser.movie_page(stremio_id)
            if kind == "movie"
            else browser.show_page(stremio_id, kind)
        )
    finally:
        ctx.close()
    if page.status is not Status.OK:
        _show_status(handle, page.status, page.message, "", retry=here)
        return
    if kind == "movie":
        _show(handle, [browse_items.media_entry(page.movie)], "movies", page.movie.title)
        return
    item = page.show
    art = browse_items.art_dict(item.art)
    items = []
    for season in page.seasons:
        label2 = localize(
            texts.SEASON_WATCHED, watched=season.watched_count, count=season.episode_count
        )
        watched = season.aired_count > 0 and season.watched_count >= season.aired_count
        items.append(
            Item(
                browse_items.season_label(season.number),
                url_for("season", id=stremio_id, season=season.number, type=kind),
                is_folder=True,
                mediatype="season",
                title=browse_items.season_label(season.number),
                tvshowtitle=item.title,
                season=season.number,
                plot=item.plot or "",
                playcount=1 if watched else 0,
                label2=label2,
                art=dict(art, **browse_items.art_dict(season.art)),
                user_rating=season.rating,
            )
        )
    if not items:
        items = [browse_items.status_item(Status.EMPTY)]
    _show(handle, items, "seasons", item.title)


def season(handle: int, params: Dict[str, str]) -> None:
    """A season's episodes: aired ones play, the others are dimmed; watched, resume, Next Up."""
    stremio_id, kind = params.get("id", ""), params.get("type") or "series"
    number = _number(params.get("season"))
    here = url_for("season", id=stremio_id, season=number, type=kind)
    ctx = build_context()
    try:
        page = open_browser(ctx).season_page(stremio_id, number, kind)
    finally:
        ctx.close()
    if page.status is not Status.OK:
        _show_status(handle, page.status, page.message, "", retry=here)
        return
    items = [browse_items.episode_entry(page.show, episode) for episode in page.episodes]
    category = "%s - %s" % (page.show.title, browse_items.season_label(number))
    _show(handle, items, "episodes", category)


def open_settings(handle: int) -> None:
    """The add-on's settings (the fix for a missing manifest)."""
    from resources.lib.kodi.system import executebuiltin

    executebuiltin(browse_items.SETTINGS_BUILTIN)
