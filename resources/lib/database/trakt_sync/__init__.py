"""The Trakt mirror: :class:`TraktSyncDatabase` (delta sync and read queries).

```
db = TraktSyncDatabase(path)            # opens/creates/migrates; db.recovered after corruption
result = db.sync_activities(client, on_progress, should_abort, force, trigger, categories)
db.next_up() / db.in_progress() / db.watchlist("movie") / db.snapshot() ...
```
Module map: ``engine`` (the run), ``lease`` (lease, throttle, run record), ``account``,
one module per category (``watched``, ``watchlist``, ``playback``, ``hidden``, ``library``),
``metadata`` (season data for Next Up), ``queries`` (reads), ``store``/``items`` (helpers).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple

from .. import schema
from ..connection import (
    integrity_problem,
    move_aside,
    open_database,
    reports_damage,
    request_integrity_check,
)
from . import queries
from .browse_facade import BrowseReads
from .damage import _reports_damage
from .player_facade import PlayerWrites
from .result import SyncResult

if TYPE_CHECKING:  # pragma: no cover
    from ...trakt.protocols import TraktApi
    from .outbox import LocalAction, OutboxRow

__all__ = ["CATEGORIES", "SyncResult", "TraktSyncDatabase"]

# A list view opens this package in a new process for every call: it imports only the reads.
# The sync engine (and with it every category, the outbox push, the metadata fetch and the
# Trakt client's errors) is imported by the methods that sync.


def __getattr__(name: str) -> Any:
    if name == "CATEGORIES":
        from .engine import CATEGORIES

        return CATEGORIES
    raise AttributeError(name)


class TraktSyncDatabase(BrowseReads, PlayerWrites):
    """One connection to ``trakt_sync.db``; safe to share between threads (serialised)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn, self.recovered = open_database(path)
        self._identity = _file_identity(path)
        self._lock = threading.RLock()
        try:
            schema.migrate(self._conn)
        except sqlite3.Error as exc:
            self._conn.close()
            if reports_damage(exc):
                request_integrity_check(path)
            raise

    def check_integrity(self) -> Optional[str]:
        """``PRAGMA quick_check`` (the service: at its start and when a plugin call asked, see
        ``connection.integrity_check_wanted``). A damaged file is moved aside and this object
        continues on a new, empty one (the next sync fills it); returns the path it was moved
        to (also in ``recovered``), or None when the database is sound."""
        from ..connection import INTEGRITY_MARKER

        with self._lock:
            problem = integrity_problem(self._conn)
            moved = None
            if problem is not None:
                self._conn.close()
                moved = move_aside(self.path)
                self._conn, _ = open_database(self.path)
                schema.migrate(self._conn)
                self._identity = _file_identity(self.path)
                self.recovered = moved
            marker = os.path.join(os.path.dirname(os.path.abspath(self.path)), INTEGRITY_MARKER)
            try:
                os.remove(marker)
            except OSError:  # not asked for
                pass
            return moved

    # -- lifecycle -----------------------------------------------------------------------------
    def replaced_on_disk(self) -> bool:
        """True when the file at ``path`` is no longer the one this connection opened (another
        process moved a corrupt database aside and created a new one, or the file is gone).
        One ``os.stat``: cheap enough to call before every sync."""
        if self._identity is None:  # never was a plain file (e.g. ":memory:")
            return False
        return _file_identity(self.path) != self._identity

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> TraktSyncDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The raw connection (for maintenance code in this package's parent)."""
        return self._conn

    # -- sync ----------------------------------------------------------------------------------
    def sync_activities(
        self,
        client: TraktApi,
        on_progress: Optional[Callable[[int, str], None]] = None,
        should_abort: Optional[Callable[[], bool]] = None,
        force: bool = False,
        trigger: str = "manual",
        categories: Optional[Sequence[str]] = None,
        lease_wait: float = 0.0,
    ) -> SyncResult:
        """Delta-sync the mirror; never raises for client or database errors (see SyncResult).

        ``lease_wait``: seconds to wait for another process's sync instead of returning "busy".
        """
        from . import engine

        with self._lock:
            options = (force, trigger, categories, lease_wait)
            return engine.run_sync(self._conn, client, on_progress, should_abort, *options)

    def sync_in_progress(self) -> bool:
        """True while any process holds the sync lease."""
        from . import lease

        with self._lock:
            return lease.holder(self._conn) is not None

    def next_allowed_at(self) -> float:
        """Unix time from which a non-forced sync is allowed (0 = now)."""
        from . import lease

        with self._lock:
            return lease.next_allowed_ts(self._conn)

    # -- local changes -------------------------------------------------------------------------
    def queue_change(self, action: LocalAction, now: Optional[float] = None) -> Optional[int]:
        """Apply a context-menu ``outbox.LocalAction`` to the mirror and queue it for Trakt
        (one transaction); the next sync pushes it. Raises ValueError for a malformed action."""
        from . import outbox

        with self._lock:
            return outbox.queue_action(self._conn, action, now)

    def adopt_account(self, settings: Any) -> bool:
        """After authorising: record the user from ``/users/settings``; a different user than
        the mirror's wipes the old user's data and queued changes. True if wiped."""
        from ..connection import write_transaction
        from . import account, lease

        with self._lock:
            wiped = account.adopt_account(self._conn, settings)
            with write_transaction(self._conn):
                lease.reset_throttle(self._conn)  # a new authorisation syncs at once
            return wiped

    def reset_throttle(self) -> None:
        """Let the next sync run at once, whatever ran in the last five minutes."""
        from ..connection import write_transaction
        from . import lease

        with self._lock, write_transaction(self._conn):
            lease.reset_throttle(self._conn)

    def outbox_rows(self) -> List[OutboxRow]:
        """The queued local changes (``outbox.OutboxRow``), oldest first."""
        from . import outbox

        with self._lock:
            return outbox.rows(self._conn)

    def take_notices(self) -> List[Dict[str, Any]]:
        """Notices for the user (codes, e.g. a change refused by an account limit), each
        returned once: see ``refusals``."""
        from . import refusals

        with self._lock:
            return refusals.take(self._conn)

    # -- reads ---------------------------------------------------------------------------------
    @_reports_damage
    def next_up(
        self, order: str = "last_watched", limit: Optional[int] = None, offset: int = 0
    ) -> List[Dict[str, Any]]:
        """Next Up rows (``limit``/``offset``: one page of them)."""
        with self._lock:
            return queries.next_up(self._conn, order, limit=limit, offset=offset)

    @_reports_damage
    def in_progress(self) -> List[Dict[str, Any]]:
        with self._lock:
            return queries.in_progress(self._conn)

    @_reports_damage
    def watchlist(self, kind: str = "movie", order: str = "rank") -> List[Dict[str, Any]]:
        with self._lock:
            return queries.watchlist(self._conn, kind, order)

    @_reports_damage
    def is_movie_watched(self, trakt_id: int) -> bool:
        with self._lock:
            return queries.is_movie_watched(self._conn, trakt_id)

    @_reports_damage
    def is_episode_watched(self, show_id: int, season: int, number: int) -> bool:
        with self._lock:
            return queries.is_episode_watched(self._conn, show_id, season, number)

    @_reports_damage
    def show_progress(self, show_id: int) -> Optional[Dict[str, Any]]:
        with self._lock:
            return queries.show_progress(self._conn, show_id)

    # Browse pages (items named by IMDb id): trakt_sync/browse_reads.py
    @_reports_damage
    def counts(self) -> Dict[str, int]:
        with self._lock:
            return queries.counts(self._conn)

    def last_sync_at(self) -> Optional[str]:
        """ISO time of the start of the last run that committed (status ok or partial)."""
        with self._lock:
            return queries.meta_value(self._conn, "last_sync_at")

    def trakt_user(self) -> Optional[str]:
        with self._lock:
            return queries.meta_value(self._conn, "trakt_user")

    def schema_version(self) -> int:
        with self._lock:
            return schema.current_version(self._conn)

    def sync_history(self, limit: int = 50) -> List[Dict[str, Any]]:
        from . import lease

        with self._lock:
            return lease.run_rows(self._conn, limit)

    def sync_stats(self, days: int = 7) -> Dict[str, Any]:
        """Totals over the runs of the last ``days`` days."""
        with self._lock:
            return queries.sync_stats(self._conn, days, time.time())

    @_reports_damage
    def snapshot(self) -> Dict[str, Any]:
        """The mirror in the sandbox ``truth`` format, read in one read transaction."""
        with self._lock:
            return queries.snapshot_in_one_transaction(self._conn)


def _file_identity(path: str) -> Optional[Tuple[int, int]]:
    """(st_dev, st_ino) of ``path``, or None when it does not exist."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino
