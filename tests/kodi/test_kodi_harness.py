"""The harness itself, in a real Kodi: settings, the helper add-on, log parsing, screenshots,
the runtimes (host Kodi 20, chroot Kodi 21) and what they leave mounted."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import List, Set

import pytest

from tests.kodi.harness import (
    ADDON_ID,
    HELPER_ID,
    HOME_WINDOW_ID,
    KODI21_MARKER,
    REPO_ROOT,
    RUNTIMES,
    KodiCrashed,
    KodiError,
    KodiInstance,
    KodiRuntime,
    _group_pids,
    copy_addon,
    helper_request,
)

# Replaces addon.py in a copy of the add-on: one deprecated Kodi call (ListItem.setInfo, a
# warning on Kodi 20 and 21) and one Python DeprecationWarning, then a done line.
DEPRECATED_PLUGIN = """
import sys
import warnings

import xbmc
import xbmcgui
import xbmcplugin

item = xbmcgui.ListItem("probe")
item.setInfo("video", {"title": "probe"})
warnings.warn("aiostreams probe", DeprecationWarning)
xbmcplugin.addDirectoryItem(int(sys.argv[1]), "plugin://plugin.video.aiostreams/p", item, False)
xbmcplugin.endOfDirectory(int(sys.argv[1]))
xbmc.log("[AIOStreams] probe done", xbmc.LOGINFO)
"""

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


def _mount_points(mountinfo: str = "/proc/self/mountinfo") -> Set[str]:
    with open(mountinfo) as handle:
        return {line.split()[4] for line in handle}


def _processes_in_mount_namespace(namespace: str) -> List[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/ns/mnt") == namespace:
                    found.append(int(entry))
            except OSError:
                continue
    return found


def test_each_runtime_boots_the_kodi_version_it_names(
    kodi: KodiInstance, kodi_runtime: KodiRuntime
) -> None:
    assert kodi.runtime is kodi_runtime
    assert kodi.kodi_version["major"] == kodi_runtime.major
    expected = "Starting Kodi from Debian ({}.{}".format(
        kodi.kodi_version["major"], kodi.kodi_version["minor"]
    )
    assert expected in kodi.log_text()
    kodi.wait_for_log(r"\[AIOStreams Service\] Service started", timeout=15)
    # kodi.log writes local time: the chroot's Kodi must use the host's zone, or every
    # timestamp the tests compare is hours off.
    assert abs(kodi.log_entries()[-1].timestamp - time.time()) < 60


def _kodi_binary_pid(kodi: KodiInstance) -> int:
    """The pid of kodi.bin under the `kodi` wrapper script the harness started, or 0."""
    for pid in _group_pids(kodi._kodi.pid):  # type: ignore[union-attr]
        try:
            with open(f"/proc/{pid}/comm") as handle:
                if handle.read().strip() == "kodi.bin":
                    return pid
        except OSError:
            continue
    return 0


def test_a_kodi_that_crashes_while_booting_is_booted_again(
    kodi_factory, capsys: pytest.CaptureFixture
) -> None:
    # What CI once met: kodi.bin segfaulted after JSON-RPC answered, the next request got a
    # connection reset, and the `kodi` wrapper script was still writing its crash report, so
    # the harness saw a live process and failed instead of booting again.
    kodi = kodi_factory(start=False)
    crashed: List[int] = []

    def crash_the_first_boot() -> None:
        # Once the harness has checked the version, the port is known to be this Kodi's: a
        # crash before that is handled by the port check's own relaunch, not the path tested.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not crashed:
            pid = _kodi_binary_pid(kodi) if kodi._kodi is not None and kodi.kodi_version else 0
            if pid:
                os.kill(pid, signal.SIGSEGV)
                crashed.append(pid)
                return
            time.sleep(0.02)

    crasher = threading.Thread(target=crash_the_first_boot, daemon=True)
    crasher.start()
    kodi.start()
    crasher.join(timeout=5)
    assert crashed, "the test never found kodi.bin to crash"
    assert "Kodi died during boot" in capsys.readouterr().out
    assert _kodi_binary_pid(kodi) not in (0, crashed[0])
    assert kodi.current_window()["id"] == HOME_WINDOW_ID
    # The wrapper wrote its crash report where the harness points CRASHLOG_DIR.
    assert list(kodi.root.glob("kodi_crashlog-*.log"))


def test_a_kodi_that_crashes_during_a_test_fails_it_as_kodi_crashed_which_runs_again(
    kodi: KodiInstance, request: pytest.FixtureRequest
) -> None:
    from tests.kodi import conftest

    # Every real-Kodi test carries the rerun marker, and the plugin that reads it is loaded.
    marker = request.node.get_closest_marker("flaky")
    assert marker is not None and marker.kwargs == {"reruns": 1, "only_rerun": ["KodiCrashed"]}
    assert request.config.pluginmanager.hasplugin("rerunfailures")
    assert kodi.crash_lines() == []
    try:
        conftest._raise_naming_a_crash(request.node, KodiError("an ordinary failure"))
    except KodiCrashed:
        pytest.fail("a failure without a crash was named a crash")

    os.kill(_kodi_binary_pid(kodi), signal.SIGSEGV)
    with pytest.raises((OSError, KodiError)):
        for _ in range(50):
            kodi.current_window()
            time.sleep(0.1)
    with pytest.raises(KodiCrashed, match=r"Kodi 2[01] .*crashed during the test: Segmentation"):
        conftest._raise_naming_a_crash(request.node, KodiError("no answer from Kodi"))
    with pytest.raises(KodiCrashed):  # pytest.fail() in a test is a failure as well
        conftest._raise_naming_a_crash(request.node, pytest.fail.Exception("gave up"))
    assert any(line.startswith("Segmentation fault") for line in kodi.crash_lines())


def test_a_killed_kodi_leaves_nothing_mounted_on_the_host(
    kodi_factory, kodi_runtime: KodiRuntime
) -> None:
    before = _mount_points()
    kodi = kodi_factory()
    kodi_pid = kodi._kodi.pid  # type: ignore[union-attr]
    namespace = os.readlink(f"/proc/{kodi_pid}/ns/mnt")
    # Whatever the runtime mounted is visible to Kodi only, never in the host's namespace.
    assert _mount_points() == before
    if kodi_runtime.name == "kodi21":
        # Kodi runs inside the root, in a mount namespace of its own, with (as it sees them,
        # relative to the root) /proc, /dev and the temp folder mounted.
        root = str(RUNTIMES["kodi21"].root)  # type: ignore[attr-defined]
        assert os.readlink(f"/proc/{kodi_pid}/root") == root
        assert namespace != os.readlink("/proc/self/ns/mnt")
        assert {"/proc", "/dev", "/tmp"} <= _mount_points(f"/proc/{kodi_pid}/mountinfo")
    # As if the test run were killed: SIGKILL to Kodi's whole process group, no clean-up.
    os.killpg(kodi._kodi.pid, signal.SIGKILL)  # type: ignore[union-attr]
    deadline = time.monotonic() + 10
    while _group_pids(kodi._kodi.pid) and time.monotonic() < deadline:  # type: ignore[union-attr]
        time.sleep(0.05)
    kodi._kodi.wait(timeout=10)  # type: ignore[union-attr]
    assert _group_pids(kodi._kodi.pid) == []  # type: ignore[union-attr]
    if kodi_runtime.name == "kodi21":
        # No process is left in Kodi's mount namespace, so the kernel dropped it and its mounts.
        assert _processes_in_mount_namespace(namespace) == []
    assert _mount_points() == before


def test_kodi_log_problems_finds_deprecations_and_kodi_errors_about_the_addon(
    tmp_path: Path,
) -> None:
    """No Kodi: a kodi.log with lines in the form Kodi 20 and 21 write them."""
    kodi = KodiInstance(tmp_path, tmp_path / "addon")
    kodi.log_path.parent.mkdir(parents=True)
    addon_file = f"/tmp/k/home/.kodi/addons/{ADDON_ID}/resources/lib/kodi/views.py"
    lines = [
        "2026-12-06 20:33:48.587 T:1    info <general>: Starting Kodi from Debian (21.2)",
        # Kodi's own deprecation notice names the call, not the add-on.
        "2026-12-06 20:33:49.001 T:2 warning <general>: ListItem.setInfo() is deprecated and"
        " might be removed in future Kodi versions. Please use InfoTagVideo.",
        # Python's DeprecationWarning, written to stderr, which Kodi logs at error level.
        f"2026-12-06 20:33:49.002 T:2   error <general>: {addon_file}:12: DeprecationWarning:"
        " datetime.datetime.utcnow() is deprecated",
        f"2026-12-06 20:33:49.003 T:2   error <general>: CAddonSettings[{ADDON_ID}]: failed to"
        " load the settings definition",
        # Not problems: our own designed warning, the helper's deprecation, info-level notes.
        "2026-12-06 20:33:49.004 T:2 warning <general>: [AIOStreams] Trakt is unreachable",
        f"2026-12-06 20:33:49.005 T:2 warning <general>: {HELPER_ID}: xbmc.foo is deprecated",
        "2026-12-06 20:33:49.006 T:2    info <general>: a deprecated skin include was skipped",
        f"2026-12-06 20:33:49.007 T:2    info <general>: loaded {ADDON_ID}",
    ]
    kodi.log_path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    problems = [entry.message for entry in kodi.kodi_log_problems()]
    assert problems == [
        "ListItem.setInfo() is deprecated and might be removed in future Kodi versions."
        " Please use InfoTagVideo.",
        f"{addon_file}:12: DeprecationWarning: datetime.datetime.utcnow() is deprecated",
        f"CAddonSettings[{ADDON_ID}]: failed to load the settings definition",
    ]


@pytest.mark.kodi_log_expected(
    r"ListItem\.setInfo\(\) is deprecated", r"DeprecationWarning: aiostreams probe"
)
def test_kodi_log_problems_catches_this_kodis_real_deprecation_notices(
    kodi_factory, tmp_path: Path
) -> None:
    addon = copy_addon(tmp_path / "probe" / ADDON_ID)
    (addon / "addon.py").write_text(DEPRECATED_PLUGIN, encoding="utf-8")
    kodi = kodi_factory(addon_dir=addon)
    mark = kodi.log_mark()
    kodi.jsonrpc("Files.GetDirectory", {"directory": f"plugin://{ADDON_ID}/"}, timeout=30)
    kodi.wait_for_log(r"\[AIOStreams\] probe done", timeout=20, since=mark)
    problems = [entry.message for entry in kodi.kodi_log_problems(since=mark)]
    assert any("ListItem.setInfo() is deprecated" in text for text in problems), problems
    assert any("DeprecationWarning: aiostreams probe" in text for text in problems), problems


def test_install_kodi21_is_idempotent_on_a_ready_root() -> None:
    """`make deps-kodi21` runs on every `make test`: on a ready root it changes nothing."""
    script = REPO_ROOT / "tools" / "install-kodi21.sh"
    runtime = RUNTIMES["kodi21"]
    first = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=1800)
    assert first.returncode == 0, first.stdout + first.stderr
    marker = runtime.root / KODI21_MARKER  # type: ignore[attr-defined]
    stamp = marker.stat().st_mtime_ns
    started = time.monotonic()
    second = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stdout + second.stderr
    assert time.monotonic() - started < 5.0
    assert re.search(r"Kodi 21 root ready in .* kodi 2:21\.", second.stdout)
    assert marker.stat().st_mtime_ns == stamp
    assert not list(marker.parent.parent.glob("build.*"))
