"""One run's state and its steps: fetch and apply a unit part by part, the metadata step.

Kept apart from ``engine`` (which decides what to run and turns exceptions into a status) so
that each stays small. A part that fails becomes a failure record and stays pending; a part that
answers 404 is "not offered" (skipped for a day, not a failure). Connection failures,
authorisation errors, aborts and a lost lease end the run: they are re-raised.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from typing import Any, Dict, List, Optional

from ...trakt import errors
from ...trakt.protocols import TraktApi
from .. import storage
from ..connection import write_transaction
from . import failures, lease, metadata, next_up_table, outbox, partstate
from .context import SyncContext, Unit
from .items import MalformedItem, now_iso
from .playback import PLAYBACK_PATHS
from .progress import METADATA, ProgressCallback, ProgressStep
from .store import Changes
from .watched import WATCHED_MOVIES_PATH, WATCHED_SHOWS_PATH
from .watchlist import WATCHLIST_PATH

# The engine's log channel: these lines are the engine's (a run's steps), wherever they live.
log = logging.getLogger(__name__.rsplit(".", 1)[0] + ".engine")
# Failures that an outage produces on every attempt: logged at DEBUG here, because the caller
# (the service) logs one WARNING per outage. Any other failure stays a WARNING.
TRANSIENT_ERRORS = (errors.NetworkError, errors.ServerError, errors.RateLimited, errors.BadResponse)
# These end the whole run: retrying other units cannot help.
RUN_ENDING = (errors.Aborted, errors.Unauthorized, errors.ReauthorizationRequired, lease.LeaseLost)
FULL_SYNC_META = "full_sync_ts:"
METADATA_TODO_META = "metadata_todo"
SKIPPED_META = "skipped_since:"
# The endpoint of the single-request units whose modules do not name one themselves.
_ENDPOINTS = {
    "watched_movies": WATCHED_MOVIES_PATH,
    "watched_shows": WATCHED_SHOWS_PATH,
    "watchlist": WATCHLIST_PATH,
    "playback": PLAYBACK_PATHS[0],
}


def failure_level(exc: BaseException) -> int:
    return logging.DEBUG if isinstance(exc, TRANSIENT_ERRORS) else logging.WARNING


def endpoint_key(client: TraktApi, unit: Unit, part: str) -> str:
    """The "not offered" key of a part: the API URL and path (another server, another key)."""
    path = unit.endpoint(part) or _ENDPOINTS.get(unit.name) or unit.name
    return str(getattr(client, "api_url", "") or "") + path


class Run:
    """State of one run (keeps run_sync readable)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        client: TraktApi,
        on_progress: Optional[ProgressCallback],
        ctx: SyncContext,
        owner: str,
        manual: bool = False,
    ) -> None:
        self.conn = conn
        self.client = client
        self.on_progress = on_progress
        self.ctx = ctx
        self.owner = owner
        # A manual sync retries failed parts at once instead of waiting for their retry time.
        self.manual = manual
        self.changes: Dict[str, Changes] = {}
        self.failures: List[str] = []  # text for the log and SyncResult.error
        self.records: List[Dict[str, Any]] = []  # failure records (codes) for the front ends
        self.succeeded = 0
        self.lease_renewed_ts = time.time()

    def progress(self, percent: float, step: ProgressStep) -> None:
        if self.on_progress is None:
            return
        try:
            self.on_progress(max(0, min(100, int(percent))), step)
        except Exception:  # a broken progress dialog must not break the sync
            log.exception("on_progress failed")

    def heartbeat(self) -> None:
        """Renew the lease once half of it has passed (between pages, units and shows)."""
        if time.time() - self.lease_renewed_ts > lease.LEASE_SECONDS / 3:
            lease.renew(self.conn, self.owner)
            self.lease_renewed_ts = time.time()

    def fail(
        self,
        unit: Optional[str],
        exc: BaseException,
        retry_at: Optional[float] = None,
        part: Optional[str] = None,
        text: Optional[str] = None,
    ) -> None:
        """Record a failure (its code for the user, its text for the log)."""
        reason = failures.reason_of(exc)
        self.records.append(failures.record(unit, reason, retry_at, part))
        if reason not in failures.NOT_FAILURES:
            where = unit if part is None else "%s/%s" % (unit, part)
            self.failures.append(text or "%s: %s" % (where, exc))

    def run_unit(self, unit: Unit, cursor: Dict[str, Any], moved: bool) -> None:
        """Fetch the parts of ``unit`` that are due and apply those that answered."""
        conn, ctx = self.conn, self.ctx
        pending = partstate.load_pending(conn, unit.name)
        before = json.dumps(pending, sort_keys=True)
        wanted = list(unit.parts) if moved else [part for part in unit.parts if part in pending]
        fetched: Dict[str, Any] = {}
        marks: List[str] = []
        for part in wanted:
            ctx.check_abort()
            if self._skipped(unit, part, pending):
                continue
            try:
                fetched[part] = unit.fetch_part(ctx, part)
            except RUN_ENDING:
                raise
            except errors.NotFound as exc:
                marks.append(part)
                until = ctx.now + partstate.NOT_OFFERED_SECONDS
                pending[part] = {"reason": failures.NOT_OFFERED, "retry_at": until}
                self.fail(unit.name, exc, until, _part_name(unit, part))
            except (errors.TraktError, MalformedItem, sqlite3.Error, ValueError) as exc:
                if failures.is_connection_failure(exc):
                    raise
                _raise_if_storage_failure(exc)
                self._part_failed(unit, part, pending, exc)
            except Exception as exc:
                log.exception("category %s failed unexpectedly", unit.name)
                self._part_failed(unit, part, pending, exc)
        ctx.check_abort()
        if not fetched and not marks and json.dumps(pending, sort_keys=True) == before:
            return  # every due part is still waiting: nothing to write
        try:
            changes = self._write(unit, cursor, fetched, pending, marks)
        except RUN_ENDING:
            raise
        except Exception as exc:  # the unit keeps its old data
            _raise_if_storage_failure(exc)  # a full disk or read-only folder ends the whole run
            log.warning("category %s could not be written: %s", unit.name, exc)
            self.fail(unit.name, exc)
            return
        if fetched:
            self.changes[unit.name] = changes
            self.succeeded += 1
            log.debug("synced %s (%s): %s", unit.name, ", ".join(sorted(fetched)), changes)

    def _write(
        self,
        unit: Unit,
        cursor: Dict[str, Any],
        fetched: Dict[str, Any],
        pending: Dict[str, Any],
        marks: List[str],
    ) -> Changes:
        """One transaction: the parts that answered, the cursor, the pending parts."""
        conn, ctx = self.conn, self.ctx
        changes: Changes = {}
        with write_transaction(conn):
            lease.assert_lease(conn, self.owner)
            self._mark_not_offered(unit, marks)
            if fetched:
                changes = unit.apply_parts(conn, fetched, ctx)
                outbox.reapply_pending(conn, unit.name)  # queued changes stay visible
                for part in fetched:
                    pending.pop(part, None)
                    partstate.forget_not_offered(conn, endpoint_key(self.client, unit, part))
                # A unit whose parts all answered or are pending is as new as the remote cursor.
                _store_cursor(conn, unit, cursor)
                conn.execute("DELETE FROM meta WHERE key = ?", (SKIPPED_META + unit.name,))
                _remember_metadata_work(conn, ctx)
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    (FULL_SYNC_META + unit.name, repr(ctx.now)),
                )
                next_up_table.refresh(conn)  # the lists read the new answers at once
            partstate.save_pending(conn, unit.name, pending)
        return changes

    def _skipped(self, unit: Unit, part: str, pending: Dict[str, Any]) -> bool:
        """True when ``part`` is not fetched now (not offered, or waiting for its retry time)."""
        until = partstate.not_offered_until(
            self.conn, endpoint_key(self.client, unit, part), self.ctx.now
        )
        if until is not None:
            pending[part] = {"reason": failures.NOT_OFFERED, "retry_at": until}
            log.debug("%s/%s skipped: not offered by this server", unit.name, part)
            return True
        state = pending.get(part) or {}
        if state.get("reason") == failures.NOT_OFFERED:
            return False  # the day is over: ask again
        retry_at = state.get("retry_at")
        if not self.manual and isinstance(retry_at, (int, float)) and retry_at > self.ctx.now:
            # Still failed (not asked now): the run says so, the category is not up to date.
            log.debug("%s/%s waits for its retry time", unit.name, part)
            reason = str(state.get("reason") or failures.INTERNAL)
            self.records.append(
                failures.record(unit.name, reason, float(retry_at), _part_name(unit, part))
            )
            self.failures.append(
                "%s/%s: %s, waiting for its retry time" % (unit.name, part, reason)
            )
            return True
        return False

    def _part_failed(
        self, unit: Unit, part: str, pending: Dict[str, Any], exc: BaseException
    ) -> None:
        count = int((pending.get(part) or {}).get("failures") or 0) + 1
        retry_at = self.ctx.now + partstate.retry_delay(count, getattr(exc, "retry_after", None))
        pending[part] = {"reason": failures.reason_of(exc), "retry_at": retry_at, "failures": count}
        category = unit.name if len(unit.parts) == 1 else "%s/%s" % (unit.name, part)
        log.log(failure_level(exc), "category %s failed, it is retried later: %s", category, exc)
        self.fail(unit.name, exc, retry_at, _part_name(unit, part))

    def _mark_not_offered(self, unit: Unit, parts: List[str]) -> None:
        for part in parts:
            endpoint = endpoint_key(self.client, unit, part)
            path = unit.endpoint(part) or _ENDPOINTS.get(unit.name) or unit.name
            if partstate.mark_not_offered(self.conn, endpoint, self.ctx.now):
                log.warning(
                    "%s is not offered by this server (404): skipped for a day, not a failure",
                    path,
                )
            else:
                log.debug("%s still answers 404: skipped for another day", path)

    def run_metadata(self, start: float, end: float) -> None:
        show_ids = metadata.shows_needing_metadata(self.conn, self.ctx)
        metadata.prefetch(self.ctx, show_ids)  # fetched ahead on a few connections
        written = 0
        failed: List[BaseException] = []
        for index, show_id in enumerate(show_ids):
            self.ctx.check_abort()
            self.heartbeat()
            self.progress(start + (end - start) * index / max(1, len(show_ids)), (METADATA, None))
            try:
                episodes = metadata.fetch_show_seasons(self.ctx, show_id)
            except (errors.Unauthorized, errors.ReauthorizationRequired):
                raise
            except (errors.TraktError, MalformedItem) as exc:
                if failures.is_connection_failure(exc):
                    raise
                log.log(failure_level(exc), "metadata of show %d failed: %s", show_id, exc)
                not_found = isinstance(exc, errors.NotFound)
                if not not_found:
                    failed.append(exc)
                with write_transaction(self.conn):
                    metadata.mark_metadata_failed(self.conn, show_id, self.ctx.now, not_found)
                continue
            with write_transaction(self.conn):
                lease.assert_lease(self.conn, self.owner)
                metadata.apply_show_seasons(self.conn, show_id, episodes, self.ctx.now)
                next_up_table.refresh(self.conn, show_id=show_id)  # fills as the sync goes
            written += 1
        if self.conn.execute("SELECT 1 FROM meta WHERE key = ?", (METADATA_TODO_META,)).fetchone():
            with write_transaction(self.conn):
                self.conn.execute("DELETE FROM meta WHERE key = ?", (METADATA_TODO_META,))
        if show_ids:
            self.changes["metadata"] = {"added": 0, "changed": written, "removed": 0}
        if failed:
            text = "metadata: %d show(s) failed" % len(failed)
            self.fail("metadata", failed[0], None, None, text)


def _part_name(unit: Unit, part: str) -> Optional[str]:
    return None if len(unit.parts) == 1 else part


def _raise_if_storage_failure(exc: BaseException) -> None:
    """A storage failure (disk full, read-only folder) ends the run: later writes would fail."""
    if isinstance(exc, sqlite3.Error):
        typed = storage.classify(exc)
        if typed is not None:
            raise typed from exc


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


def recall_metadata_work(conn: sqlite3.Connection, ctx: SyncContext) -> None:
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
