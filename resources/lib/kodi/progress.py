"""Progress dialogs as context managers that always close, even when the work raises."""

from __future__ import annotations

from typing import Optional

import xbmcgui

from resources.lib.kodi import strings
from resources.lib.kodi.localize import localize


def _clamp(percent: float) -> int:
    return int(max(0, min(100, percent)))


class Progress:
    """A modal DialogProgress with a Cancel button (Kodi 19+: one message argument)."""

    def __init__(self, message: str = "", heading: Optional[str] = None) -> None:
        self._heading = heading if heading is not None else localize(strings.ADDON_NAME)
        self._message = message
        self._dialog = None

    def __enter__(self) -> Progress:
        self._dialog = xbmcgui.DialogProgress()
        self._dialog.create(self._heading, self._message)
        return self

    def update(self, percent: float, message: Optional[str] = None) -> None:
        if message is not None:
            self._message = message
        if self._dialog is not None:
            self._dialog.update(_clamp(percent), self._message)

    def iscanceled(self) -> bool:
        return bool(self._dialog is not None and self._dialog.iscanceled())

    def __exit__(self, *exc_info: object) -> None:
        if self._dialog is not None:
            self._dialog.close()
            self._dialog = None


class BackgroundProgress:
    """A non-modal DialogProgressBG (the bar in the corner) with real percent and labels."""

    def __init__(self, message: str = "", heading: Optional[str] = None) -> None:
        self._heading = heading if heading is not None else localize(strings.ADDON_NAME)
        self._message = message
        self._dialog = None
        self.last_percent = 0

    def __enter__(self) -> BackgroundProgress:
        self._dialog = xbmcgui.DialogProgressBG()
        self._dialog.create(self._heading, self._message)
        return self

    def update(self, percent: float, message: Optional[str] = None) -> None:
        if message:
            self._message = message
        self.last_percent = _clamp(percent)
        if self._dialog is not None:
            self._dialog.update(self.last_percent, self._heading, self._message)

    def __exit__(self, *exc_info: object) -> None:
        if self._dialog is not None:
            self._dialog.close()
            self._dialog = None
