"""Push the ``outbox`` to Trakt at the start of a sync, before the pull (see ``outbox.py``).

For every queued change, oldest first:

1. a ``watch`` row left in state ``sending`` (a crash, a lost answer, a 5xx after its POST) may
   already be on Trakt: ``GET /sync/history/{movies/<id>|shows/<show>}`` around its exact
   ``watched_at`` decides; a play there confirms the row and nothing is sent again (Trakt does
   not de-duplicate plays);
2. if the item's Trakt category moved since the last sync (``/sync/last_activities`` against
   the unit's cursor), its remote state is read and :mod:`.conflicts` decides: push, confirmed
   (Trakt already has it) or drop (the remote change is newer: logged, and the unit is re-fetched
   so the mirror returns to Trakt's state);
3. the row is marked ``sending`` (committed), the write is sent (the client spaces writes one
   second apart) and the row is deleted only once Trakt answered 2xx (or 409).

A network error or 5xx keeps the row (attempts + 1, backoff) and ends the push: Trakt is
unreachable, the rest would fail too. Any other 4xx drops the row with a log line, except 401/403
(authorisation, not the change's fault) which keep it. A 420 (an account limit) drops the row,
undoes the change in the mirror and leaves a notice for the front end, all in one transaction
(:mod:`.refusals`): retrying cannot succeed. Nothing here raises for Trakt errors except
``Aborted`` and the re-authorisation errors, which the engine turns into the run's status.
"""

from __future__ import annotations

import datetime
import json
import logging
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ...trakt import errors
from ..connection import write_transaction
from . import conflicts, lease, refusals, scrobble_rows
from . import outbox as box
from .context import SyncContext
from .items import as_dict, as_int, iso_time, parse_time

log = logging.getLogger(__name__)

ACTIVITIES_PATH = "/sync/last_activities"
HISTORY_PATH = "/sync/history"
HIDDEN_PATH = "/users/hidden/" + box.HIDDEN_SECTION
# The history window checked around a queued play's watched_at (seconds either side).
UNCERTAIN_WINDOW = 1.0


@dataclass
class PushResult:
    """What one push did. ``activities``: the ``/sync/last_activities`` answer read before any
    write (the pull may reuse it when ``writes`` is 0)."""

    pushed: int = 0
    confirmed: int = 0
    dropped: int = 0
    kept: int = 0
    writes: int = 0
    error: Optional[str] = None
    failure: Optional[BaseException] = None  # the error behind ``error`` (its kind, for codes)
    activities: Optional[Dict[str, Any]] = None
    log: List[Tuple[int, str]] = field(default_factory=list)

    @property
    def changes(self) -> Dict[str, int]:
        return {"added": self.pushed, "changed": self.confirmed, "removed": self.dropped}


def _category_key(action: box.LocalAction) -> str:
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
    }[action.kind]
    return plural + "." + name


def _cursors(conn: sqlite3.Connection) -> Dict[str, Dict[str, Any]]:
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


def _list_limit(
    conn: sqlite3.Connection, row: box.OutboxRow, exc: errors.TraktError, result: PushResult
) -> Optional[str]:
    """A 420 on a list write: dropped, undone and noticed (``list_push``); None otherwise."""
    if not isinstance(exc, errors.AccountLimit) or row.kind not in box.LIST_KINDS:
        return None
    from .list_push import refused_by_limit

    result.dropped += 1
    return refused_by_limit(conn, row, exc)


# -- the push ------------------------------------------------------------------------------------


def push_outbox(
    conn: sqlite3.Connection,
    ctx: SyncContext,
    owner: str,
    force: bool = False,
    now: Optional[float] = None,
    kinds: Optional[Sequence[str]] = None,
) -> PushResult:
    """Send the queued changes (see the module docstring). ``force`` ignores the backoff;
    ``kinds`` limits the push to rows of those kinds (the player's flush: the scrobbles)."""
    result = PushResult()
    queued = [row for row in box.rows(conn) if kinds is None or row.kind in kinds]
    if not queued:
        return result
    now = time.time() if now is None else now
    due = [row for row in queued if force or row.next_attempt_ts <= now]
    result.kept = len(queued) - len(due)
    if not due:
        return result
    # Queued scrobbles need no conflict check: only local changes read the activities.
    if any(row.kind not in scrobble_rows.KINDS for row in due):
        activities = ctx.client.get(ACTIVITIES_PATH)
        result.activities = activities if isinstance(activities, dict) else {}
    cursors = _cursors(conn)
    for index, row in enumerate(due):
        ctx.check_abort()
        try:
            if row.kind in scrobble_rows.KINDS:
                outcome = scrobble_rows.push_row(conn, ctx, owner, row, now, result)
            else:
                activities = result.activities or {}
                outcome = _push_row(conn, ctx, owner, row, activities, cursors, result)
        except (errors.Aborted, errors.Unauthorized, errors.ReauthorizationRequired) as exc:
            _failed(conn, row, exc, now, keep_state=True)
            raise
        except errors.TraktError as exc:
            outcome = _list_limit(conn, row, exc, result) or _handle_error(
                conn, row, exc, now, result
            )
        result.log.append((row.id, outcome))
        if outcome == "offline":
            result.kept += len(due) - index - 1
            break
    # DEBUG: the sync's caller logs the one INFO line per sync.
    log.debug(
        "outbox pushed %d, confirmed %d, dropped %d, kept %d (%d writes)",
        result.pushed, result.confirmed, result.dropped, result.kept, result.writes,
    )  # fmt: skip
    return result


