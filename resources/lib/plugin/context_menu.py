"""Context-menu actions on our list items: mark (un)watched, watchlist, hide, remove resume point.

Each entry is ``RunPlugin(plugin://plugin.video.aiostreams/?action=context&op=<op>&type=...)``.
The query is untrusted (any add-on or favourite can call it): the op must be known, the media
type must fit the op, and every id must be a positive integer (a season may be 0), else the call
is refused with a log line and nothing changes. An item the mirror does not know is named by
``imdb=tt...`` instead: its Trakt id comes from one Trakt lookup first (``context_lookup``).
An accepted action is applied to the mirror and queued for Trakt in one transaction
(``database.trakt_sync.outbox``), then the list refreshes.
The next sync pushes it. Every call ends with ``Action context finished: <result>``.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Tuple

from resources.lib.database.trakt_sync import outbox
from resources.lib.database.trakt_sync.items import as_int
from resources.lib.kodi import strings
from resources.lib.plugin import context_lookup, texts
from resources.lib.plugin.urls import number_param, url_for

log = logging.getLogger(__name__)

ROUTE = "context"
# op (URL) -> outbox kind
OPS: Dict[str, str] = {
    "mark_watched": outbox.WATCH,
    "mark_unwatched": outbox.UNWATCH,
    "watchlist_add": outbox.WATCHLIST_ADD,
    "watchlist_remove": outbox.WATCHLIST_REMOVE,
    "hide_next_up": outbox.HIDE,
    "remove_resume": outbox.REMOVE_PLAYBACK,
}
# Add to / remove from one of my Trakt lists: the list sync and its outbox kinds come from
# the personal list comes from the call (a list view) or from a choice among the user's lists.
LIST_OPS = ("list_add", "list_remove")
Entry = Tuple[int, str]  # (string id of the label, Kodi builtin)


def parse_action(
    params: Dict[str, str], labels: Optional[Dict[str, Any]] = None
) -> outbox.LocalAction:
    """The validated action of a context call; ValueError when anything is off. ``labels``:
    title/year/imdb_id of an item resolved by IMDb id (``context_lookup.labels``)."""
    kind = OPS.get(params.get("op", ""))
    if kind is None:
        raise ValueError("unknown op")
    action = outbox.LocalAction(
        kind=kind,
        media_type=params.get("type", ""),
        trakt_id=number_param(params, "trakt"),
        show_id=number_param(params, "show"),
        season=number_param(params, "season"),
        number=number_param(params, "number"),
        **(labels or {}),
    )
    return action.validate()


def _list_action(
    params: Dict[str, str], labels: Optional[Dict[str, Any]] = None
) -> Optional[outbox.LocalAction]:
    """A ``list_add`` / ``list_remove`` with its personal list: the one the call names, else the
    user picks one (for a removal, among the lists that hold the item). None: nothing to do."""
    from resources.lib.kodi import dialogs
    from resources.lib.kodi.context import build_context
    from resources.lib.kodi.localize import localize

    kind = params.get("op", "")
    media_type = params.get("type", "")
    trakt_id = number_param(params, "trakt")
    list_id = number_param(params, "list")
    if list_id is None:
        ctx = build_context()
        try:
            lists = ctx.db.lists("personal")
            if kind == outbox.LIST_REMOVE:
                lists = [
                    entry
                    for entry in lists
                    if any(
                        row.get("type", row.get("media_type")) == media_type
                        and row.get("trakt_id") == trakt_id
                        for row in ctx.db.list_items(entry["list_id"])
                    )
                ]
        finally:
            ctx.close()
        if not lists:
            none = texts.LIST_CHOICE_NONE if kind == outbox.LIST_ADD else texts.LIST_NOT_IN_ANY
            dialogs.notification(localize(none))
            return None
        choice = dialogs.select([entry["name"] for entry in lists], localize(texts.LIST_CHOOSE))
        if choice < 0:
            return None
        list_id = int(lists[choice]["list_id"])
    action = outbox.LocalAction(
        kind, media_type, trakt_id=trakt_id, list_id=list_id, **(labels or {})
    )
    return action.validate()


def command(op: str, media_type: str, **ids: Any) -> str:
    """The ``RunPlugin(...)`` builtin of one context entry."""
    return "RunPlugin(%s)" % url_for(ROUTE, op=op, type=media_type, **ids)


def _int(value: Any) -> Optional[int]:
    """A row's id or number; None when missing, not a whole number, or negative."""
    number = as_int(value)
    return number if number is not None and number >= 0 else None


