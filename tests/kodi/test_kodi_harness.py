"""The harness itself, in a real Kodi: settings, the helper add-on, log parsing, screenshots."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.kodi.harness import (
    ADDON_ID,
    HELPER_ID,
    HOME_WINDOW_ID,
    KodiError,
    KodiInstance,
    helper_request,
)

pytestmark = pytest.mark.kodi


def _saved_settings(kodi: KodiInstance) -> dict:
    root = ET.parse(str(kodi.addon_data_dir / "settings.xml")).getroot()
    return {element.get("id"): element.text or "" for element in root.iter("setting")}


@pytest.mark.kodi_settings(trakt_sync_notify=True, service_tick_seconds=7)
def test_prewritten_settings_survive_boot_and_the_helper_changes_them(kodi: KodiInstance) -> None:
    kodi.set_addon_setting("trakt_sync_notify", False)
    kodi.set_addon_setting("trakt_api_url", "http://127.0.0.1:1/a,b")
    kodi.quit_and_wait()
    saved = _saved_settings(kodi)
    assert saved["service_tick_seconds"] == "7"
    assert saved["trakt_sync_notify"] == "false"
    assert saved["trakt_api_url"] == "http://127.0.0.1:1/a,b"


def test_kodi_is_at_home_with_both_addons_enabled_and_a_screenshot_shows_it(
    kodi: KodiInstance, tmp_path: Path
) -> None:
    assert kodi.current_window()["id"] == HOME_WINDOW_ID
    assert kodi.addon_enabled(ADDON_ID) and kodi.addon_enabled(HELPER_ID)
    shot = kodi.screenshot(tmp_path / "home.png")
    size = subprocess.run(
        ["identify", "-format", "%wx%h", str(shot)], capture_output=True, text=True, check=True
    ).stdout
    assert size == "1280x720"


def test_run_builtin_waits_for_the_helper_and_reports_its_failures(kodi: KodiInstance) -> None:
    mark = kodi.log_mark()
    kodi.run_builtin('NotifyAll(aiostreams.harness,"ping, with comma")')
    assert kodi.log_entries(since=mark)
    with pytest.raises(KodiError, match="unknown command"):
        kodi.run_helper("no_such_command", [])


def test_python_tracebacks_finds_a_script_error_by_addon(kodi: KodiInstance) -> None:
    mark = kodi.log_mark()
    request = helper_request("t", "raise", ["boom"])
    kodi.jsonrpc("Addons.ExecuteAddon", {"addonid": HELPER_ID, "params": [request]})
    kodi.wait_for_log(r"RuntimeError: boom", timeout=15, since=mark)
    helper_reports = kodi.python_tracebacks(include_helper=True)
    assert len(helper_reports) == 1 and "boom" in helper_reports[0]
    assert kodi.python_tracebacks() == []


def test_restart_in_the_same_home_keeps_the_addon_enabled(kodi: KodiInstance) -> None:
    kodi.quit_and_wait()
    kodi.start(enable_addons=False)
    assert kodi.addon_enabled(ADDON_ID)
    kodi.wait_for_log(r"\[AIOStreams Service\] Service started", timeout=15)