def _push_row(
    conn: sqlite3.Connection,
    ctx: SyncContext,
    owner: str,
    row: box.OutboxRow,
    activities: Dict[str, Any],
    cursors: Dict[str, Dict[str, Any]],
    result: PushResult,
) -> str:
    try:
        action = row.action
    except ValueError as exc:
        log.warning("outbox row %d is malformed (%s): dropped", row.id, exc)
        _finish(conn, row, owner, refetch=None)
        result.dropped += 1
        return "malformed"
    if row.state == box.SENDING and action.kind == box.WATCH and play_already_sent(ctx, row):
        log.info("outbox row %d: the play is already on Trakt (confirmed, not resent)", row.id)
        _finish(conn, row, owner, refetch=None)
        result.confirmed += 1
        return "confirmed"
    key = _category_key(action)
    moved = conflicts.category_moved(cursors.get(action.unit), activities, key)
    decision, details = decide(ctx, row, moved, conflicts.activity_time(activities, key))
    if decision == conflicts.CONFIRMED:
        log.info("outbox row %d: Trakt already has %s %s", row.id, row.kind, row.item_key)
        _finish(conn, row, owner, refetch=None)
        result.confirmed += 1
        return "confirmed"
    if decision == conflicts.DROP:
        log.warning(
            "outbox: local %s of %s (%s) dropped: the change on Trakt is newer",
            row.kind, row.item_key, row.created_at,
        )  # fmt: skip
        _finish(conn, row, owner, refetch=action.unit)
        result.dropped += 1
        return "dropped"
    with write_transaction(conn):
        lease.assert_lease(conn, owner)
        box.mark_sending(conn, row.id)
    result.writes += 1
    applied = send(ctx, row, details)
    if not applied:
        log.warning("outbox: Trakt does not know %s (%s): dropped", row.item_key, row.kind)
        _finish(conn, row, owner, refetch=action.unit)
        result.dropped += 1
        return "rejected"
    _finish(conn, row, owner, refetch=None)
    result.pushed += 1
    return "pushed"


def _finish(
    conn: sqlite3.Connection, row: box.OutboxRow, owner: str, refetch: Optional[str]
) -> None:
    """Remove a settled row (and, for a change not on Trakt, make the pull restore the unit)."""
    with write_transaction(conn):
        lease.assert_lease(conn, owner)
        box.delete_row(conn, row.id)
        if refetch:
            box.refetch_unit(conn, refetch)


def _failed(
    conn: sqlite3.Connection, row: box.OutboxRow, exc: BaseException, now: float, keep_state: bool
) -> None:
    attempts = row.attempts + 1
    current = conn.execute("SELECT state FROM outbox WHERE id = ?", (row.id,)).fetchone()
    state = current[0] if current else row.state
    if not keep_state and isinstance(exc, errors.RateLimited):
        state = row.state  # a 429 was never processed: no more uncertain than before
    with write_transaction(conn):
        box.mark_failed(
            conn, row.id, "%s: %s" % (type(exc).__name__, exc),
            now + conflicts.backoff_seconds(attempts), state,
        )  # fmt: skip


def _handle_error(
    conn: sqlite3.Connection, row: box.OutboxRow, exc: errors.TraktError, now: float,
    result: PushResult,
) -> str:  # fmt: skip
    if isinstance(exc, errors.AccountLimit):
        return _refused_by_limit(conn, row, exc, result)
    network = isinstance(exc, (errors.NetworkError, errors.BadResponse, errors.LockTimeout))
    outcome = conflicts.error_outcome(getattr(exc, "status", None), network)
    if outcome == conflicts.CONFIRMED:
        log.info("outbox row %d: Trakt already has it (409)", row.id)
        with write_transaction(conn):
            box.delete_row(conn, row.id)
        result.confirmed += 1
        return "confirmed"
    if outcome == conflicts.REJECTED:
        log.warning("outbox: %s of %s rejected by Trakt (%s): dropped", row.kind, row.item_key,
                    exc)  # fmt: skip
        with write_transaction(conn):
            box.delete_row(conn, row.id)
            try:
                box.refetch_unit(conn, row.action.unit)
            except ValueError:
                pass
        result.dropped += 1
        return "rejected"
    # An outage repeats this on every attempt; the service logs one WARNING per outage.
    log.debug("outbox row %d kept for a retry (%s)", row.id, type(exc).__name__)
    _failed(conn, row, exc, now, keep_state=False)
    result.kept += 1
    result.error = str(exc)
    result.failure = exc
    return "offline"


def _refused_by_limit(
    conn: sqlite3.Connection, row: box.OutboxRow, exc: errors.AccountLimit, result: PushResult
) -> str:
    """420: drop the row, undo its effect and leave a notice, in one transaction."""
    notice = refusals.notice_for(row.kind, exc.account_limit, exc.vip)
    log.warning("outbox: %s of %s refused by Trakt: %s limit (%s) reached; dropped and undone",
                row.kind, row.item_key, notice["limit"], notice["count"])  # fmt: skip
    with write_transaction(conn):
        box.delete_row(conn, row.id)
        try:
            refusals.undo(conn, row)
            box.refetch_unit(conn, row.action.unit)
        except ValueError:
            pass  # a malformed row has no effect to undo
        refusals.record(conn, notice)
    result.dropped += 1
    return "limit"


__all__ = ["PushResult", "item_body", "play_already_sent", "push_outbox"]
