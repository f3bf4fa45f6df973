"""The background service: Kodi events become flags, time and flags become syncs.

``AIOStreamsMonitor`` only records events (Kodi delivers its callbacks while the loop waits in
``waitForAbort``). ``AIOStreamsService.run`` wakes every second, and evaluates the schedule
every ``service_tick_seconds`` or as soon as an event arrived; the decisions themselves are the
pure functions of :mod:`resources.lib.service.scheduler`. A sync runs in the service thread with
``should_abort`` wired to Kodi's abort flag, so shutdown never waits on the network.
"""

from __future__ import annotations

import datetime as _dt
import logging
import threading
import time
from typing import Any, Callable, List, Optional, Tuple

import xbmc

from resources.lib.kodi import dialogs, prefetch, strings, window
from resources.lib.kodi.context import AddonContext, announce_recovery, build_context
from resources.lib.kodi.localize import localize
from resources.lib.kodi.log import setup_logging
from resources.lib.kodi.settings import Settings, load_settings
from resources.lib.service import failure_text, scheduler
from resources.lib.service.timeutil import to_epoch

log = logging.getLogger(__name__)

SLICE_SECONDS = 1.0
SUCCESS = scheduler.SUCCESS_STATUSES

ContextFactory = Callable[[Settings, Callable[[], bool]], AddonContext]


class SyncOutcome:
    """The engine's SyncResult, read leniently (or made up when the engine raised)."""

    def __init__(
        self,
        status: str,
        changes: Any = 0,
        requests: Any = 0,
        duration: Any = 0.0,
        error: Any = None,
        next_allowed_at: Any = None,
        failures: Any = None,
    ) -> None:
        self.status = status
        self.changes = changes
        self.requests = requests
        self.duration = duration
        self.error = error
        self.next_allowed_at = next_allowed_at
        self.failures = failures if isinstance(failures, list) else []

    @classmethod
    def from_result(cls, result: Any) -> SyncOutcome:
        return cls(
            status=str(getattr(result, "status", "error") or "error"),
            changes=getattr(result, "changes", 0),
            requests=getattr(result, "requests", 0),
            duration=getattr(result, "duration", 0.0),
            error=getattr(result, "error", None),
            next_allowed_at=getattr(result, "next_allowed_at", None),
            failures=getattr(result, "failures", None),
        )


def _is_playing_video() -> bool:
    try:
        return bool(xbmc.Player().isPlayingVideo())
    except Exception:  # no player available (e.g. during shutdown): assume nothing plays
        return False


def _default_context(settings: Settings, should_abort: Callable[[], bool]) -> AddonContext:
    return build_context(settings=settings, should_abort=should_abort)


class AIOStreamsMonitor(xbmc.Monitor):
    """Turns Kodi's callbacks into events for the service loop; does no work itself."""

    def __init__(self, on_event: Optional[Callable[..., None]] = None) -> None:
        super().__init__()
        self.on_event = on_event

    def _post(self, kind: str, source: str = "") -> None:
        if self.on_event is not None:
            self.on_event(kind, source)

    def onSettingsChanged(self) -> None:  # noqa: N802 (Kodi's name)
        self._post("settings")

    def onScreensaverDeactivated(self) -> None:  # noqa: N802
        self._post("wake", "screensaver")

    def onNotification(self, sender: str, method: str, data: str) -> None:  # noqa: N802
        if method == "System.OnWake":
            self._post("wake", "system")
        elif method == "System.OnQuit":
            # Kodi raises its abort flag only after stopping its network services, which can
            # take seconds; stopping on the quit announcement keeps shutdown under 2 s.
            self._post("quit", "system")

    def onScanFinished(self, library: str) -> None:  # noqa: N802
        if library == "video":
            self._post("library", "scan")

    def onCleanFinished(self, library: str) -> None:  # noqa: N802
        if library == "video":
            self._post("library", "clean")


