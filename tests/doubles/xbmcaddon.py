"""Fake xbmcaddon: settings from the real settings.xml, strings from the real strings.po.

Unknown setting ids and string ids raise (real Kodi would return "" and hide the bug). With
``kodistate.reset(kodi_version=19)`` the Addon has no getSettings(), like Kodi 19.
"""

from __future__ import annotations

from typing import Any

from kodistate import REPO, STATE

_KINDS = {"boolean": bool, "integer": int, "string": str, "time": str}


def _typed(setting_id: str, expected: type) -> Any:
    kind = STATE.setting_type(setting_id)
    if _KINDS.get(kind) is not expected:
        raise TypeError(f"setting {setting_id!r} is {kind}, not {expected.__name__}")
    return expected(STATE.setting_value(setting_id))


def _store(setting_id: str, expected: type, value: Any) -> bool:
    kind = STATE.setting_type(setting_id)
    if _KINDS.get(kind) is not expected or not isinstance(value, expected):
        raise TypeError(f"setting {setting_id!r} is {kind}")
    STATE.set_setting(setting_id, value)
    return True


class Settings:
    """Kodi 20's xbmcaddon.Settings."""

    def getBool(self, id: str) -> bool:
        return _typed(id, bool)

    def getInt(self, id: str) -> int:
        return _typed(id, int)

    def getString(self, id: str) -> str:
        return _typed(id, str)

    def setBool(self, id: str, value: bool) -> None:
        _store(id, bool, value)

    def setInt(self, id: str, value: int) -> None:
        _store(id, int, value)

    def setString(self, id: str, value: str) -> None:
        _store(id, str, value)


class _Addon19:
    def __init__(self, id: str = "") -> None:
        if id and id != STATE.addon_info["id"]:
            raise RuntimeError(f"unknown add-on id {id!r}")

    def getAddonInfo(self, key: str) -> str:
        if key in ("id", "name", "version"):
            return STATE.addon_info[key]
        if key == "path":
            return REPO
        if key == "profile":
            return "special://profile/addon_data/{}/".format(STATE.addon_info["id"])
        raise KeyError(key)

    def getLocalizedString(self, id: int) -> str:
        return STATE.localized(id)

    def getSetting(self, id: str) -> str:
        value = STATE.setting_value(id)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def getSettingBool(self, id: str) -> bool:
        return _typed(id, bool)

    def getSettingInt(self, id: str) -> int:
        return _typed(id, int)

    def getSettingString(self, id: str) -> str:
        return _typed(id, str)

    def setSetting(self, id: str, value: str) -> None:
        STATE.set_setting(id, value)

    def setSettingBool(self, id: str, value: bool) -> bool:
        return _store(id, bool, value)

    def setSettingInt(self, id: str, value: int) -> bool:
        return _store(id, int, value)

    def setSettingString(self, id: str, value: str) -> bool:
        return _store(id, str, value)


class _Addon20(_Addon19):
    def getSettings(self) -> Settings:
        return Settings()


def Addon(id: str = "") -> Any:  # a factory: the Kodi version decides the API it offers
    return _Addon20(id) if STATE.kodi_version >= 20 else _Addon19(id)
