"""Search: movies, shows or both through the manifest's search catalogs, and the history.

``search`` lists "New search" (movies and shows, movies, shows), the last 20 queries (each with
"Remove from search history" in its context menu) and one "Clear search history" entry.
``search_new`` asks for the words and moves the window to ``search_results`` (a URL of its own,
so going back from a show page does not ask again). A search that finds nothing, cannot reach
AIOStreams or gets an error stream shows one item that says so, never an empty folder. Called by
a widget, nothing here opens the keyboard or a dialog.
"""

from __future__ import annotations

import logging
from typing import Dict, List

from resources.lib.browse.records import Status
from resources.lib.kodi import dialogs, directory, window
from resources.lib.kodi.context import build_context
from resources.lib.kodi.directory import Item
from resources.lib.kodi.localize import localize
from resources.lib.plugin import browse_items, texts
from resources.lib.plugin.urls import url_for
from resources.lib.plugin.views_browse import open_browser

log = logging.getLogger(__name__)

TYPES = ("all", "movie", "series")
_NEW = (
    (texts.NEW_SEARCH_ALL, "all"),
    (texts.NEW_SEARCH_MOVIES, "movie"),
    (texts.NEW_SEARCH_SHOWS, "series"),
)
_HISTORY_LABEL = {"movie": texts.HISTORY_MOVIES, "series": texts.HISTORY_SHOWS}
MAX_QUERY = 100


def _kind(params: Dict[str, str]) -> str:
    kind = params.get("type", "all")
    return kind if kind in TYPES else "all"


def results_url(query: str, kind: str, new: bool = False) -> str:
    return url_for("search_results", query=query, type=kind, new=1 if new else None)


def menu(handle: int, params: Dict[str, str]) -> None:
    """New searches, then the history (newest first), then "Clear search history"."""
    items = [
        Item(localize(label), url_for("search_new", type=kind), is_folder=True)
        for label, kind in _NEW
    ]
    ctx = build_context()
    try:
        entries = open_browser(ctx).cache.searches()
    finally:
        ctx.close()
    clear = (localize(texts.CLEAR_HISTORY), "RunPlugin(%s)" % url_for("search_clear"))
    for entry in entries:
        label = localize(_HISTORY_LABEL.get(entry.media_type, texts.HISTORY_ALL), query=entry.query)
        remove = "RunPlugin(%s)" % url_for("search_remove", id=entry.id)
        items.append(
            Item(
                label,
                results_url(entry.query, entry.media_type),
                is_folder=True,
                context_menu=[(localize(texts.REMOVE_SEARCH), remove), clear],
            )
        )
    if entries:
        items.append(Item(localize(texts.CLEAR_HISTORY), url_for("search_clear")))
    directory.show(handle, items, content="files", category=localize(texts.SEARCH))


def new_search(handle: int, params: Dict[str, str]) -> None:
    """Ask for the words, then open the results as their own folder."""
    if window.called_as_widget(params):  # a widget never opens the keyboard
        menu(handle, params)
        return
    query = dialogs.ask_text(localize(texts.SEARCH_HEADING))
    if not query:  # cancelled: the search menu again (a failed listing is an error in kodi.log)
        menu(handle, params)
        return
    # An empty listing that succeeded, then the results replace it in the window's history: Back
    # leads to the search menu, never to this keyboard again, and Kodi logs no failed listing.
    directory.end_empty(handle)
    from resources.lib.kodi.system import executebuiltin, wait_for_folder

    # Sent before Kodi has shown the empty listing, the update could be overtaken by it (seen
    # once in about 80 real-Kodi runs: the user was left at an empty folder).
    if not wait_for_folder("action=search_new"):
        log.info("search: the keyboard's folder was not shown within 3 s; opening the results")
    url = results_url(query[:MAX_QUERY], _kind(params), True)
    executebuiltin("Container.Update(%s,replace)" % url)


def results(handle: int, params: Dict[str, str]) -> None:
    """The merged results (AIOStreams' order, one entry per IMDb id), or one item saying why
    there are none."""
    query = " ".join(params.get("query", "").split())[:MAX_QUERY]
    kind = _kind(params)
    here = results_url(query, kind)
    ctx = build_context()
    try:
        found = open_browser(ctx).search(query, kind, remember=params.get("new") == "1")
    finally:
        ctx.close()
    log.info(
        "search: %s, %d items, %d requests, %d failed catalogs",
        found.status.value,
        len(found.items),
        found.requests,
        len(found.failed),
    )
    category = "%s: %s" % (localize(texts.SEARCH), query)
    if found.status is not Status.OK:
        item = browse_items.status_item(found.status, found.message, query, retry=here)
        directory.show(handle, [item], content="files", category=category)
        return
    items: List[Item] = [browse_items.media_entry(item) for item in found.items]
    if found.failed:  # some catalogs answered: list them, and say which did not
        names = ", ".join(found.failed)
        items.append(Item(localize(texts.SEARCH_FAILED_SOME, names=names), url_for("noop")))
    content = {"movie": "movies", "series": "tvshows"}.get(kind, "videos")
    directory.show(handle, items, content=content, category=category)


def remove(params: Dict[str, str]) -> str:
    """Drop one query from the history (``id`` from the history entry)."""
    text = params.get("id", "")
    if not text.isdigit():
        log.warning("search_remove refused: bad id")
        return "refused"
    ctx = build_context()
    try:
        removed = open_browser(ctx).cache.remove_search(int(text))
    finally:
        ctx.close()
    _refresh()
    return "removed" if removed else "absent"


def clear(params: Dict[str, str]) -> str:
    ctx = build_context()
    try:
        count = open_browser(ctx).cache.clear_searches()
    finally:
        ctx.close()
    if not window.called_as_widget(params):
        dialogs.notification(localize(texts.HISTORY_CLEARED))
    _refresh()
    return "cleared %d" % count


def _refresh() -> None:
    from resources.lib.kodi.system import executebuiltin

    executebuiltin("Container.Refresh")
