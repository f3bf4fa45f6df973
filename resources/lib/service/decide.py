"""Every decision of the background service, as pure functions over a :class:`ServiceState`.

The Kodi front end (``kodi/service.py``) turns Kodi's callbacks into :class:`Event` values, asks
:func:`on_event`, :func:`on_tick` and :func:`after_sync` what to do, and carries out the effects
they return (:mod:`.effects`): sync, notify, publish a property, reload the settings. Nothing here
reads a clock, a file or Kodi; the time, the settings and whether a video plays are passed in.
``authorised`` is a callable because it reads the token file: it is asked only when a decision
needs it, at most once per tick, so an idle tick touches nothing. Lines are logged with
``logging``; the rules themselves are proved from tables in tests/unit/test_service_decide.py.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Callable, List, Optional, Tuple

from ..database.trakt_sync.result import SyncResult, SyncStatus
from . import scheduler
from .effects import (
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
from .state import (
    AUTO,
    DEFERRABLE,
    FRESH,
    FRESH_TRIGGER,
    LIBRARY,
    LIBRARY_TRIGGER,
    SCHEDULE,
    SETTINGS,
    WAKE,
    WAKE_SYSTEM,
    WAKE_TRIGGER,
    Event,
    ServiceSettings,
    ServiceState,
    local_time,
)
from .timeutil import to_epoch

log = logging.getLogger(__name__)

Effects = List[object]
Outcome = Tuple[ServiceState, Effects]
# When the engine reports a throttle without a time, try again after this long.
THROTTLE_FALLBACK_SECONDS = 60.0


def on_event(state: ServiceState, event: Event, settings: ServiceSettings) -> Outcome:
    """Record one of Kodi's callbacks; the next tick acts on it."""
    log.debug("Event: %s (%s)", event.kind, event.source or "-")
    if event.kind == SETTINGS:
        first = state.settings_first_at if state.settings_pending else event.at
        return replace(state, settings_first_at=first, settings_last_at=event.at), []
    if event.kind == LIBRARY:
        first = state.library_first_at if state.library_first_at is not None else event.at
        return replace(state, library_first_at=first, library_last_at=event.at), []
    if event.kind == FRESH:
        # Bursts (several lists and widgets opening at once) collapse into one request.
        pending = state.fresh_requested_at
        return replace(state, fresh_requested_at=event.at if pending is None else pending), []
    if event.kind == WAKE:
        if not settings.auto_sync:
            log.debug("Wake ignored: auto-sync is off")
            return state, []
        network = event.source == WAKE_SYSTEM
        delay = (
            scheduler.WAKE_NETWORK_DELAY_SECONDS
            if network
            else scheduler.WAKE_SCREENSAVER_DELAY_SECONDS
        )
        state = replace(state, wake_due_at=scheduler.merge_wake(state.wake_due_at, event.at, delay))
        if network:
            state = replace(state, wake_retries_left=scheduler.WAKE_RETRIES)
        return state, []
    return state, []


def on_tick(
    state: ServiceState, now: float, settings: ServiceSettings, authorised: Callable[[], bool]
) -> Outcome:
    """One evaluation of the schedule. Settings that are still changing hold every sync; once
    they settled, :class:`ReloadSettings` asks the caller to read them and tick again."""
    if state.settings_pending:
        if not scheduler.settings_reload_due(now, state.settings_first_at, state.settings_last_at):
            return state, []
        return replace(state, settings_first_at=None, settings_last_at=None), [ReloadSettings()]
    state, trigger = _due_trigger(state, now, settings, _once(authorised))
    if trigger is None:
        return state, []
    if settings.categories == ():
        log.info("Sync skipped: every category is switched off in selective sync")
        return replace(state, last_sync_at=now), []
    # A wake sync bypasses the engine's throttle (spec: Wake Sync Flow); its bursts are already
    # debounced. The seconds override is a developer setting that sets the pace itself: the
    # engine's 5-minute throttle would otherwise turn most of its syncs into no-ops. A freshness
    # check is one request when nothing changed and is bounded to one per minute by
    # scheduler.should_fresh_sync. Interval, schedule and library syncs stay throttled.
    force = trigger in (WAKE_TRIGGER, FRESH_TRIGGER) or settings.interval_override
    return state, [RunSync(trigger, force, settings.categories)]


