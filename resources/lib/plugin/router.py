"""Plugin entry: ``plugin://plugin.video.aiostreams/?action=<route>&...`` -> one route.

Kodi starts a fresh interpreter for every plugin call, so each route imports only its own
module. The query is untrusted (any add-on or favourite can call us): unknown actions are
refused with a log line and an empty directory, and nothing raises to Kodi.
"""

from __future__ import annotations

import logging
from typing import Callable, Dict, List, Sequence
from urllib.parse import parse_qsl

from resources.lib.kodi.directory import end_empty
from resources.lib.kodi.log import setup_logging
from resources.lib.plugin.urls import ADDON_URL, url_for

log = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 2000
MAX_FIELDS = 20
MAX_VALUE_LENGTH = 200

Params = Dict[str, str]


def parse_query(query: str) -> Params:
    """Untrusted query string -> {key: value}; first value wins, oversized input is dropped."""
    text = (query or "").lstrip("?")
    if len(text) > MAX_QUERY_LENGTH:
        log.warning("Plugin query refused: %d characters", len(text))
        return {"action": "\x00oversized"}
    params: Params = {}
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        log.warning("Plugin query refused: too many fields")
        return {"action": "\x00malformed"}
    for key, value in pairs:
        if key not in params and len(value) <= MAX_VALUE_LENGTH:
            params[key] = value
        elif key == "action" and key not in params:
            params[key] = "\x00oversized"  # refused with a log line, never the root menu
    return params


def path_action(base_url: str) -> str:
    """The route named by the URL path (``plugin://<id>/play`` -> ``play``), else ""."""
    prefix = ADDON_URL.rstrip("/")
    if not base_url.startswith(prefix):
        return ""
    return base_url[len(prefix) :].strip("/").split("?", 1)[0]


def parse_handle(argv: Sequence[str]) -> int:
    try:
        return int(argv[1])
    except (IndexError, TypeError, ValueError):
        return -1


# Each route: import the module that does the work, call it (a list view never imports the
# play stack: only the play route does).
def _view(module: str, name: str, *args: object) -> Callable[[int, Params], None]:
    """A route that calls ``resources.lib.plugin.<module>.<name>(handle, *args)``."""

    def route(handle: int, params: Params) -> None:
        import importlib

        getattr(importlib.import_module("resources.lib.plugin." + module), name)(handle, *args)

    return route


def _with_params(module: str, name: str) -> Callable[[int, Params], None]:
    """A route that calls ``<module>.<name>(handle, params)``."""

    def route(handle: int, params: Params) -> None:
        import importlib

        getattr(importlib.import_module("resources.lib.plugin." + module), name)(handle, params)

    return route


def _paged(name: str, *args: object) -> Callable[[int, Params], None]:
    """A paged Trakt list: ``views_trakt.<name>(handle, *args, params)`` (``page=N`` in params)."""

    def route(handle: int, params: Params) -> None:
        from resources.lib.plugin import views_trakt

        getattr(views_trakt, name)(handle, *args, params)

    return route


def _play(handle: int, params: Params) -> None:
    from resources.lib.plugin import play

    play.play(handle, params)


def _context(handle: int, params: Params) -> None:
    from resources.lib.plugin import context_menu

    context_menu.run(params)


def _search_change(name: str) -> Callable[[int, Params], None]:
    def route(handle: int, params: Params) -> None:
        from resources.lib.plugin import views_search

        result = getattr(views_search, name)(params)
        log.info("Action search_%s finished: %s", name, result)

    return route


def _script_action(name: str) -> Callable[[int, Params], None]:
    """The settings actions, reachable as RunPlugin(plugin://...?action=<name>) too."""

    def route(handle: int, params: Params) -> None:
        from resources.lib.plugin import actions

        actions.run_action(name)

    return route


ROUTES: Dict[str, Callable[[int, Params], None]] = {
    "": _view("views_browse", "root"),
    "catalogs": _with_params("views_browse", "catalogs"),
    "catalog": _with_params("views_browse", "catalog"),
    "genres": _with_params("views_browse", "genres"),
    "show": _with_params("views_browse", "show"),
    "season": _with_params("views_browse", "season"),
    "open_settings": _view("views_browse", "open_settings"),
    "search": _with_params("views_search", "menu"),
    "search_new": _with_params("views_search", "new_search"),
    "search_results": _with_params("views_search", "results"),
    "search_remove": _search_change("remove"),
    "search_clear": _search_change("clear"),
    "trakt": _view("views_trakt", "trakt_menu"),
    "next_up": _paged("next_up"),
    "in_progress": _paged("in_progress"),
    "upcoming": _with_params("views_upcoming", "upcoming"),
    "recently_watched": _with_params("views_upcoming", "recently_watched"),
    "watchlist_movies": _paged("watchlist", "movie"),
    "watchlist_shows": _paged("watchlist", "show"),
    "collection": _paged("collection"),
    "lists_personal": _view("views_trakt", "lists", "personal"),
    "lists_liked": _view("views_trakt", "lists", "liked"),
    "list_items": _with_params("views_trakt", "list_items"),
    "sync_history": _view("views_trakt", "sync_history"),
    "play": _play,
    "noop": _view("views", "noop"),
    "context": _context,
}
for _name in ("trakt_auth", "force_sync", "aiostreams_test"):
    ROUTES[_name] = _script_action(_name)


def _printable(text: str) -> str:
    cleaned = "".join(ch for ch in text[:64] if ch.isalnum() or ch in "_-.")
    return cleaned or repr(text[:64])


def run(argv: List[str]) -> None:
    """Entry point of addon.py: ``run(sys.argv)``."""
    setup_logging(service=False)
    handle = parse_handle(argv)
    params = parse_query(argv[2] if len(argv) > 2 else "")
    action = params.get("action", "") or path_action(argv[0] if argv else "")
    route = ROUTES.get(action)
    if route is None:
        log.warning("Unknown plugin action refused: %s", _printable(action))
        end_empty(handle)
        return
    try:
        route(handle, params)
    except Exception as exc:  # a broken database or a bug ends in an empty folder, never a
        if not _told_storage_problem(action, exc, params):  # traceback box
            log.exception("Plugin route %r failed", action)
        end_empty(handle)


def _told_storage_problem(action: str, exc: Exception, params: Params) -> bool:
    """A database that cannot be used (full disk, a foreign file, ...): one notification in
    words from strings.po and a warning line instead of a traceback (a widget gets the line
    only: widgets open no dialog). False for other faults."""
    from resources.lib.database.storage import DatabaseUnavailable

    if not isinstance(exc, DatabaseUnavailable):
        return False
    from resources.lib.kodi import dialogs, strings, window
    from resources.lib.kodi.localize import localize

    log.warning("Plugin route %r: the database cannot be used: %s", action, exc)
    if window.called_as_widget(params):
        return True
    message = localize(strings.storage_message_id(exc.code), error=str(exc)[:120])
    dialogs.notification(message, icon=dialogs.WARNING)
    return True


__all__ = ["ROUTES", "parse_query", "path_action", "run", "url_for"]
