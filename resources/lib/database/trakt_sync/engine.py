"""``sync_activities``: one delta sync of the Trakt mirror.

1. take the cross-process lease (``busy`` if another process syncs), apply the 5-minute throttle;
   then push the local changes queued in the ``outbox`` (``outbox_push``; before the pull, so
   the pull sees them on Trakt; its ``last_activities`` answer is reused when it wrote nothing);
2. ``GET /sync/last_activities`` - when nothing moved this is the only request of the run;
3. check the Trakt account when it may have changed (first sync, account activity, most
   categories moved at once) and wipe the previous account's data if it did;
4. for every unit whose remote timestamps differ from its stored cursor: fetch every page, then
   apply in ONE transaction that also stores the REMOTE timestamps as the new cursor. A unit that
   fails keeps its cursor (retried next run) and the others go on (``partial``);
5. fetch season metadata for the shows that need it (see ``metadata``);
6. record the run in ``sync_runs`` and release the lease.

Nothing raises out of :func:`run_sync`: client errors become a status.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ...trakt import errors
from ..connection import write_transaction
from . import account, lease, metadata, outbox, outbox_push
from .context import SyncContext, Unit
from .hidden import Hidden
from .items import MalformedItem, now_iso
from .library import Collection, Ratings
from .playback import Playback
from .result import SyncResult
from .store import Changes
from .watched import WatchedMovies, WatchedShows
from .watchlist import Watchlist

log = logging.getLogger(__name__)
# Failures that an outage produces on every attempt: logged at DEBUG here, because the caller
# (the service) logs one WARNING per outage. Any other failure stays a WARNING.
TRANSIENT_ERRORS = (errors.NetworkError, errors.ServerError, errors.RateLimited, errors.BadResponse)


def _failure_level(exc: BaseException) -> int:
    return logging.DEBUG if isinstance(exc, TRANSIENT_ERRORS) else logging.WARNING


ACTIVITIES_PATH = "/sync/last_activities"
CATEGORIES = ("watched", "watchlist", "playback", "hidden", "collection", "ratings")
UNITS: Tuple[Unit, ...] = (
    WatchedMovies(),
    WatchedShows(),
    Watchlist(),
    Playback(),
    Hidden(),
    Collection(),
    Ratings(),
)
ProgressCallback = Callable[[int, str], None]
# Watched shows are fetched in full at least this often, even when nothing moved: that refreshes
# Trakt's aired-episode counts, which is how new episodes of airing shows reach Next Up.
FULL_REFRESH_SECONDS = 24 * 3600.0
FULL_SYNC_META = "full_sync_ts:"
METADATA_TODO_META = "metadata_todo"
DAILY_REFRESH_UNITS = ("watched_shows",)
# Set for a unit while selective sync leaves it out; the next run that includes it fetches it in
# full even if its remote timestamps did not move (the mirror may have drifted meanwhile).
SKIPPED_META = "skipped_since:"


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


class _Run:
    """State of one run (keeps run_sync readable)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        client: Any,
        on_progress: Optional[ProgressCallback],
        ctx: SyncContext,
        owner: str,
    ) -> None:
        self.conn = conn
        self.client = client
        self.on_progress = on_progress
        self.ctx = ctx
        self.owner = owner
        self.changes: Dict[str, Changes] = {}
        self.failures: List[str] = []
        self.succeeded = 0
        self.lease_renewed_ts = time.time()

    def progress(self, percent: float, label: str) -> None:
        if self.on_progress is None:
            return
        try:
            self.on_progress(max(0, min(100, int(percent))), label)
        except Exception:  # a broken progress dialog must not break the sync
            log.exception("on_progress failed")

    def heartbeat(self) -> None:
        """Renew the lease once half of it has passed (between pages, units and shows)."""
        if time.time() - self.lease_renewed_ts > lease.LEASE_SECONDS / 3:
            lease.renew(self.conn, self.owner)
            self.lease_renewed_ts = time.time()

    def run_unit(self, unit: Unit, cursor: Dict[str, Any]) -> None:
        self.ctx.check_abort()
        data = unit.fetch(self.ctx)
        self.ctx.check_abort()
        with write_transaction(self.conn):
            lease.assert_lease(self.conn, self.owner)
            changes = unit.apply(self.conn, data, self.ctx)
            outbox.reapply_pending(self.conn, unit.name)  # queued changes stay visible
            _store_cursor(self.conn, unit, cursor)
            self.conn.execute("DELETE FROM meta WHERE key = ?", (SKIPPED_META + unit.name,))
            _remember_metadata_work(self.conn, self.ctx)
            self.conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (FULL_SYNC_META + unit.name, repr(self.ctx.now)),
            )
        self.changes[unit.name] = changes
        self.succeeded += 1
        log.debug("synced %s: %s", unit.name, changes)

    def run_metadata(self, start: float, end: float) -> None:
        show_ids = metadata.shows_needing_metadata(self.conn, self.ctx)
        metadata.prefetch(self.ctx, show_ids)  # h7: fetched ahead on a few connections
        written = failed = 0
        for index, show_id in enumerate(show_ids):
            self.ctx.check_abort()
            self.heartbeat()
            self.progress(
                start + (end - start) * index / max(1, len(show_ids)), "Updating show details"
            )
            try:
                episodes = metadata.fetch_show_seasons(self.ctx, show_id)
            except (errors.Unauthorized, errors.ReauthorizationRequired):
                raise
            except (errors.TraktError, MalformedItem) as exc:
                log.log(_failure_level(exc), "metadata of show %d failed: %s", show_id, exc)
                failed += 1
                with write_transaction(self.conn):
                    metadata.mark_metadata_failed(
                        self.conn, show_id, self.ctx.now, isinstance(exc, errors.NotFound)
                    )
                continue
            with write_transaction(self.conn):
                lease.assert_lease(self.conn, self.owner)
                metadata.apply_show_seasons(self.conn, show_id, episodes, self.ctx.now)
            written += 1
        if self.conn.execute("SELECT 1 FROM meta WHERE key = ?", (METADATA_TODO_META,)).fetchone():
            with write_transaction(self.conn):
                self.conn.execute("DELETE FROM meta WHERE key = ?", (METADATA_TODO_META,))
        if show_ids:
            self.changes["metadata"] = {"added": 0, "changed": written, "removed": 0}
        if failed:
            self.failures.append("metadata: %d show(s) failed" % failed)


