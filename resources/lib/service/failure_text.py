"""Failure records and run statuses in words, for every front end.

The core reports failures as codes (``database/trakt_sync/failures.py``: unit, part, reason,
retry time). This module maps the codes to strings.po ids and builds the lines; the caller passes
its ``localize`` (``kodi.localize.localize`` in Kodi, ``i18n.localize`` in the CLI), so both
front ends say the same thing ("Watchlist: Trakt is limiting requests, retrying at 21:05").
Pure: no Kodi, no clock (``now`` is passed in), no files.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable, List, Mapping, Optional

from ..database.sync_status import SyncStatus
from .timeutil import local_time, to_epoch

Localize = Callable[..., str]

LINE = 30700  # "{unit}: {reason}"
LINE_RETRY = 30701  # "{unit}: {reason}, retrying at {time}"
STATUS_WITH_FAILURES = 30740  # "{status}: {failures}"
PARTIAL_DIALOG = 30741
UNREACHABLE_DIALOG = 30742
FAILED_DIALOG = 30743
FAILING_NOTIFICATION = 30744

REASONS = {
    "network": 30702,
    "rate_limited": 30703,
    "server": 30704,
    "bad_response": 30705,
    "unauthorized": 30706,
    "forbidden": 30707,
    "not_offered": 30708,
    "account_locked": 30709,
    "account_limit": 30710,
    "vip_only": 30711,
    "refused": 30712,
    "database": 30713,
    "disk_full": 30714,
    "lease_lost": 30715,
    "internal": 30716,
    "busy": 30717,
}
UNITS = {
    "watched_movies": 30720,
    "watched_shows": 30721,
    "watchlist": 30722,
    "playback": 30723,
    "hidden": 30724,
    "collection": 30725,
    "ratings": 30726,
    "metadata": 30727,
    "account": 30728,
    "outbox": 30729,
    "lists_personal": 31100,
    "lists_liked": 31101,
}
STATUSES = {
    SyncStatus.OK: 30730,
    SyncStatus.PARTIAL: 30731,
    SyncStatus.ERROR: 30732,
    SyncStatus.ABORTED: 30733,
    SyncStatus.UNAUTHORIZED: 30734,
    SyncStatus.THROTTLED: 30735,
    SyncStatus.BUSY: 30736,
    "interrupted": 30737,  # a run record's own: the process ended while it ran
    SyncStatus.SKIPPED: 30738,
    "running": 30739,  # a run record's own: still running
}
# Records that are not failures: named in the history, never in a failure dialog.
NOT_FAILURES = ("not_offered",)


def reason_text(reason: Any, localize: Localize) -> str:
    return localize(REASONS.get(str(reason), REASONS["internal"]))


def status_text(status: Any, localize: Localize) -> str:
    string_id = STATUSES.get(str(status))
    return localize(string_id) if string_id else str(status or "?")


def _retry_text(retry_at: Any, now: float) -> str:
    epoch = to_epoch(retry_at)
    if epoch is None or epoch <= now:
        return ""
    same_day = time.localtime(epoch)[:3] == time.localtime(now)[:3]
    return local_time(epoch, with_date=not same_day)


def failure_line(record: Mapping[str, Any], localize: Localize, now: float) -> str:
    """One record in words: "Watchlist: Trakt is limiting requests, retrying at 21:05"; a
    whole-run failure (no unit) is the reason alone."""
    reason = reason_text(record.get("reason"), localize)
    unit = record.get("unit")
    if not unit:
        return reason
    name = localize(UNITS[unit]) if unit in UNITS else str(unit)
    when = _retry_text(record.get("retry_at"), now)
    if when and record.get("reason") not in NOT_FAILURES:
        return localize(LINE_RETRY, unit=name, reason=reason, time=when)
    return localize(LINE, unit=name, reason=reason)


def failure_lines(
    records: Optional[Iterable[Any]],
    localize: Localize,
    now: Optional[float] = None,
    include_notices: bool = True,
) -> List[str]:
    """Every record in words, without repeats (two hidden sections failing the same way are one
    line). ``include_notices=False`` leaves out what is not a failure (not offered)."""
    now = time.time() if now is None else now
    lines: List[str] = []
    for record in records or ():
        if not isinstance(record, Mapping):
            continue
        if not include_notices and record.get("reason") in NOT_FAILURES:
            continue
        line = failure_line(record, localize, now)
        if line not in lines:
            lines.append(line)
    return lines


def whole_run_reason(records: Optional[Iterable[Any]]) -> Optional[str]:
    """The reason code of a run that failed as a whole (its record has no unit), else None."""
    for record in records or ():
        if isinstance(record, Mapping) and not record.get("unit"):
            return str(record.get("reason") or "internal")
    return None


def run_result_text(
    status: Any,
    records: Optional[Iterable[Any]],
    error: Any,
    localize: Localize,
    now: Optional[float] = None,
) -> str:
    """A run's result for the history: "OK", "Partly synced: Watchlist: ...", "Failed: Trakt
    could not be reached". The stored error text (technical, English) is never shown: a run
    recorded before failure records existed shows its status word alone (the log has the rest)."""
    word = status_text(status, localize)
    lines = failure_lines(records, localize, now)
    if lines:
        return localize(STATUS_WITH_FAILURES, status=word, failures="; ".join(lines))
    return word
