"""The values the service's decisions work on: what the service remembers, the settings the
decisions read, and the events Kodi delivers. Frozen: a decision returns a new state.

:mod:`resources.lib.service.decide` turns (state, event or tick) into (new state, effects).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Optional, Tuple

from .scheduler import Backoff

# Event kinds (Kodi's callbacks as the Kodi monitor reports them).
SETTINGS = "settings"
WAKE = "wake"
LIBRARY = "library"
# A list opened on a mirror whose last check of Trakt is over a minute old (the plugin asks).
FRESH = "fresh"
# Wake sources: System.OnWake (the network may still be down) or the screensaver going away.
WAKE_SYSTEM = "system"
WAKE_SCREENSAVER = "screensaver"

# Sync triggers (the engine records them with each run).
AUTO = "auto"
WAKE_TRIGGER = "wake"
LIBRARY_TRIGGER = "library"
SCHEDULE = "schedule"
FRESH_TRIGGER = "fresh"
# Triggers that are owed when they could not run (the interval and wake syncs simply come again).
DEFERRABLE = (LIBRARY_TRIGGER, SCHEDULE)


@dataclass(frozen=True)
class ServiceSettings:
    """The settings the service's decisions read (the Kodi front end builds it from Settings)."""

    auto_sync: bool = True
    interval_seconds: float = 300.0
    tick_seconds: float = 30.0
    on_library_update: bool = False
    schedule_enabled: bool = False
    schedule_time: str = "04:00"
    notify: bool = False
    # The developer's seconds override is set: it paces interval syncs itself, past the throttle.
    interval_override: bool = False
    # The categories to sync: None for all of them, () when selective sync switched all off.
    categories: Optional[Tuple[str, ...]] = None

    def summary(self) -> str:
        """The settings in effect, for the log."""
        schedule = self.schedule_time if self.schedule_enabled else "off"
        return "auto_sync=%s interval=%ds tick=%ds library=%s schedule=%s notify=%s" % (
            self.auto_sync,
            int(self.interval_seconds),
            int(self.tick_seconds),
            self.on_library_update,
            schedule,
            self.notify,
        )

    def trigger_enabled(self, trigger: str) -> bool:
        """Whether the setting behind a (deferred) trigger is on."""
        if trigger == LIBRARY_TRIGGER:
            return self.on_library_update
        if trigger == SCHEDULE:
            return self.schedule_enabled
        return self.auto_sync


@dataclass(frozen=True)
class Event:
    """One of Kodi's callbacks, with the time it arrived."""

    kind: str
    source: str = ""
    at: float = 0.0


@dataclass(frozen=True)
class ServiceState:
    """Everything the service remembers between ticks (times are Unix seconds)."""

    # When the last sync attempt finished (None: never, as far as this session and the
    # database know). The interval counts from here.
    last_sync_at: Optional[float] = None
    # No interval or deferred sync before this time (a throttle, a busy lease or the backoff).
    not_before: Optional[float] = None
    backoff: Backoff = Backoff()
    # The next time the interval and the daily schedule are evaluated.
    next_check_at: float = 0.0
    # A wake sync waits for the burst of wake events to settle (and the network to come back).
    wake_due_at: Optional[float] = None
    wake_retries_left: int = 0
    last_wake_sync_at: Optional[float] = None
    # Bursts of settings changes and of library updates, debounced into one reload or sync.
    settings_first_at: Optional[float] = None
    settings_last_at: Optional[float] = None
    library_first_at: Optional[float] = None
    library_last_at: Optional[float] = None
    # The last scheduled run, or the service start (local time: the clock Kodi runs on).
    schedule_baseline: _dt.datetime = _dt.datetime(1970, 1, 2)
    # A library or scheduled sync that was throttled, busy or failed: it runs once allowed.
    deferred: Optional[str] = None
    # A list asked for a freshness check (when the request arrived), and when the last one ran.
    fresh_requested_at: Optional[float] = None
    last_fresh_at: Optional[float] = None
    unauthorised_notified: bool = False
    # Whether Trakt was authorised at the last interval check (None: not checked yet).
    was_authorised: Optional[bool] = None
    sync_count: int = 0
    settings_reloads: int = 0

    @property
    def settings_pending(self) -> bool:
        """Settings changed and are not reloaded yet: every sync waits for them."""
        return self.settings_first_at is not None

    @property
    def online(self) -> bool:
        """No whole-run failure is being backed off from (Trakt is believed reachable)."""
        return self.backoff.failures == 0


def local_time(now: float) -> _dt.datetime:
    """Unix seconds as the device's local time (the daily schedule's clock)."""
    return _dt.datetime.fromtimestamp(now)


def initial_state(now: float, last_sync_at: Optional[float] = None) -> ServiceState:
    """The state at service start: the schedule counts from now (an occurrence before the start
    is not owed), the interval from the last sync the database remembers."""
    return ServiceState(
        last_sync_at=last_sync_at, next_check_at=now, schedule_baseline=local_time(now)
    )
