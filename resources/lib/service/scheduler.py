"""Pure scheduling decisions for the background sync service.

Nothing here reads a clock, a setting, a file or Kodi: the service passes the current time and the
values it holds, and gets a decision back. Every rule is therefore provable from a table of cases
(tests/unit/test_scheduler.py) without waiting for real time to pass.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

from ..database.sync_status import SUCCEEDED

# A burst of wake events (screensaver off + System.OnWake + DPMS off) must cost one sync.
WAKE_DEBOUNCE_SECONDS = 60.0
# After System.OnWake the network interface often needs a few seconds to come back.
WAKE_NETWORK_DELAY_SECONDS = 5.0
# Screensaver deactivation: the network was never down, only wait for the burst to settle.
WAKE_SCREENSAVER_DELAY_SECONDS = 1.0
# Quiet retries of a wake sync that failed because the network was not back yet.
WAKE_RETRY_SECONDS = 10.0
WAKE_RETRIES = 3
# Settings changes arrive in bursts (one per changed id); reload once they settle.
SETTINGS_QUIET_SECONDS = 1.0
SETTINGS_MAX_WAIT_SECONDS = 5.0
# A library update is a scan followed by a clean: both finish within seconds of each other.
LIBRARY_QUIET_SECONDS = 10.0
LIBRARY_MAX_WAIT_SECONDS = 120.0
# Backoff after failed syncs: 1, 2, 4 ... minutes, never more than an hour.
BACKOFF_BASE_SECONDS = 60.0
BACKOFF_CAP_SECONDS = 3600.0
# When another process holds the sync lease, try again after this long.
BUSY_RETRY_SECONDS = 60.0
# A list opened on a stale mirror asks for a freshness check: at most one per this long, and
# none when the mirror checked Trakt this recently (the plugin applies the same age).
FRESH_SECONDS = 60.0

# Triggers whose completion may be announced by a notification (never "manual": the user who
# pressed the button already sees a progress dialog).
NOTIFY_TRIGGERS = ("auto", "wake", "schedule", "library")
SUCCESS_STATUSES = SUCCEEDED


@dataclass(frozen=True)
class Decision:
    """Whether to act, and why (the reason goes into debug logs)."""

    run: bool
    reason: str

    def __bool__(self) -> bool:
        return self.run


# The choices of the `trakt_sync_interval` setting, in minutes (the first is the default).
INTERVAL_CHOICES = (5, 10, 15, 30, 60, 180, 360, 720)


def interval_minutes(value: Any) -> int:
    """A `trakt_sync_interval` value as minutes within 5..720 (a hand-edited settings file or an
    old version may hold anything): missing or invalid -> 5, out of range -> the nearest end."""
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        return INTERVAL_CHOICES[0]
    if minutes <= 0:
        return INTERVAL_CHOICES[0]
    return min(INTERVAL_CHOICES[-1], max(INTERVAL_CHOICES[0], minutes))


def sync_interval_seconds(interval_minutes_value: Any, override_seconds: int = 0) -> float:
    """The interval between automatic syncs: the override (tests) when > 0, else the minutes."""
    if override_seconds and override_seconds > 0:
        return float(override_seconds)
    return float(interval_minutes(interval_minutes_value)) * 60.0


def should_sync(
    now: float,
    last_sync_at: Optional[float],
    *,
    auto_sync: bool,
    authorised: bool,
    interval_seconds: float,
    not_before: Optional[float] = None,
) -> Decision:
    """Decide whether the periodic (interval) sync is due.

    `last_sync_at` is when the last sync attempt finished (None: never in this session and the
    database has no record). `not_before` is a backoff or throttle deadline.
    """
    if not auto_sync:
        return Decision(False, "auto-sync is off")
    if not authorised:
        return Decision(False, "not authorised")
    if not_before is not None and now < not_before:
        return Decision(False, "backing off")
    if last_sync_at is None:
        return Decision(True, "first sync")
    if now < last_sync_at:
        # The wall clock went backwards (NTP correction, manual change): do not wait for it to
        # catch up with a timestamp from the future.
        return Decision(True, "clock moved backwards")
    if now - last_sync_at >= interval_seconds:
        return Decision(True, "interval elapsed")
    return Decision(False, "not due")


def should_wake_sync(
    now: float,
    last_wake_sync_at: Optional[float],
    *,
    auto_sync: bool,
    authorised: bool,
    debounce_seconds: float = WAKE_DEBOUNCE_SECONDS,
) -> Decision:
    """Decide whether a wake event earns a sync. Wake skips the interval and any backoff (waking
    up is the best moment to retry), but bursts of wakes are debounced into one sync."""
    if not auto_sync:
        return Decision(False, "auto-sync is off")
    if not authorised:
        return Decision(False, "not authorised")
    if last_wake_sync_at is not None and 0 <= now - last_wake_sync_at < debounce_seconds:
        return Decision(False, "debounced")
    return Decision(True, "woke up")


def should_fresh_sync(
    now: float,
    last_sync_at: Optional[float],
    last_fresh_at: Optional[float],
    *,
    auto_sync: bool,
    authorised: bool,
    backoff_until: Optional[float],
    fresh_seconds: float = FRESH_SECONDS,
) -> Decision:
    """Decide whether a list's freshness request earns a check of Trakt. A check whose answer is
    "nothing new" is one request (``last_activities``), so it passes the engine's 5-minute
    throttle; it is bounded here instead: at most one per ``fresh_seconds``, none when any sync
    ended within ``fresh_seconds``, none while an outage is backed off from."""
    if not auto_sync:
        return Decision(False, "auto-sync is off")
    if not authorised:
        return Decision(False, "not authorised")
    if last_sync_at is not None and 0 <= now - last_sync_at < fresh_seconds:
        return Decision(False, "the mirror checked Trakt recently")
    if last_fresh_at is not None and 0 <= now - last_fresh_at < fresh_seconds:
        return Decision(False, "throttled (one per minute)")
    if backoff_until is not None and now < backoff_until:
        return Decision(False, "backing off from an outage")
    return Decision(True, "a list opened on a stale mirror")


def merge_wake(pending_due_at: Optional[float], now: float, delay: float) -> float:
    """When to run a wake sync if another wake event arrives: a burst collapses into one sync at
    the latest requested time, so a screensaver event cannot overtake System.OnWake's wait for
    the network."""
    due = now + max(0.0, delay)
    if pending_due_at is None:
        return due
    return max(pending_due_at, due)


def debounce_due(
    now: float,
    first_event_at: Optional[float],
    last_event_at: Optional[float],
    *,
    quiet_seconds: float,
    max_wait_seconds: float,
) -> bool:
    """True once a burst of events has been quiet for `quiet_seconds`, or has lasted
    `max_wait_seconds` (a never-ending burst must not postpone the work forever)."""
    if first_event_at is None or last_event_at is None:
        return False
    if now - last_event_at >= quiet_seconds:
        return True
    return now - first_event_at >= max_wait_seconds


def should_library_sync(
    now: float,
    first_event_at: Optional[float],
    last_event_at: Optional[float],
    *,
    on_library_update: bool,
    authorised: bool,
) -> Decision:
    """A finished video library scan or clean asks for a sync; scan+clean is one sync.

    Its own setting decides, not auto-sync: a user who switched interval syncs off and this on
    asked for exactly these syncs (the same rule as the daily schedule)."""
    if first_event_at is None:
        return Decision(False, "no library update")
    if not on_library_update:
        return Decision(False, "library sync is off")
    if not authorised:
        return Decision(False, "not authorised")
    if not debounce_due(
        now,
        first_event_at,
        last_event_at,
        quiet_seconds=LIBRARY_QUIET_SECONDS,
        max_wait_seconds=LIBRARY_MAX_WAIT_SECONDS,
    ):
        return Decision(False, "waiting for the update to settle")
    return Decision(True, "library updated")


def settings_reload_due(
    now: float, first_event_at: Optional[float], last_event_at: Optional[float]
) -> bool:
    """Reload the settings once a burst of onSettingsChanged calls has settled."""
    return debounce_due(
        now,
        first_event_at,
        last_event_at,
        quiet_seconds=SETTINGS_QUIET_SECONDS,
        max_wait_seconds=SETTINGS_MAX_WAIT_SECONDS,
    )


def backoff_seconds(
    failures: int, base: float = BACKOFF_BASE_SECONDS, cap: float = BACKOFF_CAP_SECONDS
) -> float:
    """Exponential backoff after `failures` consecutive failed syncs, capped."""
    if failures <= 0:
        return 0.0
    # Bound the exponent so that a long outage cannot overflow the float.
    return float(min(cap, base * (2 ** min(failures - 1, 30))))


@dataclass(frozen=True)
class Backoff:
    """Consecutive failures and the time before which no automatic sync is tried."""

    failures: int = 0
    until: Optional[float] = None


OUTAGE_STARTED = "outage_started"
OUTAGE_CONTINUES = "outage_continues"
RECOVERED = "recovered"


def record_outcome(state: Backoff, now: float, failed: bool) -> Tuple[Backoff, Optional[str]]:
    """The backoff after one sync, and the event to log: a failure is logged loudly once per
    outage (OUTAGE_STARTED), then quietly (OUTAGE_CONTINUES), and the end of it once (RECOVERED)."""
    if failed:
        failures = state.failures + 1
        event = OUTAGE_STARTED if state.failures == 0 else OUTAGE_CONTINUES
        return Backoff(failures, now + backoff_seconds(failures)), event
    if state.failures:
        return Backoff(), RECOVERED
    return state, None


def parse_schedule_time(text: Any) -> Optional[Tuple[int, int]]:
    """'04:00' -> (4, 0); anything that is not a valid HH:MM -> None."""
    if not isinstance(text, str):
        return None
    parts = text.strip().split(":")
    if len(parts) < 2:
        return None
    try:
        hour, minute = int(parts[0]), int(parts[1])
    except ValueError:
        return None
    if 0 <= hour <= 23 and 0 <= minute <= 59:
        return hour, minute
    return None


def most_recent_occurrence(now_local: _dt.datetime, hour: int, minute: int) -> _dt.datetime:
    """The latest HH:MM (local time) that is not after `now_local`."""
    today = now_local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if today <= now_local:
        return today
    return today - _dt.timedelta(days=1)


def scheduled_sync_due(
    now_local: _dt.datetime,
    schedule_time: Any,
    last_run_local: _dt.datetime,
    *,
    enabled: bool,
    authorised: bool,
) -> Decision:
    """The daily sync at HH:MM local time runs once per day; an occurrence missed while the
    device slept runs at the next tick after it wakes. `last_run_local` is the last scheduled run,
    or the service start (an occurrence before the service started is not owed: the start-up
    sync covered it). It runs whether auto-sync (interval and wake syncs) is on or off."""
    if not enabled:
        return Decision(False, "schedule is off")
    parsed = parse_schedule_time(schedule_time)
    if parsed is None:
        return Decision(False, "invalid schedule time")
    if not authorised:
        return Decision(False, "not authorised")
    occurrence = most_recent_occurrence(now_local, parsed[0], parsed[1])
    if last_run_local < occurrence:
        return Decision(True, "scheduled time reached")
    return Decision(False, "already ran")


def count_changes(changes: Any) -> int:
    """The number of changed rows, whatever shape the engine reports them in."""
    if changes is None:
        return 0
    if isinstance(changes, bool):
        return int(changes)
    if isinstance(changes, (int, float)):
        return int(changes)
    if isinstance(changes, dict):
        return sum(count_changes(value) for value in changes.values())
    if isinstance(changes, (list, tuple, set)):
        return len(changes)
    return 0


# Engine unit -> the noun its rows are announced as ("Trakt: 3 episodes, 1 movie updated"), in
# the order they are listed. Show details ("metadata") and the account check are bookkeeping:
# they never make a notification on their own.
ANNOUNCED_UNITS = (
    ("watched_shows", "episode"),
    ("watched_movies", "movie"),
    ("watchlist", "watchlist"),
    ("playback", "resume"),
    ("hidden", "hidden"),
    ("collection", "collection"),
    ("ratings", "rating"),
)


def announced_changes(changes: Any) -> List[Tuple[str, int]]:
    """[(noun, count), ...] of the user-visible changes of a sync, without zero counts."""
    if not isinstance(changes, dict):
        return []
    counted = []
    for unit, noun in ANNOUNCED_UNITS:
        count = count_changes(changes.get(unit))
        if count > 0:
            counted.append((noun, count))
    return counted


def should_notify_completion(
    *, enabled: bool, status: str, changes: Any, trigger: str, playing_video: bool
) -> bool:
    """Announce a finished background sync only when the user asked for it, it changed
    something, nobody pressed a button for it, and no video is playing."""
    return (
        enabled
        and status in SUCCESS_STATUSES
        and count_changes(changes) > 0
        and trigger in NOTIFY_TRIGGERS
        and not playing_video
    )


def should_notify_failure(
    *, enabled: bool, outage_event: Optional[str], playing_video: bool
) -> bool:
    """Announce a failing background sync once per outage, never during video playback."""
    return enabled and outage_event == OUTAGE_STARTED and not playing_video
