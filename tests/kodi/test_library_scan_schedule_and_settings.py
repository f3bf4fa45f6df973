"""Library scan, notifications, the daily schedule, Sync History and the settings screenshots in a
real Kodi: one boot covers them all.

- a changing auto sync with notifications on shows "Trakt: ... updated" (logged as `Notified:`);
- a finished video library scan (JSON-RPC VideoLibrary.Scan on the empty library fires
  OnScanFinished) makes exactly one `trigger=library` sync, and the add-on never asks Kodi for a
  library update itself;
- the daily schedule, set a minute or two ahead in Kodi's local time, fires once, with auto-sync
  switched off;
- the plugin's Sync History view lists those runs (Files.GetDirectory);
- the settings page, scrolled so that every sync setting shows, is saved to
  docs/screenshots/settings_*.png for the README.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Iterator

import pytest

from sandbox.server import Sandbox
from tests.kodi.harness import ADDON_ID
from tests.support.kodi_ui import (
    ADDON_SETTINGS_WINDOW,
    assert_no_addon_tracebacks,
    boot,
    builtin_in_background,
    db_path,
    focus_setting,
    home_property_json,
    info_labels,
    kodi_with_system_python,  # noqa: F401 - autouse fixture
    quit_and_time_service_stop,
    runs_by_trigger,
    sandbox_settings,
    save_screenshot,
    sync_runs,
    wait_for_sync,
    wait_until,
)

pytestmark = pytest.mark.kodi

HISTORY_URL = f"plugin://{ADDON_ID}/?action=sync_history"
NOTIFIED = r"\[AIOStreams Service\] Notified: (?P<text>Trakt: .+ updated)$"
# Focused row -> screenshot: together they show every setting of the Trakt category (at the
# Standard level). The first shows the Trakt app's fields above the account buttons.
SETTINGS_SHOTS = (
    ("Authorise Trakt", "settings_trakt_account.png"),
    ("Notify when a background sync changes something", "settings_trakt_sync.png"),
    ("Sync ratings", "settings_trakt_selective.png"),
    ("Sync History", "settings_trakt_maintenance.png"),
)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(account="small", seed=2, port=0) as sb:
        yield sb


def kodi_now(kodi) -> dt.datetime:
    """Kodi's local time (what the schedule runs on), read from Kodi itself."""
    labels = info_labels(kodi, "System.Date(yyyy-mm-dd)", "System.Time(hh:mm:ss xx)")
    text = "{} {}".format(labels["System.Date(yyyy-mm-dd)"], labels["System.Time(hh:mm:ss xx)"])
    text = text.strip()
    for pattern in ("%Y-%m-%d %I:%M:%S %p", "%Y-%m-%d %H:%M:%S"):
        try:
            return dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise AssertionError(f"unreadable Kodi time {text!r}")


def test_library_scan_notification_schedule_history_and_settings_screenshots(
    kodi_factory, sandbox: Sandbox
) -> None:
    settings = sandbox_settings(
        sandbox,
        trakt_sync_interval_seconds=3600,  # one auto sync at start, then only our triggers
        trakt_sync_notify=True,
        trakt_sync_on_library_update=True,
        trakt_sync_schedule_enabled=True,
        trakt_sync_schedule_time="04:00",
    )
    kodi = boot(kodi_factory, settings, sandbox=sandbox)

    # 6. The first auto sync changes everything: one notification, with counts per kind.
    first = wait_for_sync(kodi, "auto", timeout=30)
    assert first["status"] == "ok" and int(first["changes"]) > 0, first
    notified = kodi.wait_for_log(NOTIFIED, timeout=10)
    assert re.search(r"\d+ episodes?", notified.group("text")), notified.group("text")

    # 7. Auto-sync off; the daily schedule at the next whole minute (Kodi's local time).
    kodi.set_addon_setting("trakt_sync_auto", False)
    now = kodi_now(kodi)
    due = (now + dt.timedelta(minutes=2 if now.second > 45 else 1)).replace(second=0)
    mark = kodi.log_mark()
    kodi.set_addon_setting("trakt_sync_schedule_time", due.strftime("%H:%M"))
    # Settings reloads are logged at DEBUG (spec): the service state property shows them.
    applied = {"auto_sync": False, "schedule": due.strftime("%H:%M")}
    wait_until(
        lambda: all(
            (home_property_json(kodi, "aiostreams.service") or {}).get(key) == value
            for key, value in applied.items()
        ),
        "the service to apply the schedule",
    )

    # 2. A finished library scan: one library sync once scan (and clean) settled, ~10 s.
    scan_mark = kodi.log_mark()
    kodi.jsonrpc("VideoLibrary.Scan", {"showdialogs": False})
    library = wait_for_sync(kodi, "library", since=scan_mark, timeout=40)
    assert library["status"] == "ok", library

    schedule = wait_for_sync(kodi, "schedule", since=mark, timeout=150)
    assert schedule["status"] == "ok", schedule
    fired = [e for e in kodi.addon_log_entries(mark) if "trigger=schedule" in e.message]
    fired_at = dt.datetime.fromtimestamp(fired[0].timestamp)
    assert fired_at >= due - dt.timedelta(seconds=1), (fired_at, due)
    assert fired_at - due < dt.timedelta(seconds=15), (fired_at, due)

    triggers = [run["trigger"] for run in sync_runs(kodi, since=scan_mark)]
    assert triggers.count("library") == 1, kodi.addon_log_lines(scan_mark)
    assert triggers.count("schedule") == 1 and "auto" not in triggers, triggers
    runs = runs_by_trigger(db_path(kodi))
    assert runs.get("library") == 1 and runs.get("schedule") == 1, runs

    # 4. The Sync History view lists the runs, newest first, after the 7-day totals.
    listing = kodi.jsonrpc(
        "Files.GetDirectory", {"directory": HISTORY_URL, "media": "files"}, timeout=30
    )
    labels = [item["label"] for item in listing.get("files") or []]
    assert labels and labels[0].startswith("Last 7 days:"), labels
    assert any("  schedule  " in label for label in labels[1:]), labels
    assert any("  library  " in label for label in labels[1:]), labels
    assert any("  auto  OK  " in label and " +" in label for label in labels[1:]), labels

    # The settings page: scrolled down the Trakt category, one screenshot per part.
    opened = builtin_in_background(kodi, f"Addon.OpenSettings({ADDON_ID})")
    wait_until(
        lambda: kodi.current_window()["id"] == ADDON_SETTINGS_WINDOW,
        "the add-on settings dialog",
        timeout=15,
    )
    time.sleep(1.0)  # the open animation
    # The README names the level: Kodi's default, Standard (the level button's label).
    level = info_labels(kodi, "Control.GetLabel(20)")["Control.GetLabel(20)"]
    assert level.startswith("Standard"), level
    for label, name in SETTINGS_SHOTS:
        focus_setting(kodi, label)
        time.sleep(0.6)  # the scroll animation
        save_screenshot(kodi, name)
    kodi.go_home()
    opened.join()

    stop_seconds = quit_and_time_service_stop(kodi)
    assert_no_addon_tracebacks(kodi)
    assert stop_seconds < 2.0, f"the service stopped {stop_seconds:.2f} s after Application.Quit"
