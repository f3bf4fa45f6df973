"""``sync_activities``: one delta sync of the Trakt mirror.

1. take the cross-process lease (``busy`` if another process syncs), apply the 5-minute throttle;
   then push the local changes queued in the ``outbox`` (``outbox_push``; before the pull, so
   the pull sees them on Trakt; its ``last_activities`` answer is reused when it wrote nothing);
2. ``GET /sync/last_activities`` - when nothing moved this is the only request of the run;
3. check the Trakt account when it may have changed (first sync, account activity, most
   categories moved at once) and wipe the previous account's data if it did;
4. for every unit whose remote timestamps differ from its stored cursor: fetch every page, then
   apply in ONE transaction that also stores the REMOTE timestamps as the new cursor. A unit
   built from several requests (hidden sections, collection types) keeps the parts that answered;
   a part that fails stays pending and is the only one retried (``partial``); a part that answers
   404 is not offered by this server (skipped for a day, not a failure; see ``runner``);
5. fetch season metadata for the shows that need it (see ``metadata``);
6. record the run in ``sync_runs`` and release the lease.

Nothing raises out of :func:`run_sync`: client errors become a status and failure records
(codes, ``failures.py``). ``error`` is a run that failed as a whole: Trakt unreachable (the first
connection failure ends the run), or ``last_activities`` refused; it is the only status the
service backs off for.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ...trakt import errors
from ...trakt.protocols import TraktApi
from .. import storage
from ..connection import write_transaction
from . import account, failures, lease, next_up_table, outbox_push, partstate
from . import progress as steps
from .context import SyncContext, Unit
from .hidden import Hidden
from .items import now_iso
from .library import Collection, Ratings
from .lists import LikedLists, PersonalLists
from .playback import Playback
from .progress import ProgressCallback
from .result import SyncResult
from .runner import FULL_SYNC_META, SKIPPED_META, Run, recall_metadata_work
from .watched import WatchedMovies, WatchedShows
from .watchlist import Watchlist

log = logging.getLogger(__name__)

ACTIVITIES_PATH = "/sync/last_activities"
CATEGORIES = ("watched", "watchlist", "playback", "hidden", "collection", "ratings", "lists")
UNITS: Tuple[Unit, ...] = (
    WatchedMovies(),
    WatchedShows(),
    Watchlist(),
    Playback(),
    Hidden(),
    Collection(),
    Ratings(),
    PersonalLists(),
    LikedLists(),
)
# Watched shows are fetched in full at least this often, even when nothing moved: that refreshes
# Trakt's aired-episode counts, which is how new episodes of airing shows reach Next Up.
FULL_REFRESH_SECONDS = 24 * 3600.0
# A liked list edited by its owner moves none of our activities: refreshed daily like that.
DAILY_REFRESH_UNITS = ("watched_shows", "lists_liked")
# SKIPPED_META is set for a unit while selective sync leaves it out; the next run that includes
# it fetches it in full even if its remote timestamps did not move (the mirror may have drifted).


def remote_cursor(unit: Unit, activities: Dict[str, Any]) -> Dict[str, Any]:
    cursor = {}
    for section, key in unit.activity_keys:
        value = activities.get(section)
        cursor[section + "." + key] = value.get(key) if isinstance(value, dict) else None
    return cursor


def stored_cursors(conn: sqlite3.Connection) -> Dict[str, Dict[str, Any]]:
    cursors = {}
    for row in conn.execute("SELECT category, cursor FROM activities"):
        try:
            value = json.loads(row[1])
        except ValueError:
            continue
        if isinstance(value, dict):
            cursors[row[0]] = value
    return cursors


def _full_sync_ts(conn: sqlite3.Connection, unit: Unit) -> float:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (FULL_SYNC_META + unit.name,))
    value = row.fetchone()
    try:
        return float(value[0]) if value else 0.0
    except ValueError:
        return 0.0


def _full_is_recent(conn: sqlite3.Connection, unit: Unit, now: float) -> bool:
    return now - _full_sync_ts(conn, unit) < FULL_REFRESH_SECONDS


def _mark_skipped(run: Run, units: List[Unit]) -> Set[str]:
    """Mark the units this run leaves out (neither fetched nor changed: only this marker is
    written); return the included units that an earlier run left out."""
    names = {unit.name for unit in units}
    left_out = [unit.name for unit in UNITS if unit.name not in names]
    if left_out:
        with write_transaction(run.conn):
            lease.assert_lease(run.conn, run.owner)
            run.conn.executemany(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                [(SKIPPED_META + name, repr(run.ctx.now)) for name in left_out],
            )
    rows = run.conn.execute(
        "SELECT key FROM meta WHERE substr(key, 1, ?) = ?", (len(SKIPPED_META), SKIPPED_META)
    ).fetchall()
    marked = {row[0][len(SKIPPED_META) :] for row in rows}
    return marked & names


def _select_units(categories: Optional[Iterable[str]]) -> List[Unit]:
    if categories is None:
        return list(UNITS)
    wanted = set(categories)
    unknown = wanted - set(CATEGORIES)
    if unknown:
        log.warning("unknown sync categories ignored: %s", sorted(unknown))
    return [unit for unit in UNITS if unit.category in wanted]


def _acquire(
    conn: sqlite3.Connection, owner: str, wait: float, should_abort: Optional[Callable[[], bool]]
) -> bool:
    deadline = time.time() + max(0.0, wait)
    while True:
        if lease.acquire(conn, owner):
            return True
        if time.time() >= deadline or (should_abort is not None and should_abort()):
            return False
        time.sleep(0.2)


def run_sync(
    conn: sqlite3.Connection,
    client: TraktApi,
    on_progress: Optional[ProgressCallback] = None,
    should_abort: Optional[Callable[[], bool]] = None,
    force: bool = False,
    trigger: str = "manual",
    categories: Optional[Sequence[str]] = None,
    lease_wait: float = 0.0,
) -> SyncResult:
    started = time.time()
    owner = lease.new_owner()
    try:
        if not _acquire(conn, owner, lease_wait, should_abort):
            current = lease.holder(conn)
            expires = current["expires_ts"] if current else None
            return SyncResult("busy", next_allowed_at=expires, error="another sync is running")
    except sqlite3.Error as exc:
        # Only a locked database means "another process is busy"; a full disk, a read-only
        # folder or an I/O error is a failure the user must hear about (the caller says it).
        typed = storage.classify(exc)
        if typed is not None:
            log.debug("sync lease unavailable: %s", exc)
            return SyncResult("error", error=storage.describe(typed))
        log.warning("sync lease unavailable: %s", exc)
        locked = any(word in str(exc).lower() for word in ("locked", "busy"))
        if locked:
            return SyncResult("busy", error="database: %s" % exc)
        failed = [failures.record(None, failures.reason_of(exc))]
        return SyncResult("error", error="database: %s" % exc, failures=failed)
    try:
        allowed = lease.next_allowed_ts(conn)
        if not force and started < allowed:
            lease.release(conn, owner)
            return SyncResult("throttled", next_allowed_at=allowed)
        run_id = lease.start_run(conn, trigger, started)
    except sqlite3.Error as exc:
        with contextlib.suppress(sqlite3.Error):
            lease.release(conn, owner)
        typed = storage.classify(exc)
        if typed is not None:
            return SyncResult(
                "error", error=storage.describe(typed), failures=[failures.record(None, typed.code)]
            )
        return SyncResult(
            "error", error="database: %s" % exc, failures=[failures.record(None, failures.DATABASE)]
        )
    except BaseException:
        lease.release(conn, owner)
        raise
    requests_before = _request_count(client)
    ctx = SyncContext(client, _combine(should_abort, getattr(client, "should_abort", None)))
    # The run's own view of the client: the caller's client is never changed, so another user
    # of it (the scrobble worker, a plugin call) never sees this run's abort. The first
    # connection failure ends the run (no retries): Trakt is unreachable, the user hears it in
    # seconds, and the service's own backoff decides when to try again.
    run_client = _run_view(client, ctx.poll)
    ctx.client = run_client
    ctx.conn = conn  # type: ignore[attr-defined]  # read-only: per-list deltas (lists.py)
    run = Run(conn, run_client, on_progress, ctx, owner, manual=trigger == "manual")
    ctx.heartbeat = run.heartbeat
    status, error = "error", None
    try:
        status, error = _sync(run, categories, force)
    except errors.Aborted:
        status, error = "aborted", "aborted"
    except (errors.Unauthorized, errors.ReauthorizationRequired) as exc:
        status, error = "unauthorized", str(exc)
        run.records = [failures.record(None, failures.UNAUTHORIZED)]
    except errors.TraktError as exc:
        # The user message first: logs and old front ends show this text.
        status, error = "error", "%s (%s)" % (exc.user_message, exc)
        run.records = [failures.record(None, failures.reason_of(exc))]
    except lease.LeaseLost as exc:
        status, error = "error", str(exc)
        run.records = [failures.record(None, failures.LEASE_LOST)]
    except storage.StorageError as exc:  # a full disk ends the run: every write would fail
        log.debug("sync stopped", exc_info=True)
        status, error = "error", storage.describe(exc)
        run.records = [failures.record(None, exc.code)]
    except Exception as exc:  # never crash the caller (the Kodi service loop)
        typed = storage.classify(exc) if isinstance(exc, sqlite3.Error) else None
        if typed is not None:
            log.debug("sync stopped", exc_info=True)
            status, error = "error", storage.describe(typed)
            run.records = [failures.record(None, typed.code)]
        else:
            log.exception("sync failed")
            status, error = "error", "%s: %s" % (type(exc).__name__, exc)
            run.records = [failures.record(None, failures.reason_of(exc))]
    finally:
        duration = time.time() - started
        requests = max(0, _request_count(client) - requests_before)
        _refresh_next_up(conn)
        try:
            if status in ("ok", "partial"):
                _set_last_sync(conn, started)
            lease.finish_run(
                conn, run_id, status, duration, requests, run.changes, error, failures=run.records
            )
        except sqlite3.Error as exc:
            log.warning("could not record the sync run: %s", exc)
        try:
            lease.release(conn, owner)
        except sqlite3.Error as exc:
            log.warning("could not release the sync lease (it expires by itself): %s", exc)
    if status == "ok":
        # Never after a failure: the front end says what failed.
        run.progress(100, (steps.DONE, None))
    # DEBUG: the caller logs the one INFO line per sync (the service's "Sync finished: ...").
    log.debug("sync %s in %.2f s, %d requests: %s", status, duration, requests, error or "")
    return SyncResult(status, run.changes, requests, duration, error, failures=run.records)


def _sync(
    run: Run, categories: Optional[Sequence[str]], force: bool = False
) -> Tuple[str, Optional[str]]:
    conn, ctx = run.conn, run.ctx
    run.progress(0, (steps.ACTIVITY, None))
    pushed = outbox_push.push_outbox(conn, ctx, run.owner, force=force)
    if pushed.log:
        run.changes["outbox"] = pushed.changes
    if pushed.error:
        failure = getattr(pushed, "failure", None)
        if failure is not None and failures.is_connection_failure(failure):
            raise failure  # Trakt is unreachable: the pull would fail the same way
        cause = failure or errors.TraktError(pushed.error)
        text = "outbox: %d change(s) kept: %s" % (pushed.kept, pushed.error)
        run.fail("outbox", cause, text=text)
    if pushed.activities is not None and not pushed.writes:
        activities = pushed.activities
    else:
        activities = ctx.client.get(ACTIVITIES_PATH)
    if not isinstance(activities, dict):
        raise errors.BadResponse("last_activities is not an object")
    ctx.check_abort()
    units = _select_units(categories)
    recall_metadata_work(conn, ctx)
    skipped = _mark_skipped(run, units)
    cursors = stored_cursors(conn)
    moved = {
        unit.name
        for unit in units
        if cursors.get(unit.name) != remote_cursor(unit, activities)
        or unit.name in skipped
        or (
            unit.name in DAILY_REFRESH_UNITS
            and unit.name in cursors
            and not _full_is_recent(conn, unit, ctx.now)
        )
    }
    changed_categories = {unit.category for unit in units if unit.name in moved}
    if account.needs_check(conn, activities, changed_categories):
        run.progress(3, (steps.ACCOUNT, None))
        if account.check_and_switch(conn, ctx, activities, run.owner):
            moved = {unit.name for unit in units}
            with write_transaction(conn):  # the old account's failed parts are not ours
                partstate.clear_all_pending(conn)
            run.changes["account"] = {"added": 0, "changed": 1, "removed": 0}
    # Units with parts left over from a failed run are visited too (only those parts are asked
    # for, once their retry time has come: a nothing-new sync stays at one request).
    pending = [
        unit for unit in units if unit.name in moved or partstate.has_pending(conn, unit.name)
    ]
    for index, unit in enumerate(pending):
        run.progress(5 + 75 * index / max(1, len(pending)), (steps.UNIT, unit.name))
        run.run_unit(unit, remote_cursor(unit, activities), unit.name in moved)
    if any(unit.category == "watched" for unit in units):
        run.progress(80, (steps.METADATA, None))
        run.run_metadata(80, 98)
    if not run.failures:
        return "ok", None
    # Trakt answered last_activities: this run did not fail as a whole, whatever failed in it.
    return "partial", "; ".join(run.failures)


def _refresh_next_up(conn: sqlite3.Connection) -> None:
    """Store the Next Up answers of every show this run (or anything before it: a play recorded
    by the service, a context-menu change, a pushed outbox) left stale; see next_up_table."""
    try:
        with write_transaction(conn):
            next_up_table.refresh(conn)
    except sqlite3.Error as exc:  # the next read computes them instead
        log.warning("could not store the Next Up answers: %s", exc)


def _set_last_sync(conn: sqlite3.Connection, started: float) -> None:
    with write_transaction(conn):
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_sync_at', ?)",
            (now_iso(started),),
        )


def _request_count(client: TraktApi) -> int:
    try:
        return int(getattr(client, "request_count", 0) or 0)
    except (TypeError, ValueError):
        return 0


def _run_view(client: TraktApi, poll: Callable[[], bool]) -> TraktApi:
    """``client.for_run`` when the client has one (the real client); a bare test double that
    has no abort or connect policy of its own is used as it is."""
    for_run = getattr(client, "for_run", None)
    if for_run is None:
        return client
    return for_run(should_abort=poll, fail_fast_connect=True)


def _combine(*checks: Optional[Callable[[], bool]]) -> Callable[[], bool]:
    active = [check for check in checks if check is not None]

    def should_abort() -> bool:
        return any(check() for check in active)

    return should_abort
