"""Sync history and 7-day statistics as plain values for text lines.

Shared by the plugin (the "Sync History" view and settings button, through strings.po) and the
CLI's ``history`` command (English). Rows come from ``TraktSyncDatabase.sync_history()`` and the
statistics from ``sync_stats()``; nothing here reads a clock, a file or Kodi.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Mapping, Optional

from ..database.sync_status import SyncStatus
from .failure_text import run_result_text

# Every category a run record can hold, in display order, with its English name.
UNIT_NAMES = (
    ("watched_movies", "watched movies"),
    ("watched_shows", "watched shows"),
    ("watchlist", "watchlist"),
    ("playback", "resume points"),
    ("hidden", "hidden items"),
    ("collection", "collection"),
    ("ratings", "ratings"),
    ("metadata", "show details"),
    ("account", "account"),
)
CHANGE_KEYS = ("added", "changed", "removed")
# Statuses that are not failures: a throttled or busy run did not try, it was not refused.
NOT_FAILED = (
    SyncStatus.OK,
    SyncStatus.PARTIAL,
    SyncStatus.THROTTLED,
    SyncStatus.BUSY,
    SyncStatus.SKIPPED,
)


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    return int(value)


def change_totals(changes: Any) -> Dict[str, int]:
    """{'added': n, 'changed': n, 'removed': n} over every category of `changes`."""
    totals = dict.fromkeys(CHANGE_KEYS, 0)
    if isinstance(changes, dict):
        for counts in changes.values():
            if isinstance(counts, dict):
                for key in CHANGE_KEYS:
                    totals[key] += _count(counts.get(key))
    return totals


def change_details(
    changes: Any, names: Optional[Mapping[str, str]] = None, none: str = "no changes"
) -> str:
    """'watched shows +3 ~1 -0, watchlist +1 ~0 -0': added, changed and removed per category
    (categories without a change are left out; `none` when nothing changed)."""
    if not isinstance(changes, dict):
        return none
    known = dict(UNIT_NAMES)
    order = [unit for unit, _ in UNIT_NAMES] + sorted(set(changes) - set(known))
    parts = []
    for unit in order:
        counts = changes.get(unit)
        if not isinstance(counts, dict):
            continue
        added, changed, removed = (_count(counts.get(key)) for key in CHANGE_KEYS)
        if added or changed or removed:
            name = (names or {}).get(unit) or known.get(unit) or unit
            parts.append(f"{name} +{added} ~{changed} -{removed}")
    return ", ".join(parts) if parts else none


def run_result(row: Mapping[str, Any]) -> str:
    """The status of a run, followed by its error when it has one."""
    status = str(row.get("status") or "?")
    error = row.get("error")
    return f"{status}: {error}" if error else status


def run_fields(
    row: Mapping[str, Any],
    names: Optional[Mapping[str, str]] = None,
    none: str = "no changes",
    localize: Optional[Callable[..., str]] = None,
) -> Dict[str, Any]:
    """The values of one history line (the caller formats the time in local time).

    With ``localize`` (the front end's strings.po lookup), ``result`` is the status and what
    failed in words ("Partly synced: Watchlist: Trakt is limiting requests, retrying at 21:05")
    instead of the raw status and error text."""
    try:
        duration = round(float(row.get("duration") or 0.0), 1)
    except (TypeError, ValueError):
        duration = 0.0
    totals = change_totals(row.get("changes"))
    return dict(
        totals,
        trigger=str(row.get("trigger") or "-"),
        status=str(row.get("status") or "?"),
        result=(
            run_result_text(row.get("status"), row.get("failures"), row.get("error"), localize)
            if localize is not None
            else run_result(row)
        ),
        duration=duration,
        requests=_count(row.get("requests")),
        details=change_details(row.get("changes"), names, none),
    )


def stats_fields(
    stats: Any, names: Optional[Mapping[str, str]] = None, none: str = "no changes"
) -> Dict[str, Any]:
    """The values of the 7-day totals line from ``sync_stats()``."""
    stats = stats if isinstance(stats, dict) else {}
    by_status = stats.get("by_status") or {}
    failed = sum(_count(count) for status, count in by_status.items() if status not in NOT_FAILED)
    changes = stats.get("changes") or {}
    try:
        duration = round(float(stats.get("total_duration") or 0.0), 1)
    except (TypeError, ValueError):
        duration = 0.0
    return dict(
        change_totals(changes),
        days=_count(stats.get("days")) or 7,
        runs=_count(stats.get("runs")),
        failed=failed,
        requests=_count(stats.get("requests")),
        duration=duration,
        details=change_details(changes, names, none),
    )
