"""Plugin entry: ``plugin://plugin.video.aiostreams/?action=<route>&...`` -> one route.

Kodi starts a fresh interpreter for every plugin call, so each route imports only its own
module. The query is untrusted (any add-on or favourite can call us): unknown actions are
refused with a log line and an empty directory, and nothing raises to Kodi.
"""

from __future__ import annotations

import logging
from typing import Callable, Dict, List, Sequence
from urllib.parse import parse_qsl, urlencode

from resources.lib.kodi.directory import ADDON_URL, end_empty
from resources.lib.kodi.log import setup_logging

log = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 2000
MAX_FIELDS = 20
MAX_VALUE_LENGTH = 200

Params = Dict[str, str]


def url_for(action: str, **params: object) -> str:
    """The plugin URL of a route (None values are left out)."""
    query = {"action": action}
    query.update({key: str(value) for key, value in params.items() if value is not None})
    return ADDON_URL + "?" + urlencode(query)


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


# Each route: import the module that does the work, call it.
def _root(handle: int, params: Params) -> None:
    from resources.lib.plugin import views

    views.root(handle)


def _trakt(handle: int, params: Params) -> None:
    from resources.lib.plugin import views

    views.trakt_menu(handle)


def _next_up(handle: int, params: Params) -> None:
    from resources.lib.plugin import views

    views.next_up(handle)


def _in_progress(handle: int, params: Params) -> None:
    from resources.lib.plugin import views

    views.in_progress(handle)


def _watchlist_movies(handle: int, params: Params) -> None:
    from resources.lib.plugin import views

    views.watchlist(handle, "movie")


def _watchlist_shows(handle: int, params: Params) -> None:
    from resources.lib.plugin import views

    views.watchlist(handle, "show")


def _sync_history(handle: int, params: Params) -> None:
    from resources.lib.plugin import views

    views.sync_history(handle)


def _play(handle: int, params: Params) -> None:
    from resources.lib.plugin import play

    play.play(handle, params)


def _context(handle: int, params: Params) -> None:
    from resources.lib.plugin import context_menu

    context_menu.run(params)


def _noop(handle: int, params: Params) -> None:
    from resources.lib.plugin import views

    views.noop(handle)


def _script_action(name: str) -> Callable[[int, Params], None]:
    """The settings actions, reachable as RunPlugin(plugin://...?action=<name>) too."""

    def route(handle: int, params: Params) -> None:
        from resources.lib.plugin import actions

        actions.run_action(name)

    return route


ROUTES: Dict[str, Callable[[int, Params], None]] = {
    "": _root,
    "trakt": _trakt,
    "next_up": _next_up,
    "in_progress": _in_progress,
    "watchlist_movies": _watchlist_movies,
    "watchlist_shows": _watchlist_shows,
    "sync_history": _sync_history,
    "play": _play,
    "noop": _noop,
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
        if not _told_storage_problem(action, exc):  # traceback box
            log.exception("Plugin route %r failed", action)
        end_empty(handle)


def _told_storage_problem(action: str, exc: Exception) -> bool:
    """A database that cannot be used (full disk, a foreign file, ...): one notification in
    words from strings.po and a warning line instead of a traceback. False for other faults."""
    from resources.lib.database.storage import DatabaseUnavailable

    if not isinstance(exc, DatabaseUnavailable):
        return False
    from resources.lib.kodi import dialogs, strings
    from resources.lib.kodi.localize import localize

    log.warning("Plugin route %r: the database cannot be used: %s", action, exc)
    message = localize(strings.storage_message_id(exc.code), error=str(exc)[:120])
    dialogs.notification(message, icon=dialogs.WARNING)
    return True
