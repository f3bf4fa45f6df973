"""Trakt's Next Up rule as SQL, in one place: the stored table and the full query share it.

Per show: the highest regular episode watched since the show's ``reset_at``, then the first aired
regular episode after it (or the first aired one when nothing counts), as season * 100000 +
number. Both correlated subqueries walk the (show_id, season, number) primary key, so the cost
grows with shows, not episodes. "LIMIT -1" keeps SQLite from flattening a CTE, which would
evaluate the subqueries several times per show.
"""

from __future__ import annotations

# The highest counted episode of show ``s`` (a row with ``trakt_id`` and ``reset_at``).
LAST_COUNTED_KEY = """(
        SELECT e.season * 100000 + e.number FROM episodes e
        WHERE e.show_id = s.trakt_id AND e.plays > 0 AND e.season > 0 AND e.has_metadata = 1
          AND e.first_aired <= :now
          AND (s.reset_at IS NULL OR e.last_watched_at >= s.reset_at)
        ORDER BY e.season DESC, e.number DESC LIMIT 1) AS last_key"""

# The CTE ``next_key (show_id, next_key)`` over a CTE ``last_counted (show_id, last_key)``.
NEXT_KEY_CTE = """
next_key AS (
    SELECT l.show_id, CASE WHEN l.last_key IS NULL THEN (
        SELECT e.season * 100000 + e.number FROM episodes e
        WHERE e.show_id = l.show_id AND e.season > 0
          AND e.has_metadata = 1 AND e.first_aired <= :now
        ORDER BY e.season, e.number LIMIT 1) ELSE (
        SELECT e.season * 100000 + e.number FROM episodes e
        WHERE e.show_id = l.show_id
          AND (e.season, e.number) > (l.last_key / 100000, l.last_key % 100000)
          AND e.has_metadata = 1 AND e.first_aired <= :now
        ORDER BY e.season, e.number LIMIT 1) END AS next_key
    FROM last_counted l
    LIMIT -1
)
"""


def last_counted_cte(source: str) -> str:
    """The CTE ``last_counted`` over the shows of ``source`` (a fixed SQL text: a table with its
    alias ``s`` and its conditions, never a value)."""
    return "".join(
        (
            "last_counted AS (\n    SELECT s.trakt_id AS show_id, ",
            LAST_COUNTED_KEY,
            "\n    FROM ",
            source,
            "\n    LIMIT -1\n),\n",
        )
    )
