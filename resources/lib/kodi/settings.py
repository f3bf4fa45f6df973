"""The add-on's settings as a plain, immutable snapshot.

Kodi 20+ reads typed values through ``Addon().getSettings()``; Kodi 19 only has
``Addon().getSettingBool/Int/String``. :func:`load_settings` uses the first and falls back to the
second. A fresh ``Addon()`` is created for every load because a long-lived instance in the
service may return stale values after the user changed a setting.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Optional, Tuple

import xbmcaddon

from resources.lib.constants import ADDON_ID, DEFAULT_TRAKT_URL
from resources.lib.service.scheduler import sync_interval_seconds

# Selective-sync setting id -> the engine's category name.
CATEGORY_SETTINGS = (
    ("trakt_sync_watched", "watched"),
    ("trakt_sync_watchlist", "watchlist"),
    ("trakt_sync_playback", "playback"),
    ("trakt_sync_hidden", "hidden"),
    ("trakt_sync_collection", "collection"),
    ("trakt_sync_ratings", "ratings"),
)


# Categories without a selective-sync switch: synced whatever the switches say.
ALWAYS_SYNCED = ("lists",)


@dataclass(frozen=True)
class Settings:
    """Every value setting in resources/settings.xml (action buttons have no value)."""

    trakt_username: str = ""
    trakt_sync_auto: bool = True
    trakt_sync_interval: int = 5
    trakt_sync_on_library_update: bool = False
    trakt_sync_schedule_enabled: bool = False
    trakt_sync_schedule_time: str = "04:00"
    trakt_sync_notify: bool = False
    trakt_sync_watched: bool = True
    trakt_sync_watchlist: bool = True
    trakt_sync_playback: bool = True
    trakt_sync_hidden: bool = True
    trakt_sync_collection: bool = True
    trakt_sync_ratings: bool = True
    trakt_api_url: str = DEFAULT_TRAKT_URL
    trakt_oauth_url: str = DEFAULT_TRAKT_URL
    trakt_client_id: str = ""
    trakt_client_secret: str = ""
    service_tick_seconds: int = 30
    trakt_sync_interval_seconds: int = 0
    aiostreams_manifest_url: str = ""
    aiostreams_instance_url: str = ""
    aiostreams_uuid: str = ""
    aiostreams_password: str = ""  # emptied after a sign-in: kept 0600 in aiostreams_login.json
    playback_autoplay: bool = False
    playback_max_resolution: int = 0
    playback_hide_uncached: bool = False
    playback_hide_unplayable: bool = False
    playback_placeholder_seconds: int = 45
    # h27-ratings: the rating prompt after playback (both off by default)
    rating_prompt_movies: bool = False
    rating_prompt_season_finale: bool = False
    # h25-upnext-kodi: Up Next (upnext/timing.py reads them through upnext_timing()).
    upnext_mode: str = "auto"  # off / ask / auto
    upnext_trigger: str = "seconds"  # or "percent"
    upnext_seconds: int = 30
    upnext_percent: int = 92
    upnext_use_service_upnext: bool = False

    @property
    def sync_interval_seconds(self) -> float:
        """Seconds between automatic syncs (the seconds override wins when > 0)."""
        return sync_interval_seconds(self.trakt_sync_interval, self.trakt_sync_interval_seconds)

    @property
    def tick_seconds(self) -> float:
        """How often the service evaluates its schedule (1..300 s)."""
        return float(min(300, max(1, self.service_tick_seconds)))

    def categories(self) -> Optional[Tuple[str, ...]]:
        """The categories to sync: None means all of them (the engine's default)."""
        chosen = tuple(name for key, name in CATEGORY_SETTINGS if getattr(self, key))
        if len(chosen) == len(CATEGORY_SETTINGS):
            return None
        return chosen + ALWAYS_SYNCED

    def api_url(self) -> str:
        return (self.trakt_api_url or DEFAULT_TRAKT_URL).strip().rstrip("/") or DEFAULT_TRAKT_URL

    def oauth_url(self) -> str:
        return (self.trakt_oauth_url or DEFAULT_TRAKT_URL).strip().rstrip("/") or DEFAULT_TRAKT_URL


def setting_ids() -> Tuple[str, ...]:
    """The ids of every value setting that :class:`Settings` holds."""
    return tuple(field.name for field in dataclasses.fields(Settings))


class _Reader:
    """Typed reads with the Kodi 20 API first and the Kodi 19 API as fallback."""

    def __init__(self, addon: Any) -> None:
        self._addon = addon
        self._settings = None
        getter = getattr(addon, "getSettings", None)
        if getter is not None:
            try:
                self._settings = getter()
            except Exception:  # Kodi 19 has no getSettings; some builds raise instead
                self._settings = None

    def read(self, setting_id: str, kind: type) -> Any:
        if self._settings is not None:
            try:
                if kind is bool:
                    return bool(self._settings.getBool(setting_id))
                if kind is int:
                    return int(self._settings.getInt(setting_id))
                return str(self._settings.getString(setting_id))
            except Exception:  # unknown to the new API (or a type mismatch): use the old one
                pass
        if kind is bool:
            return bool(self._addon.getSettingBool(setting_id))
        if kind is int:
            return int(self._addon.getSettingInt(setting_id))
        return str(self._addon.getSettingString(setting_id))


def _field_kind(field: dataclasses.Field) -> type:
    # With postponed annotations the type is the string written in the class body.
    text = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", "str")
    return {"bool": bool, "int": int}.get(text, str)


def load_settings(addon: Any = None) -> Settings:
    """Read every setting into a :class:`Settings` snapshot."""
    reader = _Reader(addon if addon is not None else xbmcaddon.Addon(ADDON_ID))
    values = {}
    for field in dataclasses.fields(Settings):
        values[field.name] = reader.read(field.name, _field_kind(field))
    return Settings(**values)


def set_string(setting_id: str, value: str, addon: Any = None) -> None:
    """Write a string setting (used for the read-only `trakt_username` display)."""
    addon = addon if addon is not None else xbmcaddon.Addon(ADDON_ID)
    # Not getSettings().setString(): on Kodi 20.1 (verified in the real-Kodi tier) it neither
    # saves nor fires onSettingsChanged. setSettingString (Kodi 19-22) does both.
    addon.setSettingString(setting_id, value)
