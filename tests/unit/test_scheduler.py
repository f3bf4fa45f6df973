"""Scheduler decisions, table-driven, with no clock: every time is a number passed in."""

from __future__ import annotations

import datetime as dt

import pytest

from resources.lib.service import scheduler as s

T0 = 1_800_000_000.0
FIVE_MIN = 300.0


@pytest.mark.parametrize(
    "now, last, auto, authorised, not_before, expected, reason",
    [
        (T0, None, True, True, None, True, "first sync"),
        (T0, None, False, True, None, False, "auto-sync is off"),
        (T0, None, True, False, None, False, "not authorised"),
        (T0, T0 - 299, True, True, None, False, "not due"),
        (T0, T0 - 300, True, True, None, True, "interval elapsed"),
        (T0, T0 - 10_000, True, True, T0 + 1, False, "backing off"),
        (T0, T0 - 10_000, True, True, T0, True, "interval elapsed"),
        (T0, T0 + 3600, True, True, None, True, "clock moved backwards"),
        (T0, T0 - 10_000, False, False, None, False, "auto-sync is off"),
    ],
)
def test_should_sync_table(now, last, auto, authorised, not_before, expected, reason):
    decision = s.should_sync(
        now,
        last,
        auto_sync=auto,
        authorised=authorised,
        interval_seconds=FIVE_MIN,
        not_before=not_before,
    )
    assert bool(decision) is expected
    assert decision.reason == reason


@pytest.mark.parametrize(
    "minutes, override, expected",
    [(5, 0, 300.0), (720, 0, 43200.0), (5, 20, 20.0), (60, -1, 3600.0), (0, 0, 300.0)],
)
def test_interval_uses_seconds_override_when_positive(minutes, override, expected):
    assert s.sync_interval_seconds(minutes, override) == expected


@pytest.mark.parametrize(
    "now, last_wake, auto, authorised, expected, reason",
    [
        (T0, None, True, True, True, "woke up"),
        (T0, T0 - 59, True, True, False, "debounced"),
        (T0, T0 - 60, True, True, True, "woke up"),
        (T0, T0 - 5, False, True, False, "auto-sync is off"),
        (T0, None, True, False, False, "not authorised"),
        (T0, T0 + 100, True, True, True, "woke up"),  # clock went back: not a burst
    ],
)
def test_wake_sync_is_debounced(now, last_wake, auto, authorised, expected, reason):
    decision = s.should_wake_sync(now, last_wake, auto_sync=auto, authorised=authorised)
    assert (bool(decision), decision.reason) == (expected, reason)


def test_wake_burst_collapses_to_latest_requested_time():
    due = s.merge_wake(None, T0, s.WAKE_NETWORK_DELAY_SECONDS)
    # The screensaver event right after System.OnWake must not overtake the wait for network.
    due = s.merge_wake(due, T0 + 0.1, s.WAKE_SCREENSAVER_DELAY_SECONDS)
    assert due == T0 + s.WAKE_NETWORK_DELAY_SECONDS


@pytest.mark.parametrize(
    "now, first, last, expected",
    [
        (T0, None, None, False),
        (T0 + 0.5, T0, T0, False),
        (T0 + 1.0, T0, T0, True),
        (T0 + 4.9, T0, T0 + 4.5, False),
        (T0 + 5.0, T0, T0 + 4.9, True),  # a never-ending burst is cut at max wait
    ],
)
def test_settings_reload_waits_for_the_burst_to_settle(now, first, last, expected):
    assert s.settings_reload_due(now, first, last) is expected


@pytest.mark.parametrize(
    "now, first, last, on_lib, authorised, expected, reason",
    [
        (T0 + 20, None, None, True, True, False, "no library update"),
        (T0 + 20, T0, T0 + 5, False, True, False, "library sync is off"),
        (T0 + 20, T0, T0 + 5, True, False, False, "not authorised"),
        (T0 + 6, T0, T0 + 5, True, True, False, "waiting for the update to settle"),
        (T0 + 15, T0, T0 + 5, True, True, True, "library updated"),
    ],
)
def test_library_scan_then_clean_is_one_sync(
    now, first, last, on_lib, authorised, expected, reason
):
    # Auto-sync is not an input: the library setting alone decides
    # (see test_sync_triggers_history_and_notices).
    decision = s.should_library_sync(
        now, first, last, on_library_update=on_lib, authorised=authorised
    )
    assert (bool(decision), decision.reason) == (expected, reason)


@pytest.mark.parametrize(
    "failures, expected",
    [(0, 0.0), (1, 60.0), (2, 120.0), (3, 240.0), (6, 1920.0), (7, 3600.0), (500, 3600.0)],
)
def test_backoff_is_exponential_and_capped(failures, expected):
    assert s.backoff_seconds(failures) == expected


