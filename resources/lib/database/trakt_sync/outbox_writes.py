"""What the outbox push sends for one queued change, and how it reads Trakt's side first.

``outbox_push.push_outbox`` runs the push; this module holds the pieces it asks about one row:
the request body, whether a play left "sending" is already in the history, the conflict
decision against the remote state (:mod:`.conflicts`), and the write itself.
"""

from __future__ import annotations

import datetime
import json
import logging
import sqlite3
from typing import Any, Dict, List, Optional, Tuple

from ...trakt import errors
from . import conflicts
from . import outbox as box
from .context import SyncContext
from .items import as_dict, as_int, iso_time, parse_time

log = logging.getLogger(__name__)

HISTORY_PATH = "/sync/history"
HIDDEN_PATH = "/users/hidden/" + box.HIDDEN_SECTION
# The history window checked around a queued play's watched_at (seconds either side).
UNCERTAIN_WINDOW = 1.0


def category_key(action: box.LocalAction) -> str:
    """The ``/sync/last_activities`` timestamp that moves when this item changes on Trakt."""
    if action.kind in box.LIST_KINDS:
        return "lists.updated_at"
    plural = {"movie": "movies", "show": "shows", "episode": "episodes"}[action.media_type]
    name = {
        box.WATCH: "watched_at",
        box.UNWATCH: "watched_at",
        box.WATCHLIST_ADD: "watchlisted_at",
        box.WATCHLIST_REMOVE: "watchlisted_at",
        box.HIDE: "hidden_at",
        box.REMOVE_PLAYBACK: "paused_at",
        box.RATE: "rated_at",
        box.UNRATE: "rated_at",
    }[action.kind]
    return plural + "." + name


def read_cursors(conn: sqlite3.Connection) -> Dict[str, Dict[str, Any]]:
    found: Dict[str, Dict[str, Any]] = {}
    for name, text in conn.execute("SELECT category, cursor FROM activities").fetchall():
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if isinstance(value, dict):
            found[name] = value
    return found


# -- Trakt bodies and lookups ----------------------------------------------------------------


def item_body(action: box.LocalAction, **extra: Any) -> Dict[str, Any]:
    """``{movies|shows: [...]}`` naming the item by Trakt id (episodes by show + numbers)."""
    if action.media_type == "movie":
        return {"movies": [dict({"ids": {"trakt": action.trakt_id}}, **extra)]}
    if action.media_type == "show":
        return {"shows": [dict({"ids": {"trakt": action.trakt_id}}, **extra)]}
    episode = dict({"number": action.number}, **extra)
    season = {"number": action.season, "episodes": [episode]}
    return {"shows": [{"ids": {"trakt": action.show_id}, "seasons": [season]}]}


def _history_path(action: box.LocalAction) -> str:
    if action.media_type == "movie":
        return "%s/movies/%d" % (HISTORY_PATH, action.trakt_id)
    return "%s/shows/%d" % (HISTORY_PATH, action.show_id)


def _is_item(action: box.LocalAction, entry: Any) -> bool:
    entry = as_dict(entry)
    if action.media_type == "movie":
        ids = as_dict(as_dict(entry.get("movie")).get("ids"))
        return entry.get("type") == "movie" and as_int(ids.get("trakt")) == action.trakt_id
    episode = as_dict(entry.get("episode"))
    return (
        entry.get("type") == "episode"
        and as_int(episode.get("season")) == action.season
        and as_int(episode.get("number")) == action.number
    )


def _shift(stamp: str, seconds: float) -> str:
    parsed = parse_time(stamp) or datetime.datetime.now(datetime.timezone.utc)
    return iso_time((parsed + datetime.timedelta(seconds=seconds)).isoformat()) or stamp


def remote_plays(
    ctx: SyncContext, action: box.LocalAction, start_at: Optional[str] = None,
    end_at: Optional[str] = None,
) -> List[Optional[str]]:  # fmt: skip
    """``watched_at`` of the item's plays on Trakt (optionally within a window)."""
    params: Dict[str, Any] = {}
    if start_at:
        params["start_at"] = start_at
    if end_at:
        params["end_at"] = end_at
    return [
        iso_time(as_dict(entry).get("watched_at"))
        for entry in ctx.fetch_pages(_history_path(action), params)
        if _is_item(action, entry)
    ]


def play_already_sent(ctx: SyncContext, row: box.OutboxRow) -> bool:
    """Is the queued play (same item, ``watched_at`` within 1 s) in Trakt's history?"""
    watched_at = row.payload.get("watched_at") or row.created_at
    found = remote_plays(
        ctx, row.action, _shift(watched_at, -UNCERTAIN_WINDOW), _shift(watched_at, UNCERTAIN_WINDOW)
    )
    return any(conflicts.same_moment(stamp, watched_at) for stamp in found)


def _watchlist_entry(ctx: SyncContext, action: box.LocalAction) -> Optional[Dict[str, Any]]:
    path = "/sync/watchlist/%ss" % action.media_type
    for entry in ctx.fetch_pages(path):
        entry = as_dict(entry)
        media = as_dict(entry.get(action.media_type))
        if as_int(as_dict(media.get("ids")).get("trakt")) == action.trakt_id:
            return entry
    return None