def _store_cursor(conn: sqlite3.Connection, unit: Unit, cursor: Dict[str, Any]) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO activities (category, cursor, synced_at) VALUES (?, ?, ?)",
        (unit.name, json.dumps(cursor, sort_keys=True), now_iso()),
    )


def _remember_metadata_work(conn: sqlite3.Connection, ctx: SyncContext) -> None:
    """Inside a unit's transaction: persist the shows the metadata step must look at, so a run
    killed or aborted between the watched data's commit and the metadata step leaves the work
    to the next run instead of losing it (Next Up would miss those shows until the daily
    refresh)."""
    if not ctx.touched_shows and not ctx.aired_counts:
        return
    todo = {
        "touched": sorted(ctx.touched_shows),
        "aired": {str(key): value for key, value in ctx.aired_counts.items()},
    }
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        (METADATA_TODO_META, json.dumps(todo, sort_keys=True)),
    )


def _recall_metadata_work(conn: sqlite3.Connection, ctx: SyncContext) -> None:
    """Merge the metadata work an interrupted earlier run left (see above) into this run."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (METADATA_TODO_META,)).fetchone()
    try:
        todo = json.loads(row[0]) if row else {}
        touched = {int(show) for show in todo.get("touched", [])}
        aired = {int(show): int(count) for show, count in todo.get("aired", {}).items()}
    except (TypeError, ValueError, AttributeError):
        return
    ctx.touched_shows |= touched
    for show, count in aired.items():
        ctx.aired_counts.setdefault(show, count)


def _full_sync_ts(conn: sqlite3.Connection, unit: Unit) -> float:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (FULL_SYNC_META + unit.name,))
    value = row.fetchone()
    try:
        return float(value[0]) if value else 0.0
    except ValueError:
        return 0.0


def _full_is_recent(conn: sqlite3.Connection, unit: Unit, now: float) -> bool:
    return now - _full_sync_ts(conn, unit) < FULL_REFRESH_SECONDS


def _mark_skipped(run: _Run, units: List[Unit]) -> Set[str]:
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


def _acquire(conn: sqlite3.Connection, owner: str, wait: float, should_abort: Any) -> bool:
    deadline = time.time() + max(0.0, wait)
    while True:
        if lease.acquire(conn, owner):
            return True
        if time.time() >= deadline or (should_abort is not None and should_abort()):
            return False
        time.sleep(0.2)


def run_sync(
    conn: sqlite3.Connection,
    client: Any,
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
            return SyncResult(
                "busy", next_allowed_at=current["expires_ts"] if current else None,
                error="another sync is running",
            )  # fmt: skip
    except sqlite3.Error as exc:
        log.warning("sync lease unavailable: %s", exc)
        # Only a locked database means "another process is busy"; a full disk, a read-only
        # folder or an I/O error is a failure the user must hear about.
        locked = any(word in str(exc).lower() for word in ("locked", "busy"))
        return SyncResult("busy" if locked else "error", error="database: %s" % exc)
    try:
        allowed = lease.next_allowed_ts(conn)
        if not force and started < allowed:
            lease.release(conn, owner)
            return SyncResult("throttled", next_allowed_at=allowed)
        run_id = lease.start_run(conn, trigger, started)
    except sqlite3.Error as exc:
        lease.release(conn, owner)
        return SyncResult("error", error="database: %s" % exc)
    except BaseException:
        lease.release(conn, owner)
        raise
    requests_before = _request_count(client)
    previous_abort = getattr(client, "should_abort", None)
    ctx = SyncContext(client, _combine(should_abort, previous_abort))
    run = _Run(conn, client, on_progress, ctx, owner)
    ctx.heartbeat = run.heartbeat
    status, error = "error", None
    try:
        client.should_abort = ctx.poll
        status, error = _sync(run, categories, force)
    except errors.Aborted:
        status, error = "aborted", "aborted"
    except (errors.Unauthorized, errors.ReauthorizationRequired) as exc:
        status, error = "unauthorized", str(exc)
    except errors.TraktError as exc:
        # The user message first: front ends show this text (423/420/426 must be explained).
        status, error = "error", "%s (%s)" % (exc.user_message, exc)
    except lease.LeaseLost as exc:
        status, error = "error", str(exc)
    except Exception as exc:  # never crash the caller (the Kodi service loop)
        log.exception("sync failed")
        status, error = "error", "%s: %s" % (type(exc).__name__, exc)
    finally:
        client.should_abort = previous_abort
        duration = time.time() - started
        requests = max(0, _request_count(client) - requests_before)
        try:
            if status in ("ok", "partial"):
                _set_last_sync(conn, started)
            lease.finish_run(conn, run_id, status, duration, requests, run.changes, error)
        except sqlite3.Error:
            log.exception("could not record the sync run")
        try:
            lease.release(conn, owner)
        except sqlite3.Error:
            log.exception("could not release the sync lease (it expires by itself)")
    run.progress(100, "Done")
    # DEBUG: the caller logs the one INFO line per sync (the service's "Sync finished: ...").
    log.debug("sync %s in %.2f s, %d requests: %s", status, duration, requests, error or "")
    return SyncResult(status, run.changes, requests, duration, error)


def _sync(
    run: _Run, categories: Optional[Sequence[str]], force: bool = False
) -> Tuple[str, Optional[str]]:
    conn, ctx = run.conn, run.ctx
    run.progress(0, "Checking Trakt activity")
    pushed = outbox_push.push_outbox(conn, ctx, run.owner, force=force)
    if pushed.log:
        run.changes["outbox"] = pushed.changes
    if pushed.error:
        run.failures.append("outbox: %d change(s) kept: %s" % (pushed.kept, pushed.error))
    if pushed.activities is not None and not pushed.writes:
        activities = pushed.activities
    else:
        activities = ctx.client.get(ACTIVITIES_PATH)
    if not isinstance(activities, dict):
        raise errors.BadResponse("last_activities is not an object")
    ctx.check_abort()
    units = _select_units(categories)
    _recall_metadata_work(conn, ctx)
    skipped = _mark_skipped(run, units)
    cursors = stored_cursors(conn)
    pending = [
        (unit, remote_cursor(unit, activities))
        for unit in units
        if cursors.get(unit.name) != remote_cursor(unit, activities)
        or unit.name in skipped
        or (
            unit.name in DAILY_REFRESH_UNITS
            and unit.name in cursors
            and not _full_is_recent(conn, unit, ctx.now)
        )
    ]
    changed_categories = {unit.category for unit, _ in pending}
    if account.needs_check(conn, activities, changed_categories):
        run.progress(3, "Checking Trakt account")
        if account.check_and_switch(conn, ctx, activities, run.owner):
            cursors = stored_cursors(conn)
            pending = [(unit, remote_cursor(unit, activities)) for unit in units]
            run.changes["account"] = {"added": 0, "changed": 1, "removed": 0}
    for index, (unit, cursor) in enumerate(pending):
        run.progress(5 + 75 * index / max(1, len(pending)), "Syncing %s" % unit.name)
        try:
            run.run_unit(unit, cursor)
        except (errors.Aborted, errors.Unauthorized, errors.ReauthorizationRequired):
            raise
        except lease.LeaseLost:
            raise
        except (errors.TraktError, sqlite3.Error) as exc:
            log.log(
                _failure_level(exc), "category %s failed, its cursor is kept: %s", unit.name, exc
            )
            run.failures.append("%s: %s" % (unit.name, exc))
        except Exception as exc:
            log.exception("category %s failed unexpectedly", unit.name)
            run.failures.append("%s: %s: %s" % (unit.name, type(exc).__name__, exc))
    if any(unit.category == "watched" for unit in units):
        run.progress(80, "Updating show details")
        run.run_metadata(80, 98)
    if not run.failures:
        return "ok", None
    status = "partial" if run.succeeded or not pending else "error"
    return status, "; ".join(run.failures)


def _set_last_sync(conn: sqlite3.Connection, started: float) -> None:
    with write_transaction(conn):
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_sync_at', ?)",
            (now_iso(started),),
        )


def _request_count(client: Any) -> int:
    try:
        return int(getattr(client, "request_count", 0) or 0)
    except (TypeError, ValueError):
        return 0


def _combine(*checks: Optional[Callable[[], bool]]) -> Callable[[], bool]:
    active = [check for check in checks if check is not None]

    def should_abort() -> bool:
        return any(check() for check in active)

    return should_abort
