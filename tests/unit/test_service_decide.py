"""The service's decisions (service/decide.py) from tables: state in, time and event in, new state
and effects out. No clock, no Kodi, no database."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace

import pytest

from resources.lib.database.trakt_sync.result import SyncResult, SyncStatus
from resources.lib.service import decide, scheduler
from resources.lib.service.effects import (
    NOTIFY_AUTH_EXPIRED,
    NOTIFY_CHANGES,
    NOTIFY_FAILING,
    Notify,
    PublishLastSync,
    PublishServiceState,
    RefreshLists,
    ReloadSettings,
    RunSync,
)
from resources.lib.service.state import Event, ServiceSettings, ServiceState, initial_state

T0 = 1_800_000_000.0
DEFAULTS = ServiceSettings()
CHANGED = {"watched_shows": {"added": 3}, "watched_movies": {"changed": 1}}
NETWORK = {"unit": None, "part": None, "reason": "network", "retry_at": None}


def at(**changes) -> ServiceState:
    """The state right after a start at T0 (nothing synced yet), with `changes`."""
    return replace(initial_state(T0), **changes)


def tick(state, now, settings=DEFAULTS, authorised=True):
    return decide.on_tick(state, now, settings, lambda: authorised)


def runs(effects):
    return [(e.trigger, e.force) for e in effects if isinstance(e, RunSync)]


def notes(effects):
    return [e for e in effects if isinstance(e, Notify)]


def finish(state, status, trigger="auto", now=T0, settings=DEFAULTS, playing=False, **fields):
    return decide.after_sync(state, SyncResult(status, **fields), trigger, now, settings, playing)


# ------------------------------------------------------------------ on_tick: interval


@pytest.mark.parametrize(
    "name, state, now, settings, authorised, expected",
    [
        ("first sync", at(), T0, DEFAULTS, True, [("auto", False)]),
        ("not due yet", at(last_sync_at=T0), T0 + 299, DEFAULTS, True, []),
        ("interval elapsed", at(last_sync_at=T0), T0 + 300, DEFAULTS, True, [("auto", False)]),
        ("auto-sync off", at(), T0, ServiceSettings(auto_sync=False), True, []),
        ("not authorised", at(), T0, DEFAULTS, False, []),
        ("backing off", at(not_before=T0 + 600), T0 + 300, DEFAULTS, True, []),
        ("backoff over", at(not_before=T0 + 600), T0 + 600, DEFAULTS, True, [("auto", False)]),
        ("between checks", at(next_check_at=T0 + 30), T0 + 10, DEFAULTS, True, []),
        ("clock went back", at(last_sync_at=T0 + 900), T0, DEFAULTS, True, [("auto", False)]),
        (
            "seconds override forces past the throttle",
            at(last_sync_at=T0),
            T0 + 20,
            ServiceSettings(interval_seconds=20, interval_override=True),
            True,
            [("auto", True)],
        ),
        (
            "just authorised: at once, not after the interval or a backoff",
            at(was_authorised=False, last_sync_at=T0, not_before=T0 + 3600),
            T0 + 30,
            DEFAULTS,
            True,
            [("auto", False)],
        ),
    ],
)
def test_interval_sync_is_due(name, state, now, settings, authorised, expected):
    _, effects = tick(state, now, settings, authorised)
    assert runs(effects) == expected, name


def test_a_check_moves_the_next_check_by_one_tick():
    state, _ = tick(at(last_sync_at=T0), T0 + 100, ServiceSettings(tick_seconds=30))
    assert state.next_check_at == T0 + 130


def test_every_category_switched_off_skips_the_sync_and_counts_it():
    state, effects = tick(at(), T0, ServiceSettings(categories=()))
    assert effects == [] and state.last_sync_at == T0


def test_selective_categories_go_with_the_sync():
    _, effects = tick(at(), T0, ServiceSettings(categories=("watched", "watchlist")))
    assert effects == [RunSync("auto", False, ("watched", "watchlist"))]


@pytest.mark.parametrize(
    "state, now, asked",
    [
        (at(next_check_at=T0 + 30, last_sync_at=T0), T0 + 29, 0),  # idle: nothing is read
        (at(), T0, 1),  # due: asked once, not once per rule
        (at(wake_due_at=T0, library_first_at=T0 - 60, library_last_at=T0 - 60), T0, 1),
    ],
)
def test_authorisation_is_read_only_when_a_decision_needs_it(state, now, asked):
    calls = []
    decide.on_tick(state, now, DEFAULTS, lambda: calls.append(1) or True)
    assert len(calls) == asked


# ------------------------------------------------------------------ wake


@pytest.mark.parametrize(
    "events, auto_sync, due_at, retries",
    [
        ([("screensaver", 0)], True, T0 + scheduler.WAKE_SCREENSAVER_DELAY_SECONDS, 0),
        ([("system", 0)], True, T0 + scheduler.WAKE_NETWORK_DELAY_SECONDS, scheduler.WAKE_RETRIES),
        # a burst is one sync at the latest requested time: the screensaver cannot overtake
        ([("system", 0), ("screensaver", 1)], True, T0 + 5, scheduler.WAKE_RETRIES),
        ([("screensaver", 0), ("screensaver", 3)], True, T0 + 4, 0),
        ([("system", 0)], False, None, 0),
    ],
)
def test_wake_events_collapse_into_one_due_time(events, auto_sync, due_at, retries):
    state = at(last_sync_at=T0)
    for source, offset in events:
        state, effects = decide.on_event(
            state, Event("wake", source, T0 + offset), ServiceSettings(auto_sync=auto_sync)
        )
        assert effects == []
    assert (state.wake_due_at, state.wake_retries_left) == (due_at, retries)


@pytest.mark.parametrize(
    "last_wake_sync_at, expected",
    [
        (None, [("wake", True)]),
        (T0 - 30, []),  # inside the debounce window
        (T0 - scheduler.WAKE_DEBOUNCE_SECONDS, [("wake", True)]),
    ],
)
def test_wake_sync_is_debounced_and_bypasses_the_throttle(last_wake_sync_at, expected):
    state = at(last_sync_at=T0 - 10, wake_due_at=T0, last_wake_sync_at=last_wake_sync_at)
    state, effects = tick(replace(state, next_check_at=T0 + 30), T0)
    assert runs(effects) == expected and state.wake_due_at is None


def test_a_wake_sync_ignores_the_backoff():
    state = at(last_sync_at=T0, not_before=T0 + 3600, wake_due_at=T0 + 5, next_check_at=T0 + 30)
    assert runs(tick(state, T0 + 5)[1]) == [("wake", True)]


@pytest.mark.parametrize(
    "retries_left, backoff_failures, due_at, retries_after",
    [
        (3, 0, T0 + scheduler.WAKE_RETRY_SECONDS, 2),  # quiet retry: no backoff
        (1, 0, T0 + scheduler.WAKE_RETRY_SECONDS, 0),
        (0, 1, None, 0),  # retries used up: a whole-run failure like any other
    ],
)
def test_failed_wake_sync_retries_quietly_then_backs_off(
    retries_left, backoff_failures, due_at, retries_after
):
    state, effects = finish(at(wake_retries_left=retries_left), "error", trigger="wake")
    assert state.backoff.failures == backoff_failures
    assert (state.wake_due_at, state.wake_retries_left) == (due_at, retries_after)
    assert notes(effects) == []


# ------------------------------------------------------------------ library


@pytest.mark.parametrize(
    "last_offset, now_offset, on_library_update, expected, still_pending",
    [
        (3, 12, True, [], True),  # the update is still settling
        (3, 13, True, [("library", False)], False),  # quiet for 10 s after the clean
        (119, 120, True, [("library", False)], False),  # a burst never delays it past 120 s
        (3, 13, False, [], False),  # its setting is off: dropped
    ],
)
def test_library_updates_are_debounced_into_one_sync(
    last_offset, now_offset, on_library_update, expected, still_pending
):
    state = at(last_sync_at=T0, next_check_at=T0 + 3600)
    settings = ServiceSettings(on_library_update=on_library_update)
    for offset in (0, last_offset):
        state, _ = decide.on_event(state, Event("library", "scan", T0 + offset), settings)
    assert (state.library_first_at, state.library_last_at) == (T0, T0 + last_offset)
    state, effects = tick(state, T0 + now_offset, settings)
    assert runs(effects) == expected
    assert (state.library_first_at is not None) == still_pending


# ------------------------------------------------------------------ schedule


def _local(hour, minute=0, day=10):
    return dt.datetime(2026, 11, day, hour, minute)


@pytest.mark.parametrize(
    "baseline, now, auto_sync, expected",
    [
        (_local(3, 50), _local(3, 59), False, []),
        (_local(3, 50), _local(4, 0), False, [("schedule", False)]),  # auto-sync off: still runs
        (_local(4, 0), _local(4, 30), False, []),  # already ran today
        (_local(1, 0), _local(9, 30), False, [("schedule", False)]),  # missed while asleep
        (_local(4, 0), _local(4, 0, day=11), False, [("schedule", False)]),  # the next day
    ],
)
def test_daily_schedule_runs_once_per_day(baseline, now, auto_sync, expected):
    settings = ServiceSettings(auto_sync=auto_sync, schedule_enabled=True, schedule_time="04:00")
    state = at(schedule_baseline=baseline, next_check_at=0.0)
    state, effects = tick(state, now.timestamp(), settings)
    assert runs(effects) == expected
    assert state.schedule_baseline == (now if expected else baseline)


# ------------------------------------------------------------------ deferral


@pytest.mark.parametrize(
    "trigger, status, deferred_before, deferred_after",
    [
        ("library", "throttled", None, "library"),
        ("schedule", "busy", None, "schedule"),
        ("schedule", "error", None, "schedule"),
        ("auto", "throttled", None, None),  # the interval simply comes again
        ("wake", "busy", None, None),
        ("library", "unauthorized", None, None),
        ("auto", "ok", "library", None),  # any sync covers what was owed
        ("auto", "partial", "schedule", None),
        ("auto", "aborted", "library", "library"),
    ],
)
def test_a_library_or_schedule_sync_that_could_not_run_is_owed(
    trigger, status, deferred_before, deferred_after
):
    state, _ = finish(at(deferred=deferred_before), status, trigger=trigger)
    assert state.deferred == deferred_after


@pytest.mark.parametrize(
    "not_before, now, settings, expected, deferred_after",
    [
        (T0 + 300, T0 + 299, ServiceSettings(on_library_update=True), [], "library"),
        (T0 + 300, T0 + 300, ServiceSettings(on_library_update=True), [("library", False)], None),
        (None, T0, ServiceSettings(on_library_update=True), [("library", False)], None),
        (None, T0, ServiceSettings(on_library_update=False), [], None),  # switched off since
    ],
)
def test_an_owed_sync_runs_once_allowed(not_before, now, settings, expected, deferred_after):
    state = at(deferred="library", not_before=not_before, last_sync_at=T0, next_check_at=T0 + 900)
    state, effects = tick(state, now, settings)
    assert runs(effects) == expected and state.deferred == deferred_after


# ------------------------------------------------------------------ outcomes and backoff


@pytest.mark.parametrize(
    "status, fields, last_sync_at, not_before, failures",
    [
        ("ok", {}, T0, None, 0),
        ("partial", {}, T0, None, 0),  # a partial run synced: never backed off
        ("error", {}, T0, T0 + 60, 1),  # a whole-run failure backs off
        ("throttled", {"next_allowed_at": T0 + 200}, None, T0 + 200, 0),
        ("throttled", {}, None, T0 + decide.THROTTLE_FALLBACK_SECONDS, 0),
        ("throttled", {"next_allowed_at": T0 - 5}, None, T0 + 60, 0),  # a time already past
        ("busy", {}, T0, T0 + scheduler.BUSY_RETRY_SECONDS, 0),
        ("unauthorized", {}, T0, None, 0),
        ("aborted", {}, None, None, 0),  # shutdown: nothing changes
    ],
)
def test_what_follows_each_status(status, fields, last_sync_at, not_before, failures):
    state, effects = finish(at(), status, **fields)
    assert (state.last_sync_at, state.not_before, state.backoff.failures) == (
        last_sync_at,
        not_before,
        failures,
    )
    assert effects[0] == PublishLastSync(status, "auto", 0, 0, T0, 1)


def test_backoff_doubles_to_an_hour_and_a_success_ends_it():
    state, gaps, now = at(), [], T0
    for _ in range(8):
        state, _ = finish(state, "error", now=now)
        gaps.append(state.not_before - now)
        now = state.not_before
    assert gaps == [60, 120, 240, 480, 960, 1920, 3600, 3600]
    state, _ = finish(state, "partial", now=now)
    assert state.backoff == scheduler.Backoff() and state.not_before is None and state.online


def test_an_outage_is_warned_once_and_its_end_logged_once(caplog):
    caplog.set_level(logging.DEBUG, logger="resources.lib.service.decide")
    state = at()
    for status in ("error", "error", "error", "ok", "ok"):
        state, _ = finish(state, status)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage().split(":")[0] for r in warnings] == ["Sync failed"]
    finished = [r for r in caplog.records if r.getMessage().startswith("Sync finished")]
    assert [r.levelno for r in finished] == [logging.INFO, logging.DEBUG, logging.DEBUG] + [
        logging.INFO
    ] * 2
    assert len([r for r in caplog.records if "Sync recovered" in r.getMessage()]) == 1


# ------------------------------------------------------------------ notifications


@pytest.mark.parametrize(
    "statuses, playing, notified_at",
    [
        (["error", "error", "error"], False, [0]),  # three failures, one outage
        (["error", "ok", "error"], False, [0, 2]),  # two outages
        (["error", "error"], True, []),  # never while a video plays
    ],
)
def test_an_outage_is_announced_once_never_during_video(statuses, playing, notified_at):
    state, announced = at(), []
    settings = ServiceSettings(notify=True)
    for index, status in enumerate(statuses):
        fields = {"failures": [NETWORK]} if status == "error" else {}
        state, effects = finish(state, status, settings=settings, playing=playing, **fields)
        if notes(effects):
            assert notes(effects) == [Notify(NOTIFY_FAILING, failures=(NETWORK,))]
            announced.append(index)
    assert announced == notified_at


def test_an_outage_that_began_during_video_is_not_announced_later():
    settings = ServiceSettings(notify=True)
    state, _ = finish(at(), "error", settings=settings, playing=True)
    state, effects = finish(state, "error", settings=settings, playing=False)
    assert notes(effects) == []


@pytest.mark.parametrize(
    "notify, changes, trigger, playing, expected",
    [
        (True, CHANGED, "auto", False, [Notify(NOTIFY_CHANGES, (("episode", 3), ("movie", 1)))]),
        (True, CHANGED, "wake", False, [Notify(NOTIFY_CHANGES, (("episode", 3), ("movie", 1)))]),
        (False, CHANGED, "auto", False, []),
        (True, CHANGED, "manual", False, []),  # the user sees a progress dialog
        (True, CHANGED, "auto", True, []),
        (True, {"metadata": {"changed": 4}}, "auto", False, []),  # bookkeeping only
    ],
)
def test_completion_is_announced_only_when_asked_and_not_during_video(
    notify, changes, trigger, playing, expected
):
    settings = ServiceSettings(notify=notify)
    _, effects = finish(at(), "ok", trigger, settings=settings, playing=playing, changes=changes)
    assert notes(effects) == expected


def test_expired_authorisation_is_announced_once_until_a_sync_succeeds():
    state, told = at(), []
    for status in ("unauthorized", "unauthorized", "ok", "unauthorized"):
        state, effects = finish(state, status)
        told.append(notes(effects) == [Notify(NOTIFY_AUTH_EXPIRED)])
    assert told == [True, False, False, True]


@pytest.mark.parametrize(
    "status, stopping, settled",
    [("error", True, "aborted"), ("partial", True, "partial"), ("error", False, "error")],
)
def test_a_run_cut_short_by_shutdown_counts_as_aborted(status, stopping, settled):
    result = decide.settled_result(SyncResult(status), stopping=stopping, elapsed=1.5)
    assert result.status is SyncStatus(settled) and result.duration == 1.5


def test_a_settled_result_leaves_the_engines_result_alone():
    shared = SyncResult("error", duration=0.0)
    decide.settled_result(shared, stopping=True, elapsed=2.0)
    assert shared.status is SyncStatus.ERROR and shared.duration == 0.0


# ------------------------------------------------------------------ settings


def test_settings_that_are_still_changing_hold_every_sync_then_reload_once():
    state = at(last_sync_at=T0 - 3600)  # the interval is due
    state, _ = decide.on_event(state, Event("settings", "", T0), DEFAULTS)
    state, _ = decide.on_event(state, Event("settings", "", T0 + 0.5), DEFAULTS)
    assert (state.settings_first_at, state.settings_last_at) == (T0, T0 + 0.5)
    held, effects = tick(state, T0 + 1.0)
    assert effects == [] and held == state
    state, effects = tick(state, T0 + 1.5)
    assert effects == [ReloadSettings()] and not state.settings_pending


@pytest.mark.parametrize(
    "new, field, value",
    [
        (ServiceSettings(auto_sync=False), "wake_due_at", None),
        (ServiceSettings(on_library_update=False), "library_first_at", None),
        (ServiceSettings(schedule_enabled=False), "deferred", None),
        (ServiceSettings(schedule_enabled=True, schedule_time="05:00"), "deferred", "schedule"),
        (
            ServiceSettings(schedule_enabled=True, schedule_time="05:00"),
            "schedule_baseline",
            dt.datetime.fromtimestamp(T0 + 10),  # an earlier time today is tomorrow's run
        ),
        (ServiceSettings(schedule_enabled=True), "schedule_baseline", _local(1)),
        (ServiceSettings(schedule_enabled=True), "next_check_at", T0 + 10),  # check at once
        (ServiceSettings(schedule_enabled=True), "settings_reloads", 3),
    ],
)
def test_reloaded_settings_stop_what_they_switched_off(new, field, value):
    old = ServiceSettings(on_library_update=True, schedule_enabled=True)
    state = at(
        wake_due_at=T0 + 5,
        library_first_at=T0,
        library_last_at=T0,
        deferred="schedule",
        schedule_baseline=_local(1),
        next_check_at=T0 + 30,
        settings_reloads=2,
    )
    state, effects = decide.settings_changed(state, old, new, T0 + 10)
    assert getattr(state, field) == value
    assert effects == [PublishServiceState()]


# ------------------------------------------------------------- a list's freshness request

FRESH_S = scheduler.FRESH_SECONDS


@pytest.mark.parametrize(
    "name, fields, settings, authorised, expected",
    [
        ("stale mirror: one check past the throttle", {}, DEFAULTS, True, [("fresh", True)]),
        ("never synced", {"last_sync_at": None}, DEFAULTS, True, [("fresh", True)]),
        ("synced 59 s ago", {"last_sync_at": T0 - 59}, DEFAULTS, True, []),
        ("checked 30 s ago", {"last_fresh_at": T0 - 30}, DEFAULTS, True, []),
        ("checked 60 s ago", {"last_fresh_at": T0 - FRESH_S}, DEFAULTS, True, [("fresh", True)]),
        ("auto-sync off", {}, ServiceSettings(auto_sync=False), True, []),
        ("not authorised", {}, DEFAULTS, False, []),
        (
            "backing off from an outage",
            {"backoff": scheduler.Backoff(failures=2, until=T0 + 100), "not_before": T0 + 100},
            DEFAULTS,
            True,
            [],
        ),
        (
            "a 5-minute throttle does not hold it",
            {"not_before": T0 + 200},
            DEFAULTS,
            True,
            [("fresh", True)],
        ),
    ],
)
def test_a_freshness_request_runs_one_check_at_most_once_a_minute(
    name, fields, settings, authorised, expected
):
    base = {"last_sync_at": T0 - 120, "next_check_at": T0 + 30}
    base.update(fields)
    state, _ = decide.on_event(at(**base), Event("fresh", "list", T0 - 1), settings)
    state, effects = tick(state, T0, settings, authorised)
    assert runs(effects) == expected, name
    assert state.fresh_requested_at is None  # answered or dropped, never left pending
    assert (state.last_fresh_at == T0) == bool(expected)


def test_a_burst_of_freshness_requests_is_one_check():
    state = at(last_sync_at=T0 - 120, next_check_at=T0 + 30)
    for offset in (0.0, 0.2, 0.4):
        state, _ = decide.on_event(state, Event("fresh", "list", T0 + offset), DEFAULTS)
    state, first = tick(state, T0 + 1)
    for offset in (2.0, 3.0):  # the widgets that the open list's refresh reloads
        state, _ = decide.on_event(state, Event("fresh", "list", T0 + offset), DEFAULTS)
    _, second = tick(state, T0 + 4)
    assert (runs(first), runs(second)) == ([("fresh", True)], [])


@pytest.mark.parametrize(
    "trigger, status, changes, refresh",
    [
        ("fresh", "ok", CHANGED, True),
        ("fresh", "ok", {}, False),  # nothing new: the list on screen is right already
        ("fresh", "error", {}, False),
        ("auto", "ok", CHANGED, False),  # interval syncs refresh the widgets only (prefetch)
    ],
)
def test_a_freshness_check_that_changed_something_refreshes_the_lists(
    trigger, status, changes, refresh
):
    _, effects = finish(at(), status, trigger, changes=changes)
    assert any(isinstance(e, RefreshLists) for e in effects) == refresh
    assert notes(effects) == []  # the refreshed list is the news; no notification