def _episode_ids(row: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    show, season, number = (_int(row.get(k)) for k in ("show_trakt_id", "season", "number"))
    if not show or season is None or not number:
        return None
    ids: Dict[str, Any] = {"show": show, "season": season, "number": number}
    if _int(row.get("trakt_id")):
        ids["trakt"] = _int(row.get("trakt_id"))
    return ids


def show_page_entry(imdb: Optional[str], media_type: str = "series") -> List[Entry]:
    """ "Show page" (opens the show's seasons in the current window)."""
    if not imdb:
        return []
    return [(texts.SHOW_PAGE, "Container.Update(%s)" % url_for("show", id=imdb, type=media_type))]


def list_entries(media_type: str, list_id: Optional[int] = None, **ids: Any) -> List[Entry]:
    """Add to / remove from one of my Trakt lists: movies and shows (for an episode, its show).
    In a list's own view the removal names that list."""
    if media_type == "episode":  # Trakt lists here hold movies and shows: the episode's show
        media_type, ids = "show", {"trakt": ids.get("show")}
    if media_type not in ("movie", "show") or not ids.get("trakt"):
        return []
    remove_ids = dict(ids, list=list_id) if list_id else ids
    return [
        (texts.LIST_ADD, command("list_add", media_type, **ids)),
        (texts.LIST_REMOVE, command("list_remove", media_type, **remove_ids)),
    ]


def _entry(label: int, op: str, media_type: str, **ids: Any) -> Entry:
    """One context entry: a localized label and the command that runs ``op``."""
    return (label, command(op, media_type, **ids))


def menu_entries(row: Dict[str, Any], view: str) -> List[Entry]:
    """The context entries of one list row (``view``: next_up, in_progress, watchlist_movie,
    watchlist_show, collection, list) and "Show page" for episodes and shows."""
    from resources.lib.plugin import rate_menu

    entries = _row_entries(row, view) + rate_menu.row_entries(row, view)  # h27: Rate...
    kind = row.get("type") or ("episode" if view == "next_up" else "movie")
    if kind == "episode":
        entries.extend(show_page_entry(row.get("show_imdb_id")))
    elif kind == "show":
        entries.extend(show_page_entry(row.get("imdb_id")))
    return entries


def _row_entries(row: Dict[str, Any], view: str) -> List[Entry]:
    entries: List[Entry] = []
    kind = row.get("type") or ("episode" if view == "next_up" else "movie")
    trakt = _int(row.get("trakt_id"))
    if view == "watchlist_show":
        if trakt:
            entries.append(
                _entry(strings.CONTEXT_WATCHLIST_REMOVE, "watchlist_remove", "show", trakt=trakt)
            )
            entries.extend(list_entries("show", trakt=trakt))
        return entries
    if kind == "episode":
        ids = _episode_ids(row)
        if ids is None:
            return entries
        entries.append((strings.CONTEXT_MARK_WATCHED, command("mark_watched", "episode", **ids)))
        show = ids["show"]
        if view == "next_up":
            entries.append(_entry(strings.CONTEXT_HIDE_NEXT_UP, "hide_next_up", "show", trakt=show))
            entries.append(
                _entry(strings.CONTEXT_WATCHLIST_ADD_SHOW, "watchlist_add", "show", trakt=show)
            )
        if view == "in_progress" or float(row.get("progress") or 0) > 0:
            entries.append(_entry(strings.CONTEXT_REMOVE_RESUME, "remove_resume", "episode", **ids))
        entries.extend(list_entries("episode", **ids))
        return entries
    if not trakt:
        return entries
    in_list = _int(row.get("list_id")) if view == "list" else None
    if kind == "show":  # a show of a Trakt list or the collection
        entries.append(
            _entry(strings.CONTEXT_WATCHLIST_ADD_SHOW, "watchlist_add", "show", trakt=trakt)
        )
        entries.append(_entry(strings.CONTEXT_HIDE_NEXT_UP, "hide_next_up", "show", trakt=trakt))
        return entries + list_entries("show", list_id=in_list, trakt=trakt)
    entries.append((strings.CONTEXT_MARK_WATCHED, command("mark_watched", "movie", trakt=trakt)))
    if view == "watchlist_movie":
        if _int(row.get("plays")):
            entries.append(
                _entry(strings.CONTEXT_MARK_UNWATCHED, "mark_unwatched", "movie", trakt=trakt)
            )
        entries.append(
            _entry(strings.CONTEXT_WATCHLIST_REMOVE, "watchlist_remove", "movie", trakt=trakt)
        )
    else:
        entries.append(_entry(strings.CONTEXT_REMOVE_RESUME, "remove_resume", "movie", trakt=trakt))
        entries.append(_entry(strings.CONTEXT_WATCHLIST_ADD, "watchlist_add", "movie", trakt=trakt))
    entries.extend(list_entries("movie", list_id=in_list, trakt=trakt))
    return entries


def item_entries(item: Any) -> List[Entry]:
    """Entries of a catalog item or search result (``browse.records.Item``): by the mirror's
    Trakt id, else by IMDb id (:func:`unknown_item_entries`)."""
    mark = item.mark
    trakt = _int(mark.trakt_id)
    if not trakt:
        return unknown_item_entries(item)
    if item.media_type == "movie":
        entries: List[Entry] = [
            (strings.CONTEXT_MARK_UNWATCHED, command("mark_unwatched", "movie", trakt=trakt))
            if mark.watched
            else (strings.CONTEXT_MARK_WATCHED, command("mark_watched", "movie", trakt=trakt))
        ]
        if mark.in_watchlist:
            entries.append(
                _entry(strings.CONTEXT_WATCHLIST_REMOVE, "watchlist_remove", "movie", trakt=trakt)
            )
        else:
            entries.append(
                _entry(strings.CONTEXT_WATCHLIST_ADD, "watchlist_add", "movie", trakt=trakt)
            )
        if mark.resume_percent:
            entries.append(
                _entry(strings.CONTEXT_REMOVE_RESUME, "remove_resume", "movie", trakt=trakt)
            )
        return entries + list_entries("movie", trakt=trakt)
    entries = []
    if mark.in_watchlist:
        entries.append(
            _entry(strings.CONTEXT_WATCHLIST_REMOVE, "watchlist_remove", "show", trakt=trakt)
        )
    else:
        entries.append(
            _entry(strings.CONTEXT_WATCHLIST_ADD_SHOW, "watchlist_add", "show", trakt=trakt)
        )
    entries.append((strings.CONTEXT_HIDE_NEXT_UP, command("hide_next_up", "show", trakt=trakt)))
    entries.extend(list_entries("show", trakt=trakt))
    return entries


def unknown_item_entries(item: Any) -> List[Entry]:
    """Entries of an item the mirror does not know: by IMDb id (the context route asks Trakt
    for the Trakt id when the user picks one). Movies and series only; none without an IMDb id.
    """
    from resources.lib.plugin.context_lookup import UNKNOWN_OPS
    from resources.lib.trakt.lookup import is_imdb_id

    media_type = {"movie": "movie", "series": "show"}.get(item.media_type)
    if media_type is None or not is_imdb_id(item.imdb_id):
        return []
    labels = {
        "mark_watched": strings.CONTEXT_MARK_WATCHED,
        "watchlist_add": strings.CONTEXT_WATCHLIST_ADD
        if media_type == "movie"
        else strings.CONTEXT_WATCHLIST_ADD_SHOW,
        "list_add": texts.LIST_ADD,
    }
    return [_entry(labels[op], op, media_type, imdb=item.imdb_id) for op in UNKNOWN_OPS[media_type]]


def episode_entries(show: Any, episode: Any) -> List[Entry]:
    """Entries of an episode on a season page (a show the mirror does not know: mark watched
    by the show's IMDb id); "Show page" always."""
    entries: List[Entry] = []
    show_id = _int(show.mark.trakt_id)
    if not show_id and episode.aired and show.imdb_id and show.media_type == "series":
        ids = {"imdb": show.imdb_id, "season": episode.season, "number": episode.number}
        entries.append(_entry(strings.CONTEXT_MARK_WATCHED, "mark_watched", "episode", **ids))
    if show_id and episode.aired:
        ids = {"show": show_id, "season": episode.season, "number": episode.number}
        if episode.mark.playcount:
            entries.append(
                _entry(strings.CONTEXT_MARK_UNWATCHED, "mark_unwatched", "episode", **ids)
            )
        else:
            entries.append(_entry(strings.CONTEXT_MARK_WATCHED, "mark_watched", "episode", **ids))
        if episode.mark.resume_percent:
            entries.append(_entry(strings.CONTEXT_REMOVE_RESUME, "remove_resume", "episode", **ids))
        entries.append(_entry(strings.CONTEXT_HIDE_NEXT_UP, "hide_next_up", "show", trakt=show_id))
        entries.extend(list_entries("episode", **ids))
    return entries + show_page_entry(show.stremio_id if show.stremio_id else None, show.media_type)


def _resolve(params: Dict[str, str]) -> Optional[Dict[str, str]]:
    """An item known by IMDb id: its Trakt id from ONE interactive Trakt request."""
    from resources.lib.kodi import dialogs
    from resources.lib.kodi.context import build_context
    from resources.lib.kodi.system import executebuiltin

    context_lookup.check(params)  # a malformed call is refused before any request

    def busy(on: bool) -> None:
        executebuiltin(
            "ActivateWindow(busydialognocancel)" if on else "Dialog.Close(busydialognocancel)"
        )

    ctx = build_context()
    try:
        client = None
        if ctx.is_authorised():
            client = ctx.client.for_run(fail_fast_connect=True)
            # The user waits under a busy dialog: one retry of a 5xx, no waiting out a 429.
            client.max_retries = 1  # type: ignore[attr-defined]  (this run's own view)
            client.max_rate_limit_retries = 0  # type: ignore[attr-defined]
        return context_lookup.resolve(params, client, dialogs.notification, busy)
    finally:
        ctx.close()


def run(params: Dict[str, str]) -> str:
    """Entry of the ``context`` route. Returns the result written to the log."""
    from resources.lib.kodi import dialogs
    from resources.lib.kodi.context import build_context
    from resources.lib.kodi.localize import localize
    from resources.lib.kodi.system import executebuiltin

    result = "error"
    try:
        try:
            labels = None
            if context_lookup.needs_lookup(params):
                resolved = _resolve(params)
                if resolved is None:  # Trakt unreachable or unknowing: already said so
                    result = "not resolved"
                    return result
                params, labels = resolved, context_lookup.labels(resolved)
            if params.get("op") in LIST_OPS + ("rate",):  # a choice first (h27: rate_menu)
                from resources.lib.plugin import rate_menu

                chooser = rate_menu.choose if params.get("op") == rate_menu.OP else _list_action
                action = chooser(params, labels)
                if action is None:  # no list to use, or the user cancelled the choice
                    result = "cancelled"
                    return result
            else:
                action = parse_action(params, labels)
        except ValueError as exc:
            log.warning("Context action refused: %s", exc)
            result = "refused"
            return result
        ctx = build_context()
        try:
            ctx.db.queue_change(action)
        finally:
            ctx.close()
        result = "%s %s" % (action.kind, action.item_key)
        dialogs.notification(localize(strings.CONTEXT_SAVED))
        executebuiltin("Container.Refresh")
        from resources.lib.kodi.prefetch import refresh_widgets

        refresh_widgets()  # the home-screen widgets show the change too
    except Exception:  # a broken database must end in a message, not a traceback box
        log.exception("Context action failed")
        try:
            dialogs.notification(localize(strings.CONTEXT_FAILED))
        except Exception:
            log.debug("Could not show the error notification", exc_info=True)
    finally:
        log.info("Action context finished: %s", result)
    return result


__all__ = ["LIST_OPS", "OPS", "command", "episode_entries", "item_entries", "menu_entries",
           "parse_action", "run", "unknown_item_entries"]  # fmt: skip
