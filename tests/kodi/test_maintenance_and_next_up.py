"""In a real Kodi: the database maintenance buttons, the Next Up view, the settings page.

Every button is pressed through its real entry point, `RunScript(plugin.video.aiostreams,
action=...)`, and every dialog it opens is answered with JSON-RPC `Input.*` calls, as a user with
a remote would. Results are read from kodi.log (`Action <name> finished: ...`), the Window(10000)
properties the add-on publishes, and the SQLite mirror. Screenshots of the info dialog, the Next
Up list and the Trakt settings page are saved to docs/screenshots/.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Iterator, List, Tuple
from urllib.parse import parse_qsl, urlsplit

import pytest

from resources.lib.database import maintenance
from resources.lib.database.schema import LATEST_VERSION
from sandbox.server import Sandbox
from tests.kodi.harness import ADDON_ID, HOME_WINDOW_ID, KodiInstance
from tests.support.kodi_ui import (
    ADDON_SETTINGS_WINDOW,
    DATA_TABLES,
    assert_no_addon_tracebacks,
    boot,
    builtin_in_background,
    close_dialog,
    db_path,
    focused_label,
    home_property_json,
    info_labels,
    kodi_with_system_python,  # noqa: F401 - autouse fixture
    mirror_next_up,
    mirror_snapshot,
    press_button,
    quit_and_time_service_stop,
    run_script_action,
    sandbox_settings,
    save_screenshot,
    table_counts,
    truth_counts,
    wait_action_finished,
    wait_for_dialog,
    wait_for_sync,
    wait_until,
)

pytestmark = pytest.mark.kodi

NEXT_UP_URL = f"plugin://{ADDON_ID}/?action=next_up"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(account="small", seed=1, port=0) as sb:
        yield sb


def _synced_kodi(kodi_factory, sandbox: Sandbox) -> KodiInstance:
    """A Kodi whose service did its first (scheduled) sync; the next is an hour away."""
    kodi = boot(kodi_factory, sandbox_settings(sandbox), sandbox=sandbox)
    first = wait_for_sync(kodi, "auto", timeout=30)
    assert first["status"] == "ok", first
    return kodi


def _activities(path: Path) -> List[Tuple[str, str]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute("SELECT category, synced_at FROM activities ORDER BY 1").fetchall()
    finally:
        conn.close()


def test_every_maintenance_button_works_through_runscript_and_its_dialogs(
    kodi_factory, sandbox: Sandbox
) -> None:
    kodi = _synced_kodi(kodi_factory, sandbox)
    path = db_path(kodi)
    truth = sandbox.truth()

    # Show Database Info: the dialog and the published property show the mirror's counts.
    mark, button = run_script_action(kodi, "database_info")
    wait_for_dialog(kodi)
    time.sleep(0.5)  # let the dialog's open animation finish before the screenshot
    save_screenshot(kodi, "database_info.png")
    published = home_property_json(kodi, "aiostreams.database_info")
    close_dialog(kodi)
    button.join()
    assert wait_action_finished(kodi, "database_info", mark) == "ok"
    counts = published["counts"]
    assert {key: counts[key] for key in truth_counts(truth)} == truth_counts(truth)
    assert published["last_sync_ts"] and published["size_bytes"] > 0
    assert published["schema_version"] == LATEST_VERSION

    # Clear: answer "Clear" in the yes/no dialog; data tables empty, activities kept.
    activities_before = _activities(path)
    assert activities_before
    mark, button = run_script_action(kodi, "database_clear")
    wait_for_dialog(kodi)
    press_button(kodi, "Clear")
    result = wait_action_finished(kodi, "database_clear", mark)
    button.join()
    assert result.startswith("cleared rows="), result
    assert int(result.split("=", 1)[1]) > 0
    assert set(table_counts(path, DATA_TABLES).values()) == {0}
    assert _activities(path) == activities_before

    # Clear again, but answer "Cancel": nothing happens.
    mark, button = run_script_action(kodi, "database_clear")
    wait_for_dialog(kodi)
    press_button(kodi, "Cancel")
    assert wait_action_finished(kodi, "database_clear", mark) == "cancelled"
    button.join()

    # Rebuild: confirm; the mirror is refilled from the sandbox.
    mark, button = run_script_action(kodi, "database_rebuild")
    wait_for_dialog(kodi)
    press_button(kodi, "Rebuild")
    result = wait_action_finished(kodi, "database_rebuild", mark, timeout=60)
    button.join()
    assert result.startswith("ok changes="), result
    assert mirror_snapshot(path) == sandbox.truth()
    assert home_property_json(kodi, "aiostreams.last_sync")["trigger"] == "manual"

    # Vacuum: the result (sizes before/after) is logged and shown in an OK dialog.
    mark, button = run_script_action(kodi, "database_vacuum")
    wait_for_dialog(kodi)
    close_dialog(kodi)
    button.join()
    result = wait_action_finished(kodi, "database_vacuum", mark)
    assert result.startswith("ok before_kb="), result
    kodi.wait_for_log(r"\[AIOStreams\] Trakt database optimized: \d+ -> \d+ bytes", 5, mark)

    # Force Sync right after the rebuild's sync: throttled, and the dialog says until when.
    mark, button = run_script_action(kodi, "force_sync")
    wait_for_dialog(kodi)
    close_dialog(kodi)
    button.join()
    result = wait_action_finished(kodi, "force_sync", mark)
    assert result.startswith("throttled next_allowed="), result

    assert kodi.current_window()["id"] == HOME_WINDOW_ID
    stop_seconds = quit_and_time_service_stop(kodi)
    assert mirror_snapshot(path) == sandbox.truth()
    assert_no_addon_tracebacks(kodi)
    assert stop_seconds < 2.0, f"the service stopped {stop_seconds:.2f} s after Application.Quit"


def _episode_key(url: str) -> Tuple[int, int, int]:
    query = dict(parse_qsl(urlsplit(url).query))
    return int(query["show"]), int(query["season"]), int(query["episode"])


def test_next_up_lists_the_mirrors_next_episodes_in_files_getdirectory_and_on_screen(
    kodi_factory, sandbox: Sandbox
) -> None:
    kodi = _synced_kodi(kodi_factory, sandbox)
    path = db_path(kodi)
    rows = mirror_next_up(path)
    expected = [(r["show_trakt_id"], r["season"], r["number"]) for r in rows]
    assert expected, "the sandbox account has no Next Up episode"
    truth = sandbox.truth()
    # Shows hidden from progress or dropped on Trakt leave Next Up (Trakt's rule).
    hidden = {item[2] for item in truth["hidden"] if item[0] in ("progress_watched", "dropped")}
    wanted = {
        (int(show), step["season"], step["number"])
        for show, step in truth["next_up"].items()
        if int(show) not in hidden
    }
    assert set(expected) == wanted

    listing = kodi.jsonrpc(
        "Files.GetDirectory",
        {"directory": NEXT_UP_URL, "media": "video", "properties": ["season", "episode"]},
        timeout=30,
    )
    files = listing.get("files") or []
    assert [_episode_key(item["file"]) for item in files] == expected
    assert all(item["filetype"] == "file" for item in files)
    for item, row in zip(files, rows):
        assert item["label"].startswith(row["show_title"]), (item["label"], row["show_title"])
        assert (item["season"], item["episode"]) == (row["season"], row["number"])

    assert maintenance.database_info(str(path))["counts"]["episodes"] > 0

    # The same list in the GUI, as a user browsing to it sees it.
    kodi.run_builtin(f"ActivateWindow(Videos,{NEXT_UP_URL},return)")
    wait_until(
        lambda: (
            info_labels(kodi, "Container.FolderPath", "Container.NumItems")
            == {"Container.FolderPath": NEXT_UP_URL, "Container.NumItems": str(len(expected))}
        ),
        "the Next Up folder to show",
        timeout=20,
    )
    time.sleep(1.0)  # thumbnails and the fade-in
    save_screenshot(kodi, "next_up.png")
    kodi.go_home()

    # The settings page opens on the Trakt category (its screenshot documents the page).
    opened = builtin_in_background(kodi, f"Addon.OpenSettings({ADDON_ID})")
    wait_until(
        lambda: kodi.current_window()["id"] == ADDON_SETTINGS_WINDOW,
        "the add-on settings dialog",
        timeout=15,
    )
    time.sleep(1.0)  # the dialog's open animation
    save_screenshot(kodi, "settings_trakt.png")
    # The first row: the Trakt app's client id (issue 10 moved the app's fields to the top).
    assert focused_label(kodi) == "Trakt client id"
    kodi.go_home()
    opened.join()
    stop_seconds = quit_and_time_service_stop(kodi)
    assert_no_addon_tracebacks(kodi)
    assert stop_seconds < 2.0, f"the service stopped {stop_seconds:.2f} s after Application.Quit"
