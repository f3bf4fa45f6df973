"""The background service's Kodi glue: it waits, turns Kodi's callbacks into events, and carries
out what the service's decisions return.

``AIOStreamsMonitor`` only records events. ``AIOStreamsService.run`` wakes every second and asks
the pure functions of :mod:`resources.lib.service.decide` what to do on each event, each tick and
after each sync; they hold every rule over one ``ServiceState``. This class carries out their
effects: sync, notify, publish a window property, reload the settings. A sync runs in the service
thread with ``should_abort`` wired to Kodi's abort flag, so shutdown never waits on the network.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Iterable, List, Optional

import xbmc

from resources.lib.constants import ADDON_ID
from resources.lib.database.trakt_sync.result import SyncResult
from resources.lib.kodi import freshness, prefetch, service_mirror, service_notify
from resources.lib.kodi.context import AddonContext, build_context
from resources.lib.kodi.log import setup_logging
from resources.lib.kodi.settings import Settings, load_settings
from resources.lib.service import decide, effects, scheduler
from resources.lib.service.state import Event, ServiceSettings, ServiceState, initial_state

log = logging.getLogger(__name__)

SLICE_SECONDS = 1.0

ContextFactory = Callable[[Settings, Callable[[], bool]], AddonContext]


def _is_playing_video() -> bool:
    try:
        return bool(xbmc.Player().isPlayingVideo())
    except Exception:  # no player available (e.g. during shutdown): assume nothing plays
        return False


def _default_context(settings: Settings, should_abort: Callable[[], bool]) -> AddonContext:
    return build_context(settings=settings, should_abort=should_abort)


def service_settings(settings: Settings) -> ServiceSettings:
    """The settings the service's decisions read."""
    return ServiceSettings(
        auto_sync=bool(settings.trakt_sync_auto),
        interval_seconds=settings.sync_interval_seconds,
        tick_seconds=settings.tick_seconds,
        on_library_update=bool(settings.trakt_sync_on_library_update),
        schedule_enabled=bool(settings.trakt_sync_schedule_enabled),
        schedule_time=settings.trakt_sync_schedule_time,
        notify=bool(settings.trakt_sync_notify),
        interval_override=settings.trakt_sync_interval_seconds > 0,
        categories=settings.categories(),
    )


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
        if method == "Other." + freshness.METHOD and sender == ADDON_ID:
            self._post("fresh", "list")  # a list opened on a stale mirror (kodi/freshness.py)
        elif method == "System.OnWake":
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
    """The service loop: waits, queues Kodi's events, and carries out the decisions' effects."""

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
        self.upnext: Any = None  # kodi/upnext_monitor.UpNextMonitor, next to the scrobbling
        self._stop = threading.Event()
        self._events_lock = threading.Lock()
        self._events: List[Event] = []
        self.settings = Settings()
        self.policy = service_settings(self.settings)
        self.ctx: Optional[AddonContext] = None
        # Every rule's memory (syncs, backoff, wake, deferral): see service/state.py.
        self.state: ServiceState = initial_state(clock())
        self.mirror = service_mirror.ServiceMirror(self.should_abort)
        self.started_at = 0.0

    @property
    def sync_count(self) -> int:
        return self.state.sync_count

    def _apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.policy = service_settings(settings)

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
        self._apply_settings(self._safe_load_settings() or self.settings)
        self.ctx = self._context_factory(self.settings, self.should_abort)
        service_mirror.run_migration(self.ctx)
        self.mirror.check_integrity(self.ctx)
        self._start_playback()
        now = self._clock()
        self.state = initial_state(now, self.mirror.last_sync_at(self.ctx, now))
        self.started_at = now
        service_notify.publish_running(now, self.settings, self.state.settings_reloads)
        log.info("Service ready: %s", self.policy.summary())

    def _shutdown(self) -> None:
        if self.upnext is not None:
            self.upnext.stop()
            self.upnext = None
        if self.playback is not None:
            try:
                self.playback.stop()
            except Exception:
                log.debug("Stopping the player monitor failed", exc_info=True)
            self.playback = None
        if self.ctx is not None:
            self.ctx.close()
        service_notify.publish_stopped(self._clock())

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
            self._start_upnext(getattr(self.playback, "monitor", None))
        except Exception:
            log.warning(
                "The player monitor could not start; nothing will be scrobbled", exc_info=True
            )
            self.playback = None

    def _start_upnext(self, player_monitor: Any) -> None:
        """Up Next, fed by the scrobbling's player callbacks (a failure stops neither)."""
        if player_monitor is None:
            return
        try:
            from resources.lib.kodi.upnext_monitor import UpNextMonitor

            self.upnext = UpNextMonitor(
                lambda: self._context_factory(self.settings, self.should_abort)
            )
            player_monitor.add_listener(self.upnext.post)
            self.upnext.start()
        except Exception:
            log.warning("Up Next could not start", exc_info=True)
            self.upnext = None

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
        event = Event(kind, source, self._clock())
        with self._events_lock:
            self._events.append(event)

    def tick(self) -> None:
        """One evaluation: cheap when nothing is due (no file, database or network access)."""
        now = self._clock()
        with self._events_lock:
            events, self._events = self._events, []
        for event in events:
            self.state, done = decide.on_event(self.state, event, self.policy)
            self._carry_out(done)
        if self.mirror.integrity_check_wanted(self.ctx, now):  # a plugin call met damage
            self.mirror.check_integrity(self.ctx)
        if self.playback is not None:
            # Scrobbles kept while offline: the worker thread sends them, never this loop.
            self.playback.tick(online=self.state.online, now=now)
        self.state, done = decide.on_tick(self.state, now, self.policy, self._authorised)
        if any(isinstance(effect, effects.ReloadSettings) for effect in done):
            self.reload_settings(now)
            self.state, done = decide.on_tick(self.state, now, self.policy, self._authorised)
        self._carry_out(done)

    def _authorised(self) -> bool:
        return self.ctx is not None and self.ctx.is_authorised()

    def reload_settings(self, now: Optional[float] = None) -> None:
        """Read the settings again: rebuild the client if its settings changed, and let the
        decisions drop what was switched off."""
        now = self._clock() if now is None else now
        new = self._safe_load_settings()
        if new is None:
            return
        old, old_policy = self.settings, self.policy
        self._apply_settings(new)
        connection = ("trakt_api_url", "trakt_oauth_url", "trakt_client_id", "trakt_client_secret")
        if self.ctx is not None and any(getattr(old, k) != getattr(new, k) for k in connection):
            log.debug("Trakt connection settings changed: rebuilding the client")
            self.ctx.close()
            self.ctx = self._context_factory(new, self.should_abort)
        elif self.ctx is not None:
            self.ctx.settings = new
        self.state, done = decide.settings_changed(self.state, old_policy, self.policy, now)
        self._carry_out(done)
        log.debug("Settings reloaded: %s", self.policy.summary())

    # ----------------------------------------------------------------- effects

    def _carry_out(self, done: Iterable[object]) -> None:
        for effect in done:
            if isinstance(effect, effects.RunSync):
                self._run_sync(effect)
            elif isinstance(effect, effects.Notify):
                service_notify.notify(effect)
            elif isinstance(effect, effects.PublishLastSync):
                service_notify.publish_last_sync(effect)
            elif isinstance(effect, effects.RefreshLists):
                service_notify.refresh_lists(self._clock())  # widgets: prefetch.after_sync
            elif isinstance(effect, effects.PublishServiceState):
                reloads = self.state.settings_reloads
                service_notify.publish_running(self.started_at, self.settings, reloads)

    def _run_sync(self, effect: effects.RunSync) -> SyncResult:
        """Run one sync now (the decisions found it due), then act on its result."""
        started = self._clock()
        result = self.mirror.sync(self.ctx, effect)
        now = self._clock()
        result = decide.settled_result(result, stopping=self._should_stop(), elapsed=now - started)
        self.state, done = decide.after_sync(
            self.state, result, effect.trigger, now, self.policy, self._playing_video()
        )
        self._carry_out(done)
        # After a sync: widget refresh and the art for the lists (a background thread).
        prefetch.after_sync(self, result.status, scheduler.count_changes(result.changes), now)
        return result