class AIOStreamsService:
    """The service loop and the state that the scheduler's decisions need."""

    def __init__(
        self,
        monitor: Optional[AIOStreamsMonitor] = None,
        *,
        clock: Callable[[], float] = time.time,
        context_factory: Optional[ContextFactory] = None,
        settings_loader: Optional[Callable[[], Settings]] = None,
        playing_video: Optional[Callable[[], bool]] = None,
        slice_seconds: float = SLICE_SECONDS,
        playback_factory: Optional[Callable[[AddonContext], Any]] = None,
    ) -> None:
        self.monitor = monitor if monitor is not None else AIOStreamsMonitor()
        self.monitor.on_event = self.post_event
        self._clock = clock
        self._context_factory = context_factory or _default_context
        self._load_settings = settings_loader or load_settings
        self._playing_video = playing_video or _is_playing_video
        self._slice = slice_seconds
        self._playback_factory = playback_factory or self._default_playback
        self.playback: Any = None
        self._stop = threading.Event()
        self._events_lock = threading.Lock()
        self._events: List[Tuple[str, str, float]] = []

        self.settings = Settings()
        self.ctx: Optional[AddonContext] = None
        self.last_sync_at: Optional[float] = None
        self.not_before: Optional[float] = None
        self.backoff = scheduler.Backoff()
        self.next_check_at = 0.0
        self.wake_due_at: Optional[float] = None
        self.wake_retries_left = 0
        self.last_wake_sync_at: Optional[float] = None
        self.settings_first_at: Optional[float] = None
        self.settings_last_at: Optional[float] = None
        self.library_first_at: Optional[float] = None
        self.library_last_at: Optional[float] = None
        self.schedule_baseline = _dt.datetime.fromtimestamp(clock())
        # A library or scheduled sync that was throttled, busy or failed: it runs once allowed.
        self.deferred: Optional[str] = None
        self.unauthorised_notified = False
        # Whether Trakt was authorised at the last interval check (None: not checked yet).
        self.was_authorised: Optional[bool] = None
        self.recovered_notified: Any = None  # the recovered path already announced
        self.sync_count = 0
        self.started_at = 0.0
        self.settings_reloads = 0

    # ----------------------------------------------------------------- lifecycle

    def run(self) -> None:
        """Run until Kodi asks the service to stop (or :meth:`stop` is called)."""
        setup_logging(service=True)
        log.info("Service started")
        try:
            self._start()
            while not self._should_stop():
                try:
                    self.tick()
                except Exception:  # one bad tick must never end the service
                    log.exception("Service tick failed")
                if self.monitor.waitForAbort(self._slice):
                    break
        finally:
            self._shutdown()
            log.info("Service stopped")

    def stop(self) -> None:
        """Ask the loop (and a running sync) to stop; used by tests and the CLI."""
        self._stop.set()

    def should_abort(self) -> bool:
        """Passed to the sync engine and the Trakt client: true once Kodi is shutting down."""
        return self._should_stop()

    def _should_stop(self) -> bool:
        return self._stop.is_set() or bool(self.monitor.abortRequested())

    def _start(self) -> None:
        self.settings = self._safe_load_settings() or self.settings
        self.ctx = self._context_factory(self.settings, self.should_abort)
        self._run_migration()
        self._start_playback()
        now = self._clock()
        self.schedule_baseline = _dt.datetime.fromtimestamp(now)
        self.last_sync_at = self._recorded_last_sync(now)
        self.next_check_at = now
        self.started_at = now
        self._publish_running()
        log.info(
            "Service ready: auto_sync=%s interval=%ds tick=%ds library=%s schedule=%s notify=%s",
            self.settings.trakt_sync_auto,
            int(self.settings.sync_interval_seconds),
            int(self.settings.tick_seconds),
            self.settings.trakt_sync_on_library_update,
            self.settings.trakt_sync_schedule_time
            if self.settings.trakt_sync_schedule_enabled
            else "off",
            self.settings.trakt_sync_notify,
        )

    def _shutdown(self) -> None:
        if self.playback is not None:
            try:
                self.playback.stop()
            except Exception:
                log.debug("Stopping the player monitor failed", exc_info=True)
            self.playback = None
        if self.ctx is not None:
            self.ctx.close()
        try:
            window.set_json(
                window.SERVICE_STATE, {"state": "stopped", "stopped": int(self._clock())}
            )
        except Exception:
            log.debug("Could not publish the service state", exc_info=True)

    def _publish_running(self) -> None:
        """``aiostreams.service``: running, plus the settings in effect (settings reloads are
        logged at DEBUG only, so this is where a test or a skin sees that they were applied)."""
        settings = self.settings
        try:
            window.set_json(
                window.SERVICE_STATE,
                {
                    "state": "running",
                    "started": int(self.started_at),
                    "auto_sync": bool(settings.trakt_sync_auto),
                    "schedule": settings.trakt_sync_schedule_time
                    if settings.trakt_sync_schedule_enabled
                    else "off",
                    "settings_reloads": self.settings_reloads,
                },
            )
        except Exception:
            log.debug("Could not publish the service state", exc_info=True)

    def _safe_load_settings(self) -> Optional[Settings]:
        try:
            return self._load_settings()
        except Exception:
            log.exception("Could not read the settings; keeping the previous values")
            return None

    def _default_playback(self, ctx: AddonContext) -> Any:
        from resources.lib.kodi.player import PlaybackScrobbling

        # The worker thread gets its own context: its own Trakt client and database connection.
        return PlaybackScrobbling(
            ctx.paths.data_dir,
            lambda: self._context_factory(self.settings, self.should_abort),
        )

    def _start_playback(self) -> None:
        """The player monitor that scrobbles our playbacks (a failure never stops the service)."""
        try:
            self.playback = self._playback_factory(self.ctx)
            self.playback.start()
        except Exception:
            log.warning("The player monitor could not start; nothing will be scrobbled",
                        exc_info=True)  # fmt: skip
            self.playback = None

    def _run_migration(self) -> None:
        """The one-time legacy JSON import: guarded, never fatal."""
        try:
            from resources.lib.database.migration import run_migration

            paths = self.ctx.paths
            result = run_migration(paths.data_dir, paths.db_path)
            log.info("Migration check finished: %s", result)
        except Exception:
            log.warning("Migration check failed; the service continues", exc_info=True)

    def _open_db(self) -> Any:
        db = self.ctx.db
        recovered = getattr(db, "recovered", None)
        if recovered and recovered != self.recovered_notified:
            # Told once across processes: a plugin call may have announced this file already.
            self.recovered_notified = recovered
            announce_recovery(recovered)
        return db

    def _reopen_if_replaced(self) -> None:
        """Another process (a plugin or script call) moved a corrupt database aside and created
        a new one: this process's connection still points at the renamed file, so reopen."""
        if self.ctx is None:
            return
        replaced = getattr(self.ctx.db, "replaced_on_disk", None)
        if not callable(replaced) or not replaced():
            return
        log.warning("The database file was replaced by another process: reopening it")
        self.ctx.reopen_db()

    def _recorded_last_sync(self, now: float) -> Optional[float]:
        """The last sync the database remembers (from an earlier session or another process)."""
        try:
            value = to_epoch(self._open_db().last_sync_at())
        except Exception:
            log.warning("Could not read the last sync time from the database", exc_info=True)
            return None
        if value is not None and value > now:
            return None
        return value

    # ------------------------------------------------------------------ events

    def post_event(self, kind: str, source: str = "") -> None:
        """Called from Monitor callbacks (any thread): queue the event for the next tick."""
        if kind == "quit":
            begin_quit = getattr(self.playback, "begin_quit", None)
            if begin_quit is not None:
                # First, before the abort flag: a running playback's pause must still go out.
                try:
                    begin_quit()
                except Exception:
                    log.warning("Could not start saving the playback progress", exc_info=True)
            self._stop.set()  # at once, so a running sync sees should_abort() turn true
            return
        at = self._clock()
        with self._events_lock:
            self._events.append((kind, source, at))

    def _drain_events(self) -> bool:
        with self._events_lock:
            events, self._events = self._events, []
        for kind, source, at in events:
            log.debug("Event: %s (%s)", kind, source or "-")
            if kind == "settings":
                if self.settings_first_at is None:
                    self.settings_first_at = at
                self.settings_last_at = at
            elif kind == "wake":
                self._on_wake(at, source)
            elif kind == "library":
                if self.library_first_at is None:
                    self.library_first_at = at
                self.library_last_at = at
        return bool(events)

    def _on_wake(self, now: float, source: str) -> None:
        if not self.settings.trakt_sync_auto:
            log.debug("Wake ignored: auto-sync is off")
            return
        network = source == "system"
        delay = (
            scheduler.WAKE_NETWORK_DELAY_SECONDS
            if network
            else scheduler.WAKE_SCREENSAVER_DELAY_SECONDS
        )
        self.wake_due_at = scheduler.merge_wake(self.wake_due_at, now, delay)
        if network:
            self.wake_retries_left = scheduler.WAKE_RETRIES

    def reload_settings(self, now: Optional[float] = None) -> None:
        """Apply changed settings: rebuild the client if its settings changed, stop background
        syncs at once when auto-sync was switched off."""
        now = self._clock() if now is None else now
        self.settings_first_at = self.settings_last_at = None
        new = self._safe_load_settings()
        if new is None:
            return
        old, self.settings = self.settings, new
        connection = ("trakt_api_url", "trakt_oauth_url", "trakt_client_id", "trakt_client_secret")
        if (
            any(getattr(old, key) != getattr(new, key) for key in connection)
            and self.ctx is not None
        ):
            log.debug("Trakt connection settings changed: rebuilding the client")
            self.ctx.close()
            self.ctx = self._context_factory(new, self.should_abort)
        elif self.ctx is not None:
            self.ctx.settings = new
        if (old.trakt_sync_schedule_time, old.trakt_sync_schedule_enabled) != (
            new.trakt_sync_schedule_time,
            new.trakt_sync_schedule_enabled,
        ):
            # A time set to earlier today is tomorrow's first run, not an overdue one.
            self.schedule_baseline = _dt.datetime.fromtimestamp(now)
        if not new.trakt_sync_auto:
            self.wake_due_at = None
        if not new.trakt_sync_on_library_update:
            self.library_first_at = self.library_last_at = None
        if self.deferred and not _trigger_enabled(self.deferred, new):
            self.deferred = None
        # Evaluate at once: authorising writes trakt_username, and the first sync should follow.
        self.next_check_at = now
        self.settings_reloads += 1
        self._publish_running()
        log.debug(
            "Settings reloaded: auto_sync=%s interval=%ds tick=%ds",
            new.trakt_sync_auto,
            int(new.sync_interval_seconds),
            int(new.tick_seconds),
        )

    # -------------------------------------------------------------- scheduling

    def tick(self) -> None:
        """One evaluation: cheap when nothing is due (no file, database or network access)."""
        now = self._clock()
        self._drain_events()
        if self.playback is not None:
            # Scrobbles kept while offline: the worker thread sends them, never this loop.
            self.playback.tick(online=self.backoff.failures == 0, now=now)
        if self.settings_first_at is not None:
            if not scheduler.settings_reload_due(
                now, self.settings_first_at, self.settings_last_at
            ):
                return  # hold every sync until the new settings are known
            self.reload_settings(now)
        trigger = self._due_trigger(now)
        if trigger:
            self.sync(trigger)

    def _authorised(self) -> bool:
        return self.ctx is not None and self.ctx.is_authorised()

    def _due_trigger(self, now: float) -> Optional[str]:
        settings = self.settings
        if self.wake_due_at is not None and now >= self.wake_due_at:
            self.wake_due_at = None
            decision = scheduler.should_wake_sync(
                now,
                self.last_wake_sync_at,
                auto_sync=settings.trakt_sync_auto,
                authorised=self._authorised(),
            )
            log.debug("Wake sync: %s", decision.reason)
            if decision:
                return "wake"
        if self.library_first_at is not None:
            decision = scheduler.should_library_sync(
                now,
                self.library_first_at,
                self.library_last_at,
                on_library_update=settings.trakt_sync_on_library_update,
                authorised=self._authorised(),
            )
            if decision or decision.reason != "waiting for the update to settle":
                log.debug("Library sync: %s", decision.reason)
                self.library_first_at = self.library_last_at = None
            if decision:
                return "library"
        if self.deferred is not None and (self.not_before is None or now >= self.not_before):
            trigger, self.deferred = self.deferred, None
            if _trigger_enabled(trigger, settings) and self._authorised():
                log.debug("Deferred %s sync: running now", trigger)
                return trigger
        if now < self.next_check_at:
            return None
        self.next_check_at = now + settings.tick_seconds
        if settings.trakt_sync_schedule_enabled:
            # The daily schedule has its own switch: it runs with auto-sync on or off. Local time
            # is the clock Kodi runs on (the device's time zone).
            local_now = _dt.datetime.fromtimestamp(now)
            decision = scheduler.scheduled_sync_due(
                local_now,
                settings.trakt_sync_schedule_time,
                self.schedule_baseline,
                enabled=settings.trakt_sync_schedule_enabled,
                authorised=self._authorised(),
            )
            if decision:
                self.schedule_baseline = local_now
                return "schedule"
        if not settings.trakt_sync_auto:
            return None
        authorised = self._authorised()
        if authorised and self.was_authorised is False:
            # Just authorised (again): the first sync runs now, not after the interval that
            # started with the last (refused) attempt.
            log.debug("Trakt authorised: syncing at once")
            self.last_sync_at = None
            self.not_before = None
        self.was_authorised = authorised
        decision = scheduler.should_sync(
            now,
            self.last_sync_at,
            auto_sync=settings.trakt_sync_auto,
            authorised=authorised,
            interval_seconds=settings.sync_interval_seconds,
            not_before=self.not_before,
        )
        log.debug("Interval sync: %s", decision.reason)
        return "auto" if decision else None

    # -------------------------------------------------------------------- sync

    def sync(self, trigger: str) -> SyncOutcome:
        """Run one sync now (the caller decided it is due) and act on its result."""
        from resources.lib.trakt.errors import Aborted

        categories = self.settings.categories()
        if categories == ():
            log.info("Sync skipped: every category is switched off in selective sync")
            self.last_sync_at = self._clock()
            return SyncOutcome("skipped")
        log.debug("Sync starting: trigger=%s", trigger)
        started = self._clock()
        kwargs = {"on_progress": None, "should_abort": self.should_abort, "trigger": trigger}
        if categories is not None:
            kwargs["categories"] = categories
        if trigger == "wake" or self.settings.trakt_sync_interval_seconds > 0:
            # A wake sync bypasses the time check (spec: Wake Sync Flow); bursts are already
            # debounced (scheduler.should_wake_sync). The seconds override is a developer
            # setting (level 3) that sets the pace itself; the engine's 5-minute throttle would
            # otherwise turn most of its syncs into no-ops. Interval, schedule and library syncs
            # stay throttled.
            kwargs["force"] = True
        try:
            self._reopen_if_replaced()
            db = self._open_db()
            outcome = SyncOutcome.from_result(db.sync_activities(self.ctx.client, **kwargs))
            from resources.lib.kodi import notices  # a change Trakt refused (420), shown once

            notices.show_pending(db)
        except Aborted:
            outcome = SyncOutcome("aborted")
        except Exception as exc:  # the loop must survive anything the engine or client raises
            log.debug("Sync raised", exc_info=True)
            outcome = SyncOutcome("error", error=f"{type(exc).__name__}: {exc}")
        if self._should_stop() and outcome.status not in SUCCESS:
            outcome.status = "aborted"
        if not outcome.duration:
            outcome.duration = max(0.0, self._clock() - started)
        self.sync_count += 1
        self._after_sync(trigger, outcome, self._clock())
        return outcome

    def _after_sync(self, trigger: str, outcome: SyncOutcome, now: float) -> None:
        status = outcome.status
        changes = scheduler.count_changes(outcome.changes)
        quiet_retry = status == "error" and trigger == "wake" and self.wake_retries_left > 0
        failure_event = None
        if status == "error" and not quiet_retry:
            self.backoff, failure_event = scheduler.record_outcome(self.backoff, now, failed=True)
        loud = status != "error" or failure_event == scheduler.OUTAGE_STARTED
        (log.info if loud else log.debug)(
            "Sync finished: status=%s trigger=%s changes=%d requests=%s duration=%.1fs",
            status,
            trigger,
            changes,
            outcome.requests,
            float(outcome.duration or 0.0),
        )
        self._publish(trigger, outcome, changes, now)
        prefetch.after_sync(self, status, changes, now)  # widget refresh, art for the lists
        if trigger == "wake" and not quiet_retry:
            self.last_wake_sync_at = now
        if status in SUCCESS:
            self.deferred = None  # any successful sync covers a library or schedule sync owed
        elif trigger in DEFERRABLE and status in ("throttled", "busy", "error"):
            # Never lost: it runs as soon as the throttle, the other sync or the backoff allows.
            self.deferred = trigger

        if status in SUCCESS:
            self.last_sync_at = now
            self.not_before = None
            self.unauthorised_notified = False
            self.backoff, event = scheduler.record_outcome(self.backoff, now, failed=False)
            if event == scheduler.RECOVERED:
                log.info("Sync recovered: Trakt is reachable again")
            announced = scheduler.announced_changes(outcome.changes)
            if scheduler.should_notify_completion(
                enabled=self.settings.trakt_sync_notify,
                status=status,
                changes=sum(count for _, count in announced),
                trigger=trigger,
                playing_video=self._playing_video(),
            ):
                self._notify(changes_message(announced))
        elif status == "throttled":
            allowed = to_epoch(outcome.next_allowed_at)
            self.not_before = allowed if allowed and allowed > now else now + 60.0
            log.warning(
                "Sync throttled (trigger=%s): next sync allowed at %s",
                trigger,
                _dt.datetime.fromtimestamp(self.not_before).isoformat(timespec="seconds"),
            )
        elif status == "busy":
            # Another process (a plugin call) is syncing right now: that sync counts as ours.
            self.last_sync_at = now
            self.not_before = now + scheduler.BUSY_RETRY_SECONDS
        elif status == "unauthorized":
            self.last_sync_at = now
            if not self.unauthorised_notified:
                self.unauthorised_notified = True
                log.warning("Trakt authorisation expired: the user must authorise again")
                dialogs.notification(
                    localize(strings.AUTH_EXPIRED), icon=dialogs.WARNING, time_ms=10000
                )
        elif status == "aborted":
            pass
        elif quiet_retry:
            self.wake_retries_left -= 1
            self.wake_due_at = now + scheduler.WAKE_RETRY_SECONDS
            log.debug(
                "Wake sync failed (network not back yet?); retrying quietly: %s", outcome.error
            )
        elif status == "error":
            self.last_sync_at = now
            self.not_before = self.backoff.until
            if failure_event == scheduler.OUTAGE_STARTED:
                log.warning(
                    "Sync failed: %s. Retrying with backoff (next in %ds); repeated failures are "
                    "logged at debug level until it recovers",
                    outcome.error,
                    int(scheduler.backoff_seconds(self.backoff.failures)),
                )
            else:
                log.debug(
                    "Sync failed again (%d in a row): %s", self.backoff.failures, outcome.error
                )
            if scheduler.should_notify_failure(
                enabled=self.settings.trakt_sync_notify,
                outage_event=failure_event,
                playing_video=self._playing_video(),
            ):
                self._notify(failing_message(outcome.failures), icon=dialogs.WARNING)
        else:
            self.last_sync_at = now

    def _notify(self, message: str, icon: str = dialogs.INFO) -> None:
        """A sync notification, logged so that it can be checked in kodi.log."""
        log.info("Notified: %s", message)
        dialogs.notification(message, icon=icon)

    def _publish(self, trigger: str, outcome: SyncOutcome, changes: int, now: float) -> None:
        try:
            window.publish_last_sync(
                outcome.status, trigger, changes, outcome.requests, now, self.sync_count
            )
        except Exception:
            log.debug("Could not publish the last sync", exc_info=True)