def settings_changed(
    state: ServiceState, old: ServiceSettings, new: ServiceSettings, now: float
) -> Outcome:
    """Apply reloaded settings: what they switched off stops at once, and the schedule is
    evaluated again now (authorising writes a setting, and the first sync should follow)."""
    changes = {"next_check_at": now, "settings_reloads": state.settings_reloads + 1}
    if (old.schedule_time, old.schedule_enabled) != (new.schedule_time, new.schedule_enabled):
        # A time set to earlier today is tomorrow's first run, not an overdue one.
        changes["schedule_baseline"] = local_time(now)
    if not new.auto_sync:
        changes["wake_due_at"] = None
    if not new.on_library_update:
        changes["library_first_at"] = changes["library_last_at"] = None
    if state.deferred and not new.trigger_enabled(state.deferred):
        changes["deferred"] = None
    return replace(state, **changes), [PublishServiceState()]


def _once(probe: Callable[[], bool]) -> Callable[[], bool]:
    """``probe`` asked at most once, and only if needed."""
    answer: List[bool] = []

    def ask() -> bool:
        if not answer:
            answer.append(bool(probe()))
        return answer[0]

    return ask


def _due_trigger(
    state: ServiceState, now: float, settings: ServiceSettings, authorised: Callable[[], bool]
) -> Tuple[ServiceState, Optional[str]]:
    """The sync that is due now, if any, in order: wake, a list's freshness request, library, a
    deferred one, then the daily schedule and the interval (those two only every
    ``tick_seconds``)."""
    if state.wake_due_at is not None and now >= state.wake_due_at:
        state = replace(state, wake_due_at=None)
        decision = scheduler.should_wake_sync(
            now, state.last_wake_sync_at, auto_sync=settings.auto_sync, authorised=authorised()
        )
        log.debug("Wake sync: %s", decision.reason)
        if decision:
            return state, WAKE_TRIGGER
    if state.fresh_requested_at is not None:
        state = replace(state, fresh_requested_at=None)
        decision = scheduler.should_fresh_sync(
            now,
            state.last_sync_at,
            state.last_fresh_at,
            auto_sync=settings.auto_sync,
            authorised=authorised(),
            backoff_until=None if state.online else state.not_before,
        )
        log.debug("Freshness check: %s", decision.reason)
        if decision:
            return replace(state, last_fresh_at=now), FRESH_TRIGGER
    if state.library_first_at is not None:
        decision = scheduler.should_library_sync(
            now,
            state.library_first_at,
            state.library_last_at,
            on_library_update=settings.on_library_update,
            authorised=authorised(),
        )
        if decision or decision.reason != "waiting for the update to settle":
            log.debug("Library sync: %s", decision.reason)
            state = replace(state, library_first_at=None, library_last_at=None)
        if decision:
            return state, LIBRARY_TRIGGER
    if state.deferred is not None and (state.not_before is None or now >= state.not_before):
        trigger = state.deferred
        state = replace(state, deferred=None)
        if settings.trigger_enabled(trigger) and authorised():
            log.debug("Deferred %s sync: running now", trigger)
            return state, trigger
    if now < state.next_check_at:
        return state, None
    state = replace(state, next_check_at=now + settings.tick_seconds)
    if settings.schedule_enabled:
        # The daily schedule has its own switch: it runs with auto-sync on or off.
        local_now = local_time(now)
        decision = scheduler.scheduled_sync_due(
            local_now,
            settings.schedule_time,
            state.schedule_baseline,
            enabled=settings.schedule_enabled,
            authorised=authorised(),
        )
        if decision:
            return replace(state, schedule_baseline=local_now), SCHEDULE
    if not settings.auto_sync:
        return state, None
    is_authorised = authorised()
    if is_authorised and state.was_authorised is False:
        # Just authorised (again): the first sync runs now, not after the interval that started
        # with the last (refused) attempt.
        log.debug("Trakt authorised: syncing at once")
        state = replace(state, last_sync_at=None, not_before=None)
    state = replace(state, was_authorised=is_authorised)
    decision = scheduler.should_sync(
        now,
        state.last_sync_at,
        auto_sync=settings.auto_sync,
        authorised=is_authorised,
        interval_seconds=settings.interval_seconds,
        not_before=state.not_before,
    )
    log.debug("Interval sync: %s", decision.reason)
    return state, (AUTO if decision else None)


def settled_result(result: SyncResult, *, stopping: bool, elapsed: float) -> SyncResult:
    """The result as the service counts it: a run that did not sync while Kodi was stopping was
    cut short by the shutdown (not a failure to back off from), and a missing duration is the
    time the call took."""
    changes = {}
    if stopping and not result.status.succeeded:
        changes["status"] = SyncStatus.ABORTED
    if not result.duration:
        changes["duration"] = max(0.0, elapsed)
    return result.replaced(**changes) if changes else result


