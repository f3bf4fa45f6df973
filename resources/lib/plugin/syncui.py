"""How a sync looks to the user: localized progress labels and the dialog for each outcome.

Shared by the Force Sync and Rebuild buttons. The engine reports progress as step codes
(``service/progress_text.py``), worded here from strings.po; an unknown step reads as a generic
label. Trakt errors are shown by their message code (``trakt/messages.py``), never in English.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Dict

from resources.lib.database.sync_status import SyncStatus
from resources.lib.kodi import dialogs, strings, window
from resources.lib.kodi.localize import localize
from resources.lib.service import failure_text, progress_text
from resources.lib.service.scheduler import count_changes
from resources.lib.service.timeutil import local_time, to_epoch
from resources.lib.trakt import messages as trakt_messages
from resources.lib.trakt.errors import TraktError

log = logging.getLogger(__name__)

_UNITS = {
    "watched_movies": strings.UNIT_WATCHED_MOVIES,
    "watched_shows": strings.UNIT_WATCHED_SHOWS,
    "watchlist": strings.UNIT_WATCHLIST,
    "playback": strings.UNIT_PLAYBACK,
    "hidden": strings.UNIT_HIDDEN,
    "collection": strings.UNIT_COLLECTION,
    "ratings": strings.UNIT_RATINGS,
}


def unit_names() -> Dict[str, str]:
    """The localized name of every category a run record can hold (for the sync history)."""
    names = {unit: localize(string_id) for unit, string_id in _UNITS.items()}
    names["metadata"] = localize(strings.UNIT_METADATA)
    names["account"] = localize(strings.UNIT_ACCOUNT)
    return names


def progress_label(step: Any) -> str:
    """The localized text of one of the engine's progress steps (a code, never English)."""
    return progress_text.step_text(step, localize)


def progress_callback(bar: Any) -> Callable[[Any, Any], None]:
    """An engine `on_progress(percent, step)` that drives a BackgroundProgress."""

    def on_progress(percent: Any, step: Any) -> None:
        try:
            bar.update(float(percent), progress_label(step))
        except (TypeError, ValueError):
            bar.update(0, progress_label(step))

    return on_progress


def next_allowed_text(next_allowed_at: Any, now: float) -> str:
    """The local time from which the next sync is allowed (HH:MM:SS today, else with date)."""
    epoch = to_epoch(next_allowed_at) or now
    same_day = time.localtime(epoch)[:3] == time.localtime(now)[:3]
    if same_day:
        return time.strftime("%H:%M:%S", time.localtime(epoch))
    return local_time(epoch)


def publish(result: Any, trigger: str = "manual") -> None:
    """Publish a manual sync as `aiostreams.last_sync`, like the service does for its own."""
    try:
        window.publish_last_sync(
            SyncStatus.of(getattr(result, "status", None)).value,
            trigger,
            count_changes(getattr(result, "changes", None)),
            getattr(result, "requests", 0),
            time.time(),
        )
    except Exception:
        log.debug("Could not publish the last sync", exc_info=True)


def report(result: Any, trigger: str = "manual") -> str:
    """Tell the user how a manual sync went; returns the action result for the log line."""
    status = SyncStatus.of(getattr(result, "status", None))
    changes = count_changes(getattr(result, "changes", None))
    requests = getattr(result, "requests", 0)
    now = time.time()
    publish(result, trigger)
    records = getattr(result, "failures", None) or []
    if status is SyncStatus.OK:
        dialogs.notification(localize(strings.SYNC_DONE, changes=changes))
    elif status is SyncStatus.PARTIAL:
        lines = failure_text.failure_lines(records, localize, now, include_notices=False)
        dialogs.ok(localize(failure_text.PARTIAL_DIALOG, failures="[CR]" + "[CR]".join(lines)))
    elif status is SyncStatus.THROTTLED:
        when = next_allowed_text(getattr(result, "next_allowed_at", None), now)
        dialogs.ok(localize(strings.SYNC_THROTTLED, time=when))
        return f"throttled next_allowed={when}"
    elif status is SyncStatus.BUSY:
        dialogs.ok(localize(strings.SYNC_BUSY))
    elif status is SyncStatus.UNAUTHORIZED:
        dialogs.ok(localize(strings.NOT_AUTHORISED_ACTION))
    elif status is SyncStatus.ABORTED:
        dialogs.notification(localize(strings.SYNC_ABORTED))
    else:
        dialogs.ok(failed_text(records))
    reasons = ",".join(
        "%s:%s" % (record.get("unit") or "run", record.get("reason"))
        for record in records
        if isinstance(record, dict)
    )
    summary = f"{status} changes={changes} requests={requests}"
    return summary + (f" failures={reasons}" if reasons else "")


def failed_text(records: Any) -> str:
    """The dialog text of a sync that failed as a whole, in words from strings.po."""
    reason = failure_text.whole_run_reason(records) or "internal"
    if reason == "network":
        return localize(failure_text.UNREACHABLE_DIALOG)
    return localize(failure_text.FAILED_DIALOG, reason=failure_text.reason_text(reason, localize))


def short_error(error: Any) -> str:
    """An error for a dialog: a Trakt error's message code in the user's language, anything
    else (a technical detail) as it is, cut to fit."""
    if isinstance(error, TraktError):
        text = localize(trakt_messages.message_id(error))
    else:
        text = str(error or "")
    return text if len(text) <= 160 else text[:157] + "..."