# Triggers that are owed when they could not run (the interval and wake syncs simply come again).
DEFERRABLE = ("library", "schedule")
_NOUN_STRINGS = {
    "episode": (strings.EPISODE_ONE, strings.EPISODE_MANY),
    "movie": (strings.MOVIE_ONE, strings.MOVIE_MANY),
    "watchlist": (strings.WATCHLIST_ONE, strings.WATCHLIST_MANY),
    "resume": (strings.RESUME_ONE, strings.RESUME_MANY),
    "hidden": (strings.HIDDEN_ONE, strings.HIDDEN_MANY),
    "collection": (strings.COLLECTION_ONE, strings.COLLECTION_MANY),
    "rating": (strings.RATING_ONE, strings.RATING_MANY),
}


def _trigger_enabled(trigger: str, settings: Settings) -> bool:
    """Whether the setting behind a deferred trigger is still on."""
    if trigger == "library":
        return settings.trakt_sync_on_library_update
    if trigger == "schedule":
        return settings.trakt_sync_schedule_enabled
    return settings.trakt_sync_auto


def changes_message(announced: List[Tuple[str, int]]) -> str:
    """'Trakt: 3 episodes, 1 movie updated' from scheduler.announced_changes()."""
    parts = []
    for noun, count in announced:
        one, many = _NOUN_STRINGS.get(noun, (strings.EPISODE_ONE, strings.EPISODE_MANY))
        parts.append(localize(one if count == 1 else many, count=count))
    return localize(strings.SYNC_UPDATED, items=", ".join(parts))


def failing_message(records: Any) -> str:
    """'Trakt sync is failing: Trakt could not be reached. It will retry later.' (the reason in
    words from strings.po, never the engine's error text)."""
    reason = failure_text.whole_run_reason(records) or "internal"
    return localize(
        failure_text.FAILING_NOTIFICATION, reason=failure_text.reason_text(reason, localize)
    )
