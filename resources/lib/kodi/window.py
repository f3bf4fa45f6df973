"""Window(10000) properties: the only memory that Kodi's separate interpreters share.

Values are JSON so that the service, plugin calls and end-to-end tests can read them.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Optional

import xbmcgui

# Every property our processes share is named here: these two are read by the Kodi-free scrobble
# worker, so their names live in constants.py (the plugin writes them before a playback starts).
from resources.lib.constants import NOW_PLAYING_PROPERTY as NOW_PLAYING_PROPERTY
from resources.lib.constants import PLAY_RETRY_PROPERTY as PLAY_RETRY_PROPERTY
from resources.lib.constants import UPNEXT_PREPARED_PROPERTY as UPNEXT_PREPARED_PROPERTY

HOME_WINDOW_ID = 10000
LAST_SYNC = "aiostreams.last_sync"
# A list asked the service for a freshness check (Unix seconds), and the service refreshed the
# lists after one (Unix seconds): the renders that refresh causes must not ask again.
FRESH_REQUESTED = "aiostreams.fresh_requested"
FRESH_REFRESHED = "aiostreams.fresh_refreshed"
DATABASE_INFO = "aiostreams.database_info"
SERVICE_STATE = "aiostreams.service"
# The path a corrupt database was moved to (plain text): the user is told once across processes.
DB_RECOVERED = "aiostreams.db_recovered"


def set_json(name: str, value: Any) -> None:
    """Publish `value` as JSON under the home window property `name`."""
    xbmcgui.Window(HOME_WINDOW_ID).setProperty(name, json.dumps(value, sort_keys=True, default=str))


def get_json(name: str) -> Optional[Any]:
    """The JSON value of a home window property, or None when unset or not JSON."""
    text = xbmcgui.Window(HOME_WINDOW_ID).getProperty(name)
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def get_text(name: str) -> str:
    return xbmcgui.Window(HOME_WINDOW_ID).getProperty(name)


def set_text(name: str, value: str) -> None:
    xbmcgui.Window(HOME_WINDOW_ID).setProperty(name, value)


def clear(name: str) -> None:
    xbmcgui.Window(HOME_WINDOW_ID).clearProperty(name)


def publish_last_sync(
    status: str, trigger: str, changes: int, requests: Any, now: float, count: int = 0
) -> None:
    """Publish the outcome of a sync (service or manual) as `aiostreams.last_sync`."""
    set_json(
        LAST_SYNC,
        {
            "time": int(now),
            "time_local": _dt.datetime.fromtimestamp(now).isoformat(timespec="seconds"),
            "status": status,
            "trigger": trigger,
            "changes": int(changes),
            "requests": requests,
            "count": count,
        },
    )


# Skins put this in a widget's path (``...&refresh=$INFO[Window(Home).Property(...)]``): Kodi
# reloads a widget whose path changed, so a new value refreshes every widget of ours.
WIDGET_REFRESH = "AIOStreams.WidgetRefresh"


def refresh_widgets(now: float) -> str:
    """Give ``AIOStreams.WidgetRefresh`` a new value (a timestamp in milliseconds)."""
    previous = get_text(WIDGET_REFRESH)
    value = int(now * 1000)
    if previous.isdigit() and value <= int(previous):  # two refreshes in one millisecond, or
        value = int(previous) + 1  # a clock set back, must still change it
    set_text(WIDGET_REFRESH, str(value))
    return str(value)


def called_as_widget(params: Any) -> bool:
    """True when a skin widget (not the user browsing our folders) asked for this listing.

    A widget path may say so with ``widget=1``; otherwise a listing requested while the home
    window is the active one comes from a widget there (our folders open in the video window).
    Widgets get no dialog and no busy spinner.
    """
    if str((params or {}).get("widget", "")) in ("1", "true"):
        return True
    try:
        import xbmc

        return bool(xbmc.getCondVisibility("Window.IsActive(home)"))
    except Exception:  # no GUI (shutdown): treat as a widget, i.e. ask nothing
        return True
