"""What the background service shows and publishes, in Kodi: notifications in words from
strings.po, and the ``aiostreams.service`` / ``aiostreams.last_sync`` window properties.
The service's decisions (``service/decide.py``) say what to show; this module says it."""

from __future__ import annotations

import logging
from typing import Any, List, Tuple

import xbmc

from resources.lib.constants import ADDON_ID
from resources.lib.kodi import dialogs, strings, window
from resources.lib.kodi.localize import localize
from resources.lib.kodi.settings import Settings
from resources.lib.service import effects, failure_text

log = logging.getLogger(__name__)

NOUN_STRINGS = {
    "episode": (strings.EPISODE_ONE, strings.EPISODE_MANY),
    "movie": (strings.MOVIE_ONE, strings.MOVIE_MANY),
    "watchlist": (strings.WATCHLIST_ONE, strings.WATCHLIST_MANY),
    "resume": (strings.RESUME_ONE, strings.RESUME_MANY),
    "hidden": (strings.HIDDEN_ONE, strings.HIDDEN_MANY),
    "collection": (strings.COLLECTION_ONE, strings.COLLECTION_MANY),
    "rating": (strings.RATING_ONE, strings.RATING_MANY),
}


def changes_message(announced: List[Tuple[str, int]]) -> str:
    """'Trakt: 3 episodes, 1 movie updated' from scheduler.announced_changes()."""
    parts = []
    for noun, count in announced:
        one, many = NOUN_STRINGS.get(noun, (strings.EPISODE_ONE, strings.EPISODE_MANY))
        parts.append(localize(one if count == 1 else many, count=count))
    return localize(strings.SYNC_UPDATED, items=", ".join(parts))


def failing_message(records: Any) -> str:
    """'Trakt sync is failing: Trakt could not be reached. It will retry later.' (the reason in
    words from strings.po, never the engine's error text)."""
    reason = failure_text.whole_run_reason(records) or "internal"
    return localize(
        failure_text.FAILING_NOTIFICATION, reason=failure_text.reason_text(reason, localize)
    )


def notify(effect: effects.Notify) -> None:
    """Show the notification a decision asked for (sync notifications are logged, so that they
    can be checked in kodi.log)."""
    if effect.code == effects.NOTIFY_AUTH_EXPIRED:
        dialogs.notification(localize(strings.AUTH_EXPIRED), icon=dialogs.WARNING, time_ms=10000)
        return
    if effect.code == effects.NOTIFY_FAILING:
        message, icon = failing_message(list(effect.failures)), dialogs.WARNING
    else:
        message, icon = changes_message(list(effect.announced)), dialogs.INFO
    log.info("Notified: %s", message)
    dialogs.notification(message, icon=icon)


def publish_last_sync(effect: effects.PublishLastSync) -> None:
    try:
        window.publish_last_sync(
            effect.status, effect.trigger, effect.changes, effect.requests, effect.at, effect.count
        )
    except Exception:
        log.debug("Could not publish the last sync", exc_info=True)


def publish_running(started_at: float, settings: Settings, settings_reloads: int) -> None:
    """``aiostreams.service``: running, plus the settings in effect (settings reloads are
    logged at DEBUG only, so this is where a test or a skin sees that they were applied)."""
    schedule = settings.trakt_sync_schedule_time if settings.trakt_sync_schedule_enabled else "off"
    _publish_state(
        {
            "state": "running",
            "started": int(started_at),
            "auto_sync": bool(settings.trakt_sync_auto),
            "schedule": schedule,
            "settings_reloads": settings_reloads,
        }
    )


def publish_stopped(now: float) -> None:
    _publish_state({"state": "stopped", "stopped": int(now)})


def _publish_state(value: dict) -> None:
    try:
        window.set_json(window.SERVICE_STATE, value)
    except Exception:
        log.debug("Could not publish the service state", exc_info=True)


def refresh_lists(now: float) -> bool:
    """A freshness check changed something: remember when (the renders this causes must not ask
    again), then refresh the open list if it is one of ours. The widgets get their refresh from
    prefetch.after_sync, which follows every sync that changed something. True when the open
    list was refreshed."""
    try:
        window.set_text(window.FRESH_REFRESHED, "%.3f" % now)
        folder = xbmc.getInfoLabel("Container.FolderPath") or ""
        ours = "plugin://%s" % ADDON_ID
        if not (folder == ours or folder.startswith(ours + "/")):
            return False
        xbmc.executebuiltin("Container.Refresh")
        log.info("Refreshed the open list after a freshness check")
        return True
    except Exception:  # a refresh is a nicety: never costs the service its loop
        log.debug("Could not refresh the open list", exc_info=True)
        return False
