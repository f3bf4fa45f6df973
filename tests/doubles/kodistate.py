"""Shared state behind the fake Kodi modules (xbmc, xbmcaddon, xbmcgui, xbmcplugin, xbmcvfs).

Tests import this module first: it puts this folder (the fake modules) and the repository root
on sys.path. The fakes read the REAL addon.xml, resources/settings.xml and strings.po, so a
string id or setting id that the code uses but the add-on does not define fails the test.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from tests.support.clock import FakeClock  # the suite's one fake clock (kodistate.FakeClock)

DOUBLES = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(DOUBLES))
for _path in (DOUBLES, REPO):
    if _path not in sys.path:
        sys.path.insert(0, _path)

ADDON_XML = os.path.join(REPO, "addon.xml")
SETTINGS_XML = os.path.join(REPO, "resources", "settings.xml")
STRINGS_PO = os.path.join(REPO, "resources", "language", "resource.language.en_gb", "strings.po")

LEVEL_NAMES = {0: "debug", 1: "info", 2: "warning", 3: "error", 4: "fatal"}


def read_addon_xml() -> Dict[str, str]:
    root = ET.parse(ADDON_XML).getroot()
    return {
        "id": root.get("id", ""),
        "name": root.get("name", ""),
        "version": root.get("version", ""),
    }


def read_settings_xml() -> Dict[str, Tuple[str, Optional[str]]]:
    """setting id -> (type, default text) for every setting in resources/settings.xml."""
    root = ET.parse(SETTINGS_XML).getroot()
    result = {}
    for node in root.iter("setting"):
        default = node.find("default")
        text = None
        if default is not None:
            text = default.text or ""
        result[node.get("id")] = (node.get("type"), text)
    return result


def read_strings_po() -> Dict[int, str]:
    """string id -> English text for every msgctxt "#NNNNN" entry of strings.po."""
    with open(STRINGS_PO, encoding="utf-8") as handle:
        text = handle.read()
    strings = {}
    pattern = re.compile(r'msgctxt\s+"#(\d+)"\s*\nmsgid\s+"((?:[^"\\]|\\.)*)"')
    for match in pattern.finditer(text):
        strings[int(match.group(1))] = match.group(2).replace('\\"', '"').replace("\\\\", "\\")
    return strings


class KodiState:
    """Everything the fakes record or answer from; :func:`reset` gives each test a fresh one."""

    def __init__(self) -> None:
        self.addon_info = read_addon_xml()
        self.setting_defs = read_settings_xml()
        self.strings = read_strings_po()
        self.profile_dir = ""
        self.reset()

    def reset(self, kodi_version: int = 20, profile_dir: Optional[str] = None) -> None:
        self.kodi_version = kodi_version
        self.lock = threading.RLock()
        self.logs: List[Tuple[int, str]] = []
        self.settings: Dict[str, Any] = {}
        self.dialogs: List[Tuple[str, tuple, dict]] = []
        self.answers: Dict[str, Deque[Any]] = collections.defaultdict(collections.deque)
        self.properties: Dict[Tuple[int, str], str] = {}
        self.directory: List[Tuple[int, str, Any, bool]] = []
        self.ended: List[Dict[str, Any]] = []
        self.resolved: List[Tuple[int, bool, Any]] = []
        self.content: List[Tuple[int, str]] = []
        self.builtins: List[str] = []
        self.jsonrpc: List[str] = []  # xbmc.executeJSONRPC requests (JSON text)
        self.conditions: Dict[str, bool] = {}  # xbmc.getCondVisibility answers (else False)
        self.windows: List[Any] = []  # xbmcgui.WindowXMLDialog instances, in creation order
        self.info_labels: Dict[str, str] = {}
        # xbmc.getRegion answers: Kodi's default region, "USA (12h)" (its langinfo "h:mm:ss xx"
        # as getRegion turns it into strftime form); "UK (24h)" answers "%H:%M:%S" and "/".
        self.region: Dict[str, str] = {
            "dateshort": "%m/%d/%Y",
            "datelong": "%A, %B %d, %Y",
            "time": "%I:%M:%S %p",
            "meridiem": "AM/PM",
            "tempunit": "°F",
            "speedunit": "mph",
        }
        self.abort = threading.Event()
        self.clock: Optional[FakeClock] = None
        self.fake_slice_real_seconds = 0.001
        self.playing_video = False
        self.progress_cancel_after: Optional[int] = None
        self.progress_updates: List[Tuple[str, int, str]] = []
        if profile_dir is None:
            profile_dir = tempfile.mkdtemp(prefix="kodi-profile-")
        self.profile_dir = profile_dir

    # ------------------------------------------------------------- recording
    def record_log(self, level: int, message: str) -> None:
        with self.lock:
            self.logs.append((level, message))

    def log_lines(self, level: Optional[int] = None, contains: str = "") -> List[str]:
        with self.lock:
            return [
                message
                for lvl, message in self.logs
                if (level is None or lvl == level) and contains in message
            ]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.005)
        return condition()

    def wait_for_log(self, contains: str, timeout: float = 5.0, count: int = 1) -> bool:
        return self.wait_for(lambda: len(self.log_lines(contains=contains)) >= count, timeout)

    def record_dialog(self, name: str, args: tuple, kwargs: dict) -> None:
        with self.lock:
            self.dialogs.append((name, args, kwargs))

    def dialog_calls(self, name: str) -> List[Tuple[tuple, dict]]:
        with self.lock:
            return [(args, kwargs) for dname, args, kwargs in self.dialogs if dname == name]

    def answer(self, name: str, default: Any) -> Any:
        with self.lock:
            queue = self.answers.get(name)
            if queue:
                return queue.popleft()
            return default

    def script(self, name: str, *answers: Any) -> None:
        """Queue answers for the next calls of dialog `name` (yesno, select, ...)."""
        with self.lock:
            self.answers[name].extend(answers)

    # -------------------------------------------------------------- settings
    def setting_type(self, setting_id: str) -> str:
        if setting_id not in self.setting_defs:
            raise KeyError(f"setting id {setting_id!r} is not in resources/settings.xml")
        return self.setting_defs[setting_id][0]

    def setting_value(self, setting_id: str) -> Any:
        kind = self.setting_type(setting_id)
        if setting_id in self.settings:
            return self.settings[setting_id]
        default = self.setting_defs[setting_id][1]
        if kind == "boolean":
            return (default or "false").strip().lower() == "true"
        if kind == "integer":
            return int(default or 0)
        if kind == "action":
            raise TypeError(f"setting {setting_id!r} is an action and has no value")
        return default or ""

    def set_setting(self, setting_id: str, value: Any) -> None:
        self.setting_type(setting_id)
        with self.lock:
            self.settings[setting_id] = value

    def localized(self, string_id: int) -> str:
        if int(string_id) not in self.strings:
            raise KeyError(f"string id {string_id} is not in strings.po")
        return self.strings[int(string_id)]

    # ------------------------------------------------------------ properties
    def home_property(self, name: str) -> str:
        with self.lock:
            return self.properties.get((10000, name.lower()), "")


STATE = KodiState()


def reset(kodi_version: int = 20, profile_dir: Optional[str] = None) -> KodiState:
    """A fresh fake Kodi; returns the shared state object."""
    STATE.reset(kodi_version=kodi_version, profile_dir=profile_dir)
    return STATE


def cleanup() -> None:
    shutil.rmtree(STATE.profile_dir, ignore_errors=True)