def after_sync(
    state: ServiceState,
    result: SyncResult,
    trigger: str,
    now: float,
    settings: ServiceSettings,
    playing_video: bool,
) -> Outcome:
    """What follows a finished sync. Only a whole-run failure (ERROR) backs off; a partial run
    counts as a sync. A failed wake sync is first retried quietly (the network may not be back
    yet). Outages and expired authorisations are announced once, never while a video plays."""
    status = result.status
    changes = scheduler.count_changes(result.changes)
    quiet_retry = (
        status is SyncStatus.ERROR and trigger == WAKE_TRIGGER and (state.wake_retries_left > 0)
    )
    failure_event = None
    if status is SyncStatus.ERROR and not quiet_retry:
        backoff, failure_event = scheduler.record_outcome(state.backoff, now, failed=True)
        state = replace(state, backoff=backoff)
    loud = status is not SyncStatus.ERROR or failure_event == scheduler.OUTAGE_STARTED
    log.log(
        logging.INFO if loud else logging.DEBUG,
        "Sync finished: status=%s trigger=%s changes=%d requests=%s duration=%.1fs",
        status,
        trigger,
        changes,
        result.requests,
        float(result.duration or 0.0),
    )
    count = state.sync_count + 1
    state = replace(state, sync_count=count)
    effects: Effects = [
        PublishLastSync(status.value, trigger, changes, result.requests, now, count)
    ]
    if trigger == WAKE_TRIGGER and not quiet_retry:
        state = replace(state, last_wake_sync_at=now)
    if status.succeeded:
        state = replace(state, deferred=None)  # any sync covers a library or schedule sync owed
    elif trigger in DEFERRABLE and status in (
        SyncStatus.THROTTLED,
        SyncStatus.BUSY,
        SyncStatus.ERROR,
    ):
        # Never lost: it runs as soon as the throttle, the other sync or the backoff allows.
        state = replace(state, deferred=trigger)

    if status.succeeded:
        backoff, event = scheduler.record_outcome(state.backoff, now, failed=False)
        if event == scheduler.RECOVERED:
            log.info("Sync recovered: Trakt is reachable again")
        state = replace(
            state, last_sync_at=now, not_before=None, unauthorised_notified=False, backoff=backoff
        )
        announced = scheduler.announced_changes(result.changes)
        if scheduler.should_notify_completion(
            enabled=settings.notify,
            status=status,
            changes=sum(count for _, count in announced),
            trigger=trigger,
            playing_video=playing_video,
        ):
            effects.append(Notify(NOTIFY_CHANGES, announced=tuple(announced)))
        if trigger == FRESH_TRIGGER and changes:
            effects.append(RefreshLists())
    elif status is SyncStatus.THROTTLED:
        allowed = to_epoch(result.next_allowed_at)
        not_before = allowed if allowed and allowed > now else now + THROTTLE_FALLBACK_SECONDS
        state = replace(state, not_before=not_before)
        log.warning(
            "Sync throttled (trigger=%s): next sync allowed at %s",
            trigger,
            local_time(not_before).isoformat(timespec="seconds"),
        )
    elif status is SyncStatus.BUSY:
        # Another process (a plugin call) is syncing right now: that sync counts as ours.
        state = replace(state, last_sync_at=now, not_before=now + scheduler.BUSY_RETRY_SECONDS)
    elif status is SyncStatus.UNAUTHORIZED:
        state = replace(state, last_sync_at=now)
        if not state.unauthorised_notified:
            state = replace(state, unauthorised_notified=True)
            log.warning("Trakt authorisation expired: the user must authorise again")
            effects.append(Notify(NOTIFY_AUTH_EXPIRED))
    elif status is SyncStatus.ABORTED:
        pass
    elif quiet_retry:
        state = replace(
            state,
            wake_retries_left=state.wake_retries_left - 1,
            wake_due_at=now + scheduler.WAKE_RETRY_SECONDS,
        )
        log.debug("Wake sync failed (network not back yet?); retrying quietly: %s", result.error)
    elif status is SyncStatus.ERROR:
        state = replace(state, last_sync_at=now, not_before=state.backoff.until)
        if failure_event == scheduler.OUTAGE_STARTED:
            log.warning(
                "Sync failed: %s. Retrying with backoff (next in %ds); repeated failures are "
                "logged at debug level until it recovers",
                result.error,
                int(scheduler.backoff_seconds(state.backoff.failures)),
            )
        else:
            log.debug("Sync failed again (%d in a row): %s", state.backoff.failures, result.error)
        if scheduler.should_notify_failure(
            enabled=settings.notify, outage_event=failure_event, playing_video=playing_video
        ):
            effects.append(Notify(NOTIFY_FAILING, failures=tuple(result.failures)))
    else:
        state = replace(state, last_sync_at=now)
    return state, effects
