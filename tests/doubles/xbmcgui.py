"""Fake xbmcgui: dialogs with scripted answers, progress dialogs, ListItem, Window properties.

``Dialog.yesno`` refuses extra positional arguments: in Kodi 19+ they become button labels.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from kodistate import STATE

NOTIFICATION_INFO = "info"
NOTIFICATION_WARNING = "warning"
NOTIFICATION_ERROR = "error"
INPUT_ALPHANUM = 0  # Kodi's values
ALPHANUM_HIDE_INPUT = 2


class Dialog:
    def ok(self, heading: str, message: str) -> bool:
        STATE.record_dialog("ok", (heading, message), {})
        return True

    def yesno(self, heading: str, message: str, *args: Any, **kwargs: Any) -> bool:
        if args:
            raise TypeError("yesno: extra positional strings become button labels in Kodi 19+")
        allowed = {"nolabel", "yeslabel", "autoclose", "defaultbutton"}
        if set(kwargs) - allowed:
            raise TypeError(f"yesno: unknown keyword {sorted(set(kwargs) - allowed)}")
        STATE.record_dialog("yesno", (heading, message), kwargs)
        return bool(STATE.answer("yesno", False))

    def notification(
        self,
        heading: str,
        message: str,
        icon: str = NOTIFICATION_INFO,
        time: int = 5000,
        sound: bool = True,
    ) -> None:
        STATE.record_dialog("notification", (heading, message, icon, time, sound), {})

    def select(
        self,
        heading: str,
        list: List[str],
        autoclose: int = 0,
        preselect: int = -1,
        useDetails: bool = False,
    ) -> int:  # noqa: A002,E501
        STATE.record_dialog("select", (heading, [str(item) for item in list]), {})
        return int(STATE.answer("select", -1))

    def input(
        self,
        heading: str,
        defaultt: str = "",
        type: int = INPUT_ALPHANUM,  # noqa: A002
        option: int = 0,
        autoclose: int = 0,
    ) -> str:
        """Kodi's keyboard: the scripted text, "" (Kodi's answer to Cancel) when none is left."""
        STATE.record_dialog("input", (heading, defaultt), {"type": type, "option": option})
        return str(STATE.answer("input", ""))

    def textviewer(self, heading: str, text: str, usemono: bool = False) -> None:
        STATE.record_dialog("textviewer", (heading, text), {"usemono": usemono})


class DialogProgress:
    def __init__(self) -> None:
        self.updates = 0

    def create(self, heading: str, message: str = "") -> None:
        STATE.record_dialog("progress.create", (heading, message), {})

    def update(self, percent: int, message: str = "") -> None:
        if not isinstance(percent, int) or not 0 <= percent <= 100:
            raise ValueError("percent must be an int 0..100")
        self.updates += 1
        STATE.progress_updates.append(("progress", percent, message))

    def iscanceled(self) -> bool:
        after = STATE.progress_cancel_after
        return after is not None and self.updates >= after

    def close(self) -> None:
        STATE.record_dialog("progress.close", (), {})


class DialogProgressBG:
    def __init__(self) -> None:
        self.finished = True

    def create(self, heading: str, message: str = "") -> None:
        self.finished = False
        STATE.record_dialog("progressbg.create", (heading, message), {})

    def update(
        self, percent: int = 0, heading: Optional[str] = None, message: Optional[str] = None
    ) -> None:
        if not isinstance(percent, int) or not 0 <= percent <= 100:
            raise ValueError("percent must be an int 0..100")
        STATE.progress_updates.append(("progressbg", percent, message or ""))

    def isFinished(self) -> bool:
        return self.finished

    def close(self) -> None:
        self.finished = True
        STATE.record_dialog("progressbg.close", (), {})


class InfoTagVideo:
    """Kodi 20 setters (Kodi 19's InfoTagVideo had getters only: see ListItem)."""

    def __init__(self) -> None:
        self.data: Dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("set"):
            key = name[3:4].lower() + name[4:]

            def setter(*args: Any) -> None:
                self.data[key] = args[0] if len(args) == 1 else args

            return setter
        raise AttributeError(name)


class _InfoTagVideo19:
    def getTitle(self) -> str:
        return ""


class ListItem:
    def __init__(
        self, label: str = "", label2: str = "", path: str = "", offscreen: bool = False
    ) -> None:
        self.label = label
        self.label2 = label2
        self.path = path
        self.info: Dict[str, Any] = {}
        self.info_type = ""
        self.art: Dict[str, str] = {}
        self.properties: Dict[str, str] = {}
        self.unique_ids: Dict[str, str] = {}
        self.context_menu: List[Any] = []
        self.is_folder: Optional[bool] = None
        self._tag = InfoTagVideo() if STATE.kodi_version >= 20 else _InfoTagVideo19()

    def getLabel(self) -> str:
        return self.label

    def setLabel(self, label: str) -> None:
        self.label = label

    def setLabel2(self, label: str) -> None:
        self.label2 = label

    def setPath(self, path: str) -> None:
        self.path = path

    def setInfo(self, type: str, infoLabels: Dict[str, Any]) -> None:  # noqa: A002
        self.info_type = type
        self.info.update(infoLabels)

    def getVideoInfoTag(self) -> Any:
        return self._tag

    def setArt(self, values: Dict[str, str]) -> None:
        self.art.update(values)

    def setProperty(self, key: str, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("ListItem.setProperty value must be a str")
        self.properties[key.lower()] = value

    def getProperty(self, key: str) -> str:
        return self.properties.get(key.lower(), "")

    def setUniqueIDs(self, values: Dict[str, str], defaultrating: str = "") -> None:
        self.unique_ids.update(values)

    def addContextMenuItems(self, items: List[Any]) -> None:
        self.context_menu.extend(items)

    def setIsFolder(self, is_folder: bool) -> None:
        self.is_folder = is_folder

    @property
    def tag(self) -> Dict[str, Any]:
        return getattr(self._tag, "data", {})


class Window:
    def __init__(self, existingWindowId: int = -1) -> None:
        self.window_id = existingWindowId

    def getProperty(self, key: str) -> str:
        with STATE.lock:
            return STATE.properties.get((self.window_id, key.lower()), "")

    def setProperty(self, key: str, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Window.setProperty value must be a str")
        with STATE.lock:
            STATE.properties[(self.window_id, key.lower())] = value

    def clearProperty(self, key: str) -> None:
        with STATE.lock:
            STATE.properties.pop((self.window_id, key.lower()), None)


class WindowXMLDialog(Window):
    """A script window: the XML must exist where Kodi would look for it (strict)."""

    def __init__(self, xmlFilename: str, scriptPath: str, defaultSkin: str = "Default",
                 defaultRes: str = "720p", isMedia: bool = False) -> None:  # fmt: skip
        import os

        path = os.path.join(scriptPath, "resources", "skins", defaultSkin, defaultRes, xmlFilename)
        if not os.path.isfile(path):
            raise RuntimeError(f"XML File for Window is missing: {path}")
        super().__init__(-1)
        self.xml_path = path
        self.properties: Dict[str, str] = {}
        self.shown = False
        self.closed = False
        self.focus_id = 0
        with STATE.lock:
            STATE.windows.append(self)

    def getProperty(self, key: str) -> str:
        return self.properties.get(key.lower(), "")

    def setProperty(self, key: str, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Window.setProperty value must be a str")
        self.properties[key.lower()] = value

    def clearProperty(self, key: str) -> None:
        self.properties.pop(key.lower(), None)

    def show(self) -> None:
        self.shown = True

    def doModal(self) -> None:
        self.shown = True

    def close(self) -> None:
        self.closed = True

    def setFocusId(self, iControlId: int) -> None:
        self.focus_id = iControlId
