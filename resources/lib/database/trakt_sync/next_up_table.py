"""The ``next_up`` table: each show's Next Up episode, computed once and kept current.

Computing Next Up for every show on each list open costs ~15 ms on a large account (it walks
two primary-key ranges per show); reading a stored answer costs ~1 ms. The rule itself lives in
``next_up_rule`` (shared with ``queries``); this module stores its answer per show:

``next_up(show_id PRIMARY KEY, next_key, <the episode's fields>, valid_until, computed_at)``
    ``next_key`` = season * 100000 + number of the Next Up episode (NULL: nothing to watch, or
    not aired yet) and a copy of that episode's fields the view shows (season, number, ids,
    title, first_aired, runtime: the read then needs no episode lookup); ``valid_until`` = the
    air time of the show's earliest regular episode that had not aired when the answer was
    computed (NULL: no such episode, valid until a change).
    Hidden and dropped shows are in the table: the view filters them when it reads (so
    hiding or un-hiding a show never makes an answer stale).

How it stays current (schema migration ``next_up_table``): triggers on ``episodes`` (insert,
delete, an update of the key, plays, last_watched_at, first_aired, has_metadata or a copied
field) and on
``shows`` (insert, delete, an update of reset_at or has_metadata) delete the show's row, in the
same transaction as the change, whoever writes (a sync unit, season metadata, a play recorded
by the service, a context-menu change, an account wipe). A show with metadata but without a
row, or whose ``valid_until`` has passed, is *stale*. The sync refreshes stale rows in the
transaction that made them stale and once more at the end of every run; a read that still finds
stale rows (a play recorded since, an episode that aired since) refreshes them itself when it
can take the write lock at once, and otherwise answers with the full query (never waiting for a
sync, never wrong).
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any, Dict, List, Optional

from . import next_up_rule
from .items import now_iso

# Shows whose stored answer is missing or expired (optionally one show), then the rule of
# next_up_rule over those shows only, then the validity time.
_STALE = """
WITH stale AS (
    SELECT s.trakt_id, s.reset_at FROM shows s
    LEFT JOIN next_up n ON n.show_id = s.trakt_id
    WHERE s.has_metadata = 1 AND (:show_id IS NULL OR s.trakt_id = :show_id)
      AND (n.show_id IS NULL OR n.valid_until <= :now)
    LIMIT -1
),
"""
_REFRESH_BODY = "".join(
    (
        next_up_rule.last_counted_cte("stale s"),
        next_up_rule.NEXT_KEY_CTE,
        """
INSERT OR REPLACE INTO next_up (show_id, next_key, season, number, trakt_id, imdb_id, tmdb_id,
    tvdb_id, title, first_aired, runtime, valid_until, computed_at)
SELECT n.show_id, n.next_key, e.season, e.number, e.trakt_id, e.imdb_id, e.tmdb_id, e.tvdb_id,
    e.title, e.first_aired, e.runtime, (
    SELECT MIN(a.first_aired) FROM episodes a
    WHERE a.show_id = n.show_id AND a.season > 0 AND a.has_metadata = 1
      AND a.first_aired > :now), :now
FROM next_key n
LEFT JOIN episodes e ON e.show_id = n.show_id AND e.season = n.next_key / 100000
    AND e.number = n.next_key % 100000
""",
    )
)
_REFRESH = "".join((_STALE, _REFRESH_BODY))

_ANY_STALE = """
SELECT 1 FROM shows s LEFT JOIN next_up n ON n.show_id = s.trakt_id
WHERE s.has_metadata = 1 AND (n.show_id IS NULL OR n.valid_until <= ?) LIMIT 1
"""

# How long a list waits for the write lock to refresh stale rows before it computes the answer
# instead (a sync may hold the lock for a whole unit's transaction).
_SHORT_WAIT = "PRAGMA busy_timeout = 50"  # milliseconds
_NORMAL_WAIT = "PRAGMA busy_timeout = 30000"  # = connection.BUSY_TIMEOUT_SECONDS


def refresh(
    conn: sqlite3.Connection, now: Optional[float] = None, show_id: Optional[int] = None
) -> int:
    """Recompute the stale rows (of ``show_id`` only, if given); call inside a write
    transaction. Returns the number of rows written."""
    before = conn.total_changes  # (rowcount is -1 for a statement that starts with WITH)
    conn.execute(_REFRESH, {"now": now_iso(now), "show_id": show_id})
    return conn.total_changes - before


def has_stale(conn: sqlite3.Connection, now_text: str) -> bool:
    return conn.execute(_ANY_STALE, (now_text,)).fetchone() is not None


def read(
    conn: sqlite3.Connection, select: str, params: Dict[str, Any]
) -> Optional[List[Dict[str, Any]]]:
    """Rows of ``select`` (a query over the table) once no row is stale; None when the table
    cannot answer now (stale rows and no write lock at once, a read-only or older database):
    the caller then computes the answer with the full query."""
    try:
        if conn.in_transaction:  # the caller's read transaction (snapshot): no refresh here
            return None if has_stale(conn, params["now"]) else _rows(conn, select, params)
        conn.execute("BEGIN")
        try:
            if not has_stale(conn, params["now"]):
                return _rows(conn, select, params)
        finally:
            conn.execute("COMMIT")
        return _refresh_and_read(conn, select, params)
    except sqlite3.OperationalError:  # no table (read-only, not migrated), busy, read-only
        return None


def _refresh_and_read(
    conn: sqlite3.Connection, select: str, params: Dict[str, Any]
) -> Optional[List[Dict[str, Any]]]:
    conn.execute(_SHORT_WAIT)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return None
    finally:
        conn.execute(_NORMAL_WAIT)
    try:
        conn.execute(_REFRESH, {"now": params["now"], "show_id": None})
        rows = _rows(conn, select, params)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise
    return rows


def _rows(conn: sqlite3.Connection, sql: str, params: Any) -> List[Dict[str, Any]]:
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