def _playback_entries(ctx: SyncContext, action: box.LocalAction) -> List[Dict[str, Any]]:
    path = "/sync/playback/%ss" % action.media_type
    found = []
    for entry in ctx.fetch_pages(path):
        entry = as_dict(entry)
        if action.media_type == "movie":
            ids = as_dict(as_dict(entry.get("movie")).get("ids"))
            same = as_int(ids.get("trakt")) == action.trakt_id
        else:
            episode = as_dict(entry.get("episode"))
            show_ids = as_dict(as_dict(entry.get("show")).get("ids"))
            same = (
                as_int(show_ids.get("trakt")) == action.show_id
                and as_int(episode.get("season")) == action.season
                and as_int(episode.get("number")) == action.number
            )
        if same and as_int(entry.get("id")) is not None:
            found.append(entry)
    return found


# -- one row -----------------------------------------------------------------------------------


def decide(
    ctx: SyncContext, row: box.OutboxRow, moved: bool, category_at: Optional[str]
) -> Tuple[str, Dict[str, Any]]:
    """(decision, details) for one row; reads the item's remote state only when needed."""
    action, payload = row.action, row.payload
    if action.kind == box.WATCH:
        before = int(payload.get("before_plays") or 0)
        if moved and before > 0:
            plays = len(remote_plays(ctx, action))
            return conflicts.decide_watch(row.created_at, before, plays, category_at), {}
        return conflicts.PUSH, {}
    if action.kind == box.UNWATCH:
        if moved:
            newer = remote_plays(ctx, action, start_at=row.created_at)
            return conflicts.decide_unwatch(row.created_at, newer), {}
        return conflicts.PUSH, {}
    if action.kind == box.WATCHLIST_REMOVE:
        if moved:
            entry = _watchlist_entry(ctx, action)
            listed = iso_time(entry.get("listed_at")) if entry else None
            decision = conflicts.decide_watchlist_remove(
                row.created_at, listed, entry is not None, payload.get("before_listed_at")
            )
            return decision, {}
        return conflicts.PUSH, {}
    if action.kind == box.REMOVE_PLAYBACK:
        ids = [i for i in payload.get("playback_ids") or [] if isinstance(i, int) and i > 0]
        if moved or not ids:
            entries = _playback_entries(ctx, action)
            stamps = [iso_time(e.get("paused_at")) for e in entries]
            ids = [int(e["id"]) for e in entries]
            return conflicts.decide_remove_playback(row.created_at, stamps), {"ids": ids}
        return conflicts.PUSH, {"ids": ids}
    return conflicts.PUSH, {}


def send(ctx: SyncContext, row: box.OutboxRow, details: Dict[str, Any]) -> bool:
    """The write for one row. True when Trakt applied it; False when Trakt does not know the
    item (``not_found``). Trakt errors propagate."""
    action, client = row.action, ctx.client
    if action.kind == box.WATCH:
        watched_at = row.payload.get("watched_at") or row.created_at
        answer = client.post(HISTORY_PATH, item_body(action, watched_at=watched_at))
        return not _nothing_found(answer, "added")
    if action.kind == box.UNWATCH:
        client.post(HISTORY_PATH + "/remove", item_body(action), idempotent=True)
        return True
    if action.kind in (box.WATCHLIST_ADD, box.WATCHLIST_REMOVE):
        path = "/sync/watchlist" + ("" if action.kind == box.WATCHLIST_ADD else "/remove")
        answer = client.post(path, item_body(action), idempotent=True)
        return not _nothing_found(answer, "added" if action.kind == box.WATCHLIST_ADD else "")
    if action.kind == box.HIDE:
        answer = client.post(HIDDEN_PATH, item_body(action), idempotent=True)
        return not _nothing_found(answer, "added")
    if action.kind in box.RATING_KINDS:
        from . import ratings

        path, rated = ratings.body(action, row.created_at)
        answer = client.post(path, rated, idempotent=True)
        return not _nothing_found(answer, "added" if action.kind == box.RATE else "")
    if action.kind in box.LIST_KINDS:
        from .list_push import items_path

        add = action.kind == box.LIST_ADD
        path = items_path(action, add)
        answer = client.post(path, item_body(action), idempotent=True)
        return not _nothing_found(answer, "added" if add else "")
    for playback_id in details.get("ids") or []:
        try:
            client.delete("/sync/playback/%d" % int(playback_id))
        except errors.NotFound:
            log.info("outbox: resume point %d was already gone", int(playback_id))
    return True


def _nothing_found(answer: Any, counted: str) -> bool:
    """Trakt answered, changed nothing and listed the item under ``not_found``."""
    if not isinstance(answer, dict):
        return False
    counts = as_dict(answer.get(counted)) if counted else {}
    changed = any(isinstance(v, int) and v > 0 for v in counts.values())
    missing = any(bool(v) for v in as_dict(answer.get("not_found")).values())
    return missing and not changed


__all__ = ["category_key", "decide", "item_body", "play_already_sent", "read_cursors", "send"]
