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
from .outbox_writes import category_key, decide, item_body, play_already_sent, read_cursors, send

log = logging.getLogger(__name__)

ACTIVITIES_PATH = "/sync/last_activities"


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
    cursors = read_cursors(conn)
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
    counts = (result.pushed, result.confirmed, result.dropped, result.kept, result.writes)
    log.debug("outbox pushed %d, confirmed %d, dropped %d, kept %d (%d writes)", *counts)
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
    key = category_key(action)
    moved = conflicts.category_moved(cursors.get(action.unit), activities, key)
    decision, details = decide(ctx, row, moved, conflicts.activity_time(activities, key))
    if decision == conflicts.CONFIRMED:
        log.info("outbox row %d: Trakt already has %s %s", row.id, row.kind, row.item_key)
        _finish(conn, row, owner, refetch=None)
        result.confirmed += 1
        return "confirmed"
    if decision == conflicts.DROP:
        what = (row.kind, row.item_key, row.created_at)
        log.warning("outbox: local %s of %s (%s) dropped: the change on Trakt is newer", *what)
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
        reason = "%s: %s" % (type(exc).__name__, exc)
        retry_at = now + conflicts.backoff_seconds(attempts)
        box.mark_failed(conn, row.id, reason, retry_at, state)


def _handle_error(
    conn: sqlite3.Connection,
    row: box.OutboxRow,
    exc: errors.TraktError,
    now: float,
    result: PushResult,
) -> str:
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
        what = (row.kind, row.item_key, exc)
        log.warning("outbox: %s of %s rejected by Trakt (%s): dropped", *what)
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
    what = (row.kind, row.item_key, notice["limit"], notice["count"])
    log.warning(
        "outbox: %s of %s refused by Trakt: %s limit (%s) reached; dropped and undone", *what
    )
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
