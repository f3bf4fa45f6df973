"""Fake xbmc module: log, Monitor (controllable abort and clock), Player, builtins."""

from __future__ import annotations

import time as _time
from typing import Optional

from kodistate import STATE

LOGDEBUG = 0
LOGINFO = 1
LOGWARNING = 2
LOGERROR = 3
LOGFATAL = 4
LOGNONE = 7


def log(msg: str, level: int = LOGDEBUG) -> None:
    if not isinstance(msg, str):
        raise TypeError("xbmc.log expects a str")
    STATE.record_log(level, msg)


class Monitor:
    """abortRequested() follows STATE.abort. waitForAbort() waits on it in real time, or, when
    STATE.clock is a FakeClock, advances the fake clock by `timeout` and yields for a moment."""

    def __init__(self) -> None:
        pass

    def abortRequested(self) -> bool:
        return STATE.abort.is_set()

    def waitForAbort(self, timeout: Optional[float] = None) -> bool:
        if STATE.abort.is_set():
            return True
        if STATE.clock is not None:
            STATE.clock.advance(timeout or 0.0)
            return STATE.abort.wait(STATE.fake_slice_real_seconds)
        return STATE.abort.wait(timeout)

    # Callbacks that Kodi calls; subclasses override them.
    def onSettingsChanged(self) -> None:
        pass

    def onScreensaverActivated(self) -> None:
        pass

    def onScreensaverDeactivated(self) -> None:
        pass

    def onDPMSActivated(self) -> None:
        pass

    def onDPMSDeactivated(self) -> None:
        pass

    def onScanStarted(self, library: str) -> None:
        pass

    def onScanFinished(self, library: str) -> None:
        pass

    def onCleanStarted(self, library: str) -> None:
        pass

    def onCleanFinished(self, library: str) -> None:
        pass

    def onNotification(self, sender: str, method: str, data: str) -> None:
        pass


class Player:
    def isPlaying(self) -> bool:
        return STATE.playing_video

    def isPlayingVideo(self) -> bool:
        return STATE.playing_video


def executebuiltin(function: str, wait: bool = False) -> None:
    STATE.builtins.append(function)


def getCondVisibility(condition: str) -> bool:
    return STATE.conditions.get(condition, False)


def executeJSONRPC(jsonrpccommand: str) -> str:
    if not isinstance(jsonrpccommand, str):
        raise TypeError("xbmc.executeJSONRPC expects a str")
    STATE.jsonrpc.append(jsonrpccommand)
    return '{"id":1,"jsonrpc":"2.0","result":"OK"}'


def getInfoLabel(label: str) -> str:
    if label == "System.BuildVersion":
        return f"{STATE.kodi_version}.1 (fake)"
    return STATE.info_labels.get(label, "")


def sleep(milliseconds: int) -> None:
    _time.sleep(milliseconds / 1000.0)


def getRegion(id: str) -> str:
    """Kodi answers "" for an id it does not know."""
    if not isinstance(id, str):
        raise TypeError("xbmc.getRegion expects a str")
    return STATE.region.get(id, "")