def test_outage_is_logged_once_and_recovery_once():
    state = s.Backoff()
    events = []
    for now, failed in [
        (T0, True),
        (T0 + 60, True),
        (T0 + 180, True),
        (T0 + 420, False),
        (T0 + 720, False),
    ]:
        state, event = s.record_outcome(state, now, failed)
        events.append(event)
    assert events == [s.OUTAGE_STARTED, s.OUTAGE_CONTINUES, s.OUTAGE_CONTINUES, s.RECOVERED, None]
    assert state == s.Backoff()


def test_backoff_until_grows_with_failures():
    state, _ = s.record_outcome(s.Backoff(), T0, True)
    assert state.until == T0 + 60
    state, _ = s.record_outcome(state, T0 + 60, True)
    assert state.until == T0 + 60 + 120


@pytest.mark.parametrize(
    "text, expected",
    [
        ("04:00", (4, 0)),
        ("23:59", (23, 59)),
        (" 7:05 ", (7, 5)),
        ("24:00", None),
        ("ab:cd", None),
        ("", None),
        (None, None),
        ("4", None),
    ],
)
def test_parse_schedule_time(text, expected):
    assert s.parse_schedule_time(text) == expected


def _local(day, hour, minute=0):
    return dt.datetime(2026, 11, day, hour, minute)


@pytest.mark.parametrize(
    "now, last_run, enabled, expected, reason",
    [
        # Service started at 01:00; at 03:59 not yet, at 04:00 due.
        (_local(10, 3, 59), _local(10, 1), True, False, "already ran"),
        (_local(10, 4, 0), _local(10, 1), True, True, "scheduled time reached"),
        # Ran at 04:00 today: not again until tomorrow.
        (_local(10, 23, 0), _local(10, 4, 0), True, False, "already ran"),
        (_local(11, 4, 1), _local(10, 4, 0), True, True, "scheduled time reached"),
        # Asleep from 03:00 until 09:00: runs at the first tick after waking.
        (_local(10, 9, 0), _local(10, 3, 0), True, True, "scheduled time reached"),
        # Asleep for two days: one run, not two.
        (_local(12, 9, 0), _local(10, 3, 0), True, True, "scheduled time reached"),
        # Service started after today's time: tomorrow's occurrence, not a catch-up.
        (_local(10, 9, 0), _local(10, 8, 0), True, False, "already ran"),
        (_local(11, 4, 0), _local(10, 4, 0), False, False, "schedule is off"),
    ],
)
def test_scheduled_sync_runs_once_a_day_and_catches_up_after_sleep(
    now, last_run, enabled, expected, reason
):
    decision = s.scheduled_sync_due(now, "04:00", last_run, enabled=enabled, authorised=True)
    assert (bool(decision), decision.reason) == (expected, reason)


def test_scheduled_sync_needs_valid_time_and_authorisation():
    now, last = _local(11, 5), _local(10, 5)
    assert s.scheduled_sync_due(now, "25:00", last, enabled=True, authorised=True).reason == (
        "invalid schedule time"
    )
    assert not s.scheduled_sync_due(now, "04:00", last, enabled=True, authorised=False)


@pytest.mark.parametrize(
    "changes, expected",
    [
        (None, 0),
        (3, 3),
        (
            {"watched_movies": {"added": 2, "changed": 1, "removed": 0}, "watchlist": {"added": 1}},
            4,
        ),
        ([1, 2], 2),
        ("junk", 0),
    ],
)
def test_count_changes_accepts_every_shape(changes, expected):
    assert s.count_changes(changes) == expected


@pytest.mark.parametrize(
    "enabled, status, changes, trigger, playing, expected",
    [
        (True, "ok", 2, "auto", False, True),
        (True, "partial", 2, "wake", False, True),
        (True, "ok", 2, "schedule", False, True),
        (True, "ok", 2, "library", False, True),
        (False, "ok", 2, "auto", False, False),
        (True, "ok", 0, "auto", False, False),
        (True, "ok", 2, "manual", False, False),
        (True, "ok", 2, "auto", True, False),
        (True, "error", 2, "auto", False, False),
        (True, "throttled", 2, "auto", False, False),
    ],
)
def test_completion_notification_rules(enabled, status, changes, trigger, playing, expected):
    assert (
        s.should_notify_completion(
            enabled=enabled, status=status, changes=changes, trigger=trigger, playing_video=playing
        )
        is expected
    )


@pytest.mark.parametrize(
    "enabled, event, playing, expected",
    [
        (True, s.OUTAGE_STARTED, False, True),
        (True, s.OUTAGE_CONTINUES, False, False),
        (True, s.OUTAGE_STARTED, True, False),
        (False, s.OUTAGE_STARTED, False, False),
        (True, None, False, False),
    ],
)
def test_failure_is_notified_once_per_outage(enabled, event, playing, expected):
    assert (
        s.should_notify_failure(enabled=enabled, outage_event=event, playing_video=playing)
        is expected
    )
