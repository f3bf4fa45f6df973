"""In a real Kodi: the background service starts, migrates, syncs and stops on its own.

Each test boots its own Kodi against a Trakt sandbox running in the test process (advanced
settings point the add-on at it; a valid token file is placed in addon_data before Kodi starts).
The service runs with a 1-second tick so that its scheduled syncs happen within seconds.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Iterator

import pytest

from resources.lib.database import maintenance
from resources.lib.database.migration import FLAG_NAME, run_migration
from sandbox.server import Sandbox
from tests.kodi.harness import HOME_WINDOW_ID
from tests.support.kodi_ui import (
    DATA_TABLES,
    LEGACY_CACHE,
    assert_no_addon_tracebacks,
    boot,
    close_dialog,
    db_path,
    home_property_json,
    info_boolean,
    kodi_with_system_python,  # noqa: F401 - autouse fixture
    mirror_snapshot,
    quit_and_time_service_stop,
    run_script_action,
    runs_by_trigger,
    sandbox_settings,
    sync_runs,
    table_counts,
    truth_counts,
    wait_action_finished,
    wait_for_dialog,
    wait_for_sync,
    wait_until,
)

pytestmark = pytest.mark.kodi

INTERVAL_SECONDS = 3


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(account="small", seed=1, port=0) as sb:
        yield sb


def _expected_legacy_import(tmp_path: Path) -> dict:
    """The oracle: the same migration run outside Kodi on a copy of the same cache."""
    data_dir = tmp_path / "oracle"
    shutil.copytree(str(LEGACY_CACHE), str(data_dir / "cache"))
    result = run_migration(str(data_dir), str(data_dir / "trakt_sync.db"))
    assert result.ok and result.flag_written
    return maintenance.database_info(str(data_dir / "trakt_sync.db"))["counts"]


def test_service_starts_imports_the_legacy_cache_once_and_stops_within_two_seconds(
    kodi_factory, sandbox: Sandbox, tmp_path: Path
) -> None:
    # No token and no auto-sync: nothing may overwrite what the migration imported.
    settings = sandbox_settings(sandbox, trakt_sync_auto=False)
    kodi = boot(kodi_factory, settings, sandbox=None, legacy_cache=True)

    started = [e for e in kodi.addon_log_entries() if e.message.endswith("Service started")]
    assert len(started) == 1 and started[0].level == "info"
    kodi.wait_for_log(r"\[AIOStreams Service\] Migration check finished: ", timeout=15)
    flag = kodi.addon_data_dir / FLAG_NAME
    wait_until(flag.is_file, f"{flag} to appear", timeout=10)

    expected = _expected_legacy_import(tmp_path)
    assert expected["watchlist"] > 0 and expected["episodes"] > 0 and expected["hidden"] > 0
    # The add-on's own view of the imported mirror, through the Show Database Info button.
    mark, button = run_script_action(kodi, "database_info")
    wait_for_dialog(kodi)
    published = home_property_json(kodi, "aiostreams.database_info")
    close_dialog(kodi)
    button.join()
    assert wait_action_finished(kodi, "database_info", mark) == "ok"
    assert published["exists"] is True
    assert published["counts"] == expected
    assert maintenance.database_info(str(db_path(kodi)))["counts"] == expected

    first_stop = quit_and_time_service_stop(kodi)
    assert not sync_runs(kodi), "auto-sync is off, yet the service synced"
    assert_no_addon_tracebacks(kodi)

    # A second start does not import again: the flag says it is done.
    kodi.start(enable_addons=False)  # Kodi starts a fresh kodi.log (the old one is rotated)
    kodi.wait_for_log(r"Migration check finished: MigrationResult\(already done\)", 15)
    assert maintenance.database_info(str(db_path(kodi)))["counts"] == expected
    second_stop = quit_and_time_service_stop(kodi)
    assert_no_addon_tracebacks(kodi)
    assert max(first_stop, second_stop) < 2.0, (first_stop, second_stop)


def test_auto_sync_fills_the_mirror_wakes_on_screensaver_and_obeys_the_auto_sync_switch(
    kodi_factory, sandbox: Sandbox
) -> None:
    settings = sandbox_settings(sandbox, trakt_sync_interval_seconds=INTERVAL_SECONDS)
    kodi = boot(kodi_factory, settings, sandbox=sandbox)

    # 1. Without any user action a scheduled sync fills the mirror from the sandbox.
    first = wait_for_sync(kodi, "auto", timeout=30)
    assert first["status"] == "ok" and int(first["changes"]) > 0, first
    truth = sandbox.truth()
    assert mirror_snapshot(db_path(kodi)) == truth
    counts = maintenance.database_info(str(db_path(kodi)))["counts"]
    assert {key: counts[key] for key in truth_counts(truth)} == truth_counts(truth)
    last_sync = home_property_json(kodi, "aiostreams.last_sync")
    assert last_sync["status"] == "ok" and last_sync["trigger"] in ("auto", "wake")

    # 2. Screensaver on, then off: the service syncs on wake.
    kodi.jsonrpc(
        "Settings.SetSettingValue",
        {"setting": "screensaver.mode", "value": "screensaver.xbmc.builtin.dim"},
    )
    mark = kodi.log_mark()
    kodi.run_builtin("ActivateScreensaver")
    wait_until(lambda: info_boolean(kodi, "System.ScreenSaverActive"), "the screensaver")
    kodi.jsonrpc("Input.ExecuteAction", {"action": "noop"})
    wait_until(lambda: not info_boolean(kodi, "System.ScreenSaverActive"), "the wake-up")
    wake = wait_for_sync(kodi, "wake", since=mark, timeout=15)
    assert wake["status"] == "ok", wake
    runs = runs_by_trigger(db_path(kodi))
    assert runs.get("wake", 0) >= 1, runs

    # 3. Auto-sync off: no more syncs over several ticks and intervals.
    kodi.set_addon_setting("trakt_sync_auto", False)
    # Settings reloads are logged at DEBUG (spec): the service state property shows them.
    wait_until(
        lambda: (home_property_json(kodi, "aiostreams.service") or {}).get("auto_sync") is False,
        "the service to apply auto-sync off",
    )
    off = kodi.log_mark()
    sandbox.mutate("watch_movie", movie=sorted(sandbox.state.catalog.movies)[-1])
    time.sleep(3 * INTERVAL_SECONDS + 1)
    assert sync_runs(kodi, since=off) == [], kodi.addon_log_lines(since=off)

    # 4. On again: syncs resume and bring in what changed meanwhile.
    kodi.set_addon_setting("trakt_sync_auto", True)
    wait_until(
        lambda: (home_property_json(kodi, "aiostreams.service") or {}).get("auto_sync") is True,
        "the service to apply auto-sync on",
    )
    resumed = wait_for_sync(kodi, "auto", since=off, timeout=15)
    assert resumed["status"] == "ok" and int(resumed["changes"]) > 0, resumed
    assert mirror_snapshot(db_path(kodi)) == sandbox.truth()

    assert kodi.current_window()["id"] == HOME_WINDOW_ID
    stop_seconds = quit_and_time_service_stop(kodi)
    assert table_counts(db_path(kodi), DATA_TABLES)["movies"] == len(sandbox.truth()["movies"])
    assert_no_addon_tracebacks(kodi)
    assert stop_seconds < 2.0, f"the service stopped {stop_seconds:.2f} s after Application.Quit"
