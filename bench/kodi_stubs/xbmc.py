"""Minimal ``xbmc`` for bench/bench_plugin.py: what Kodi's C++ would do, at no Python cost."""

LOGDEBUG, LOGINFO, LOGWARNING, LOGERROR, LOGFATAL = 0, 1, 2, 3, 4


def log(message, level=LOGDEBUG):
    pass


def executebuiltin(command, wait=False):
    pass


def getCondVisibility(condition):
    return False


def getInfoLabel(label):
    return ""


class Monitor:
    def abortRequested(self):
        return False

    def waitForAbort(self, timeout=0):
        return False


class Player:
    def isPlaying(self):
        return False
