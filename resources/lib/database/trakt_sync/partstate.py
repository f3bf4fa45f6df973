"""What the engine remembers about failed requests between runs.

* **Pending parts** (``meta`` ``pending_parts:<unit>``, JSON): the parts of a unit that did not
  answer (their stored rows are older than the unit's cursor). The next run fetches only these,
  once their ``retry_at`` has passed (a manual sync does not wait): 1, 2, 4 ... minutes up to an
  hour, or the server's Retry-After when longer.
* **Endpoints not offered** (table ``endpoint_not_offered``): a path that answered 404 is not
  offered by this server. It is skipped for :data:`NOT_OFFERED_SECONDS`, logged once, and is not
  a failure of the run.

Only called inside the engine's transactions (writes) or between them (reads).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Dict, Optional

PENDING_META = "pending_parts:"
NOT_OFFERED_SECONDS = 24 * 3600.0
RETRY_BASE_SECONDS = 60.0
RETRY_CAP_SECONDS = 3600.0

PartState = Dict[str, Any]


def retry_delay(failures: int, retry_after: Any = None) -> float:
    """Seconds before a part that failed ``failures`` times in a row is tried again."""
    delay = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * (2 ** min(max(failures, 1) - 1, 10)))
    try:
        hint = float(retry_after) if retry_after is not None else 0.0
    except (TypeError, ValueError):
        hint = 0.0
    return max(delay, min(hint, RETRY_CAP_SECONDS))


def load_pending(conn: sqlite3.Connection, unit: str) -> Dict[str, PartState]:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (PENDING_META + unit,)).fetchone()
    try:
        value = json.loads(row[0]) if row else {}
    except (TypeError, ValueError):
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(part): state for part, state in value.items() if isinstance(state, dict)}


def save_pending(conn: sqlite3.Connection, unit: str, pending: Dict[str, PartState]) -> None:
    """Inside a write transaction."""
    if pending:
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            (PENDING_META + unit, json.dumps(pending, sort_keys=True)),
        )
    else:
        conn.execute("DELETE FROM meta WHERE key = ?", (PENDING_META + unit,))


def has_pending(conn: sqlite3.Connection, unit: str) -> bool:
    return bool(load_pending(conn, unit))


def clear_all_pending(conn: sqlite3.Connection) -> None:
    """Inside a write transaction: forget every pending part (the data is fetched in full)."""
    conn.execute("DELETE FROM meta WHERE substr(key, 1, ?) = ?", (len(PENDING_META), PENDING_META))


def not_offered_until(conn: sqlite3.Connection, endpoint: str, now: float) -> Optional[float]:
    """Until when ``endpoint`` is skipped as not offered, or None."""
    row = conn.execute(
        "SELECT until_ts FROM endpoint_not_offered WHERE endpoint = ?", (endpoint,)
    ).fetchone()
    if row is None or row[0] is None or float(row[0]) <= now:
        return None
    return float(row[0])


def mark_not_offered(conn: sqlite3.Connection, endpoint: str, now: float) -> bool:
    """Inside a write transaction: skip ``endpoint`` for a day. True when it is new (log it)."""
    known = conn.execute(
        "SELECT 1 FROM endpoint_not_offered WHERE endpoint = ?", (endpoint,)
    ).fetchone()
    conn.execute(
        "INSERT INTO endpoint_not_offered (endpoint, until_ts, first_seen_ts, last_seen_ts) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (endpoint) DO UPDATE SET until_ts = excluded.until_ts, "
        "last_seen_ts = excluded.last_seen_ts",
        (endpoint, now + NOT_OFFERED_SECONDS, now, now),
    )
    return known is None


def forget_not_offered(conn: sqlite3.Connection, endpoint: str) -> None:
    """Inside a write transaction: the endpoint answered again."""
    conn.execute("DELETE FROM endpoint_not_offered WHERE endpoint = ?", (endpoint,))
