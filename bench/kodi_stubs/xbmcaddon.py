"""Minimal ``xbmcaddon``: settings are their empty values (Kodi keeps them in C++)."""

import os


class _Settings:
    def getString(self, key):
        return ""

    def getBool(self, key):
        return False

    def getInt(self, key):
        return 0


class Addon:
    def __init__(self, id=None):
        self._id = id or "plugin.video.aiostreams"

    def getAddonInfo(self, key):
        root = os.environ.get("AIOS_BENCH_ROOT", "")
        return {
            "id": self._id,
            "path": root,
            "version": "0",
            "name": "AIOStreams",
            "profile": "special://profile/addon_data/plugin.video.aiostreams/",
        }.get(key, "")

    def getLocalizedString(self, string_id):
        return "String %d" % string_id

    def getSetting(self, key):
        return ""

    def getSettingString(self, key):
        return ""

    def getSettingBool(self, key):
        return False

    def getSettingInt(self, key):
        return 0

    def getSettings(self):
        return _Settings()

    def setSetting(self, key, value):
        pass

    def setSettingString(self, key, value):
        pass
