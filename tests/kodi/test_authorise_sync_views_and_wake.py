"""In a real Kodi: what the user sees of Trakt, through the add-on's real entry points.

- Authorising: `RunScript(plugin.video.aiostreams,action=trakt_auth)` opens the device-code
  dialog; the test reads the code off that dialog, approves it through the sandbox's control API
  (as the user would on trakt.tv) and checks the token file and the username setting.
- Views: the Trakt lists are read with JSON-RPC `Files.GetDirectory` (as Kodi's GUI reads them)
  and compared with the SQLite mirror; their empty states say why they are empty.
- Force Sync shows Kodi's background progress bar and obeys the 5-minute throttle.
- System.OnWake: the Debian Kodi picks its logind power back-end (`/run/systemd/seats` exists)
  and listens for logind's `PrepareForSleep` signal on the D-Bus system bus. The test gives Kodi
  a private system bus (`DBUS_SYSTEM_BUS_ADDRESS`) and emits `PrepareForSleep(false)` there, the
  signal logind sends after a resume. Kodi's power manager then runs its resume jobs and announces
  `System.OnWake` itself (the test also sees that announcement on JSON-RPC). Nothing is suspended:
  only the signal from logind is simulated; the add-on receives Kodi's own announcement.
- Sign out answers the yes/no dialog with `Input.*` calls and revokes the token at the sandbox.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List
from urllib.parse import parse_qsl, urlsplit

import pytest

from resources.lib.database.trakt_sync import TraktSyncDatabase
from sandbox.server import Sandbox
from tests.kodi.harness import ADDON_ID, HOME_WINDOW_ID, KodiError, KodiInstance
from tests.support.kodi_ui import (
    TOKEN_NAME,
    assert_no_addon_tracebacks,
    boot,
    close_dialog,
    db_path,
    home_property_json,
    info_boolean,
    info_labels,
    kodi_with_system_python,  # noqa: F401 - autouse fixture
    press_button,
    quit_and_time_service_stop,
    run_script_action,
    sandbox_control,
    sandbox_settings,
    saved_setting,
    wait_action_finished,
    wait_for_dialog,
    wait_for_sync,
    wait_until,
)

pytestmark = pytest.mark.kodi

NEXT_UP_URL = f"plugin://{ADDON_ID}/?action=next_up"
IN_PROGRESS_URL = f"plugin://{ADDON_ID}/?action=in_progress"
WATCHLIST_MOVIES_URL = f"plugin://{ADDON_ID}/?action=watchlist_movies"
WATCHLIST_SHOWS_URL = f"plugin://{ADDON_ID}/?action=watchlist_shows"
LIST_URLS = (NEXT_UP_URL, IN_PROGRESS_URL, WATCHLIST_MOVIES_URL, WATCHLIST_SHOWS_URL)
LIST_PROPERTIES = ["title", "season", "episode", "resume", "uniqueid", "playcount"]

NOT_AUTHORISED = "Trakt is not authorised"
FIRST_SYNC_PENDING = "First sync has not finished yet"
# DialogProgress (the device-code dialog) and DialogProgressBG (Force Sync's bar in the corner).
PROGRESS_DIALOG = "progressdialog"
BACKGROUND_PROGRESS = "extendedprogressdialog"
PROGRESS_TEXT_CONTROL = 9  # Estuary's DialogConfirm.xml textbox (DialogProgress uses it)
WAKE_NETWORK_DELAY = 5.0  # resources.lib.service.scheduler.WAKE_NETWORK_DELAY_SECONDS


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    # A 1-second device poll interval keeps the authorisation short (Trakt's is 5 s).
    with Sandbox(account="small", seed=1, port=0, device_interval=1) as sb:
        yield sb


# ----------------------------------------------------------------------------- helpers


def list_directory(kodi: KodiInstance, url: str) -> List[Dict[str, Any]]:
    listing = kodi.jsonrpc(
        "Files.GetDirectory",
        {"directory": url, "media": "video", "properties": LIST_PROPERTIES},
        timeout=30,
    )
    return listing.get("files") or []


def query_of(item: Dict[str, Any]) -> Dict[str, str]:
    return dict(parse_qsl(urlsplit(item["file"]).query))


def is_play_item(item: Dict[str, Any]) -> bool:
    return query_of(item).get("action") == "play"


def assert_single_state_item(files: List[Dict[str, Any]], text: str, url: str) -> None:
    """The list holds one item saying `text`, and it is not something to play."""
    assert len(files) == 1, (url, [f["label"] for f in files])
    assert text.lower() in files[0]["label"].lower(), (url, files[0]["label"])
    assert not is_play_item(files[0]), (url, files[0]["file"])


def episode_key(item: Dict[str, Any]) -> tuple:
    query = query_of(item)
    return int(query["show"]), int(query["season"]), int(query["episode"])


def trakt_id_of(item: Dict[str, Any]) -> int:
    """The item's Trakt id: its unique ids as Kodi lists them (a watchlist show opens its show
    page, whose URL names the IMDb id), else the play URL's."""
    unique = item.get("uniqueid") or {}
    if unique.get("trakt"):
        return int(unique["trakt"])
    return int(query_of(item)["trakt"])


def token_path(kodi: KodiInstance) -> Path:
    return kodi.addon_data_dir / TOKEN_NAME


def visible(kodi: KodiInstance, window_name: str) -> bool:
    return info_boolean(kodi, f"Window.IsVisible({window_name})")


def mirror(kodi: KodiInstance, method: str, *args: Any) -> Any:
    """`TraktSyncDatabase.<method>(*args)` on a copy of the add-on's database (file and WAL).

    The test never opens the live file. Kodi runs the service and every plugin call in one OS
    process, and `connection.open_database` reads the database header with a plain open()/close(),
    which drops every POSIX lock that process holds on the file. A test connection closing after
    that sees no other user, checkpoints and deletes the WAL that Kodi's connections still use."""
    source = db_path(kodi)
    copy_dir = Path(tempfile.mkdtemp(prefix="aiostreams-mirror-"))
    try:
        for suffix in ("", "-wal"):
            if Path(str(source) + suffix).exists():
                shutil.copyfile(str(source) + suffix, str(copy_dir / (source.name + suffix)))
        with TraktSyncDatabase(str(copy_dir / source.name)) as db:
            return getattr(db, method)(*args)
    finally:
        shutil.rmtree(str(copy_dir), ignore_errors=True)


class ProgressWatcher:
    """Polls Kodi while an action runs: in how many polls was the background progress bar up?

    (Its labels cannot be read over JSON-RPC: `Control.GetLabel` only looks at the focused
    window, and the non-modal bar never takes the focus.)"""

    def __init__(self, kodi: KodiInstance) -> None:
        self.kodi = kodi
        self.seen = 0
        self.polls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ProgressWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.polls += 1
                if visible(self.kodi, BACKGROUND_PROGRESS):
                    self.seen += 1
            except (OSError, KodiError):
                pass
            time.sleep(0.05)


class NotificationListener:
    """Collects the announcements Kodi pushes to a JSON-RPC TCP client (e.g. System.OnWake)."""

    def __init__(self, kodi: KodiInstance) -> None:
        self.methods: List[str] = []
        self.times: Dict[str, float] = {}
        self._socket = socket.create_connection(("127.0.0.1", kodi.port), timeout=0.5)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        decoder = json.JSONDecoder()
        buffer = ""
        while not self._stop.is_set():
            try:
                chunk = self._socket.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk.decode("utf-8", "replace")
            while buffer.strip():
                try:
                    message, end = decoder.raw_decode(buffer.lstrip())
                except ValueError:
                    break
                buffer = buffer.lstrip()[end:]
                method = message.get("method")
                if method:
                    self.methods.append(method)
                    self.times.setdefault(method, time.time())

    def close(self) -> None:
        self._stop.set()
        self._socket.close()
        self._thread.join(5)


BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>{address}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@pytest.fixture
def private_system_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A D-Bus daemon of the test's own, given to Kodi as its system bus."""
    address = "unix:path={}".format(tmp_path / "system_bus_socket")
    config = tmp_path / "system-bus.conf"
    config.write_text(BUS_CONFIG.format(address=address), encoding="utf-8")
    daemon = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile", "--print-address"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        printed = daemon.stdout.readline().decode().strip()  # type: ignore[union-attr]
        assert printed.startswith("unix:"), f"dbus-daemon did not start: {printed!r}"
        monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", address)
        yield address
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(10)


def logind_resumed(address: str) -> None:
    """Emit logind's after-resume signal: `PrepareForSleep(false)` on the system bus."""
    subprocess.run(
        [
            "dbus-send",
            f"--bus={address}",
            "--type=signal",
            "/org/freedesktop/login1",
            "org.freedesktop.login1.Manager.PrepareForSleep",
            "boolean:false",
        ],
        check=True,
        capture_output=True,
        timeout=10,
    )


# ------------------------------------------------------------------------------- tests


def test_device_authorisation_shows_the_code_saves_the_token_and_the_views_explain_empty_lists(
    kodi_factory, sandbox: Sandbox
) -> None:
    # No token file; auto-sync off so that "first sync not finished" stays true after sign-in.
    kodi = boot(kodi_factory, sandbox_settings(sandbox, trakt_sync_auto=False), sandbox=None)
    assert not token_path(kodi).exists()

    # Before authorisation every Trakt list says so, with one item that plays nothing.
    for url in LIST_URLS:
        assert_single_state_item(list_directory(kodi, url), NOT_AUTHORISED, url)

    # Authorise through the settings button's real entry point.
    mark, button = run_script_action(kodi, "trakt_auth")
    kodi.wait_for_log(r"\[AIOStreams\] Device authorisation started", timeout=15, since=mark)
    pending = wait_until(
        lambda: [d for d in sandbox_control(sandbox, "GET", "device") if d["status"] == "pending"],
        "a pending device code at the sandbox",
    )
    assert len(pending) == 1, pending
    user_code = pending[0]["user_code"]
    wait_until(lambda: visible(kodi, PROGRESS_DIALOG), "the device-code dialog")
    label = f"Control.GetLabel({PROGRESS_TEXT_CONTROL})"
    shown = wait_until(
        lambda: (lambda text: text if user_code in text else None)(info_labels(kodi, label)[label]),
        "the dialog to show the user code",
    )
    assert "trakt.tv/activate" in shown, shown

    # The user enters the code on trakt.tv: the sandbox's control API approves it.
    sandbox_control(sandbox, "POST", "approve", {"user_code": user_code})
    assert wait_action_finished(kodi, "trakt_auth", mark, timeout=30) == "done"
    button.join()
    wait_until(lambda: not visible(kodi, PROGRESS_DIALOG), "the device-code dialog to close")

    tokens = token_path(kodi)
    assert tokens.is_file()
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600, oct(tokens.stat().st_mode)
    saved = json.loads(tokens.read_text(encoding="utf-8"))
    assert saved.get("access_token") and saved.get("refresh_token")
    assert sandbox_control(sandbox, "GET", "device")[0]["status"] == "used"

    # Authorised, never synced: the lists say the first sync has not finished.
    for url in LIST_URLS:
        assert_single_state_item(list_directory(kodi, url), FIRST_SYNC_PENDING, url)
    assert not db_path(kodi).exists() or mirror(kodi, "last_sync_at") is None

    # The settings page shows who signed in (Kodi saved the setting to addon_data).
    username = sandbox_control(sandbox, "GET", "info")["user"]["username"]
    wait_until(
        lambda: saved_setting(kodi, "trakt_username") == username,
        f"settings.xml to show trakt_username={username}",
    )

    assert kodi.current_window()["id"] == HOME_WINDOW_ID
    quit_and_time_service_stop(kodi)
    assert_no_addon_tracebacks(kodi)


def test_force_sync_views_system_wake_and_sign_out_in_a_real_kodi(
    kodi_factory, sandbox: Sandbox, private_system_bus: str
) -> None:
    # A valid token, auto-sync off, and no developer interval override: the engine's real
    # 5-minute throttle applies to every sync except wake syncs.
    settings = sandbox_settings(sandbox, trakt_sync_auto=False, trakt_sync_interval_seconds=0)
    settings["trakt_username"] = sandbox.state.user["username"]  # as an earlier sign-in left it
    kodi = boot(kodi_factory, settings, sandbox=sandbox)
    assert "Selected Logind/UPower as PowerSyscall" in kodi.log_text(), (
        "Kodi did not pick its logind power back-end (no /run/systemd/seats?): "
        "it cannot announce System.OnWake in this test"
    )
    kodi.wait_for_log(r"\[AIOStreams Service\] Service ready: auto_sync=False", timeout=15)
    assert_single_state_item(list_directory(kodi, NEXT_UP_URL), FIRST_SYNC_PENDING, NEXT_UP_URL)

    # Force Sync on a never-synced database: allowed, with the background progress bar up.
    sandbox_control(sandbox, "POST", "slow", {"delay": 0.3})
    with ProgressWatcher(kodi) as bar:
        mark, button = run_script_action(kodi, "force_sync")
        result = wait_action_finished(kodi, "force_sync", mark, timeout=90)
        button.join()
    sandbox_control(sandbox, "POST", "slow", {"delay": 0})
    assert result.startswith("ok "), result
    assert bar.seen >= 3, f"DialogProgressBG seen in {bar.seen} of {bar.polls} polls"
    assert mirror(kodi, "snapshot") == sandbox.truth()

    # The lists now show the mirror.
    next_up = mirror(kodi, "next_up")
    assert next_up, "the sandbox account has no Next Up episode"
    files = list_directory(kodi, NEXT_UP_URL)
    assert [episode_key(f) for f in files] == [
        (r["show_trakt_id"], r["season"], r["number"]) for r in next_up
    ]
    assert all(is_play_item(f) for f in files)

    in_progress = mirror(kodi, "in_progress")
    assert in_progress, "the sandbox account has no playback progress"
    files = list_directory(kodi, IN_PROGRESS_URL)
    assert [trakt_id_of(f) for f in files] == [r["trakt_id"] for r in in_progress]
    resumable = 0
    for item, row in zip(files, in_progress):
        if row.get("runtime") and 0 < float(row["progress"]) < 100:
            total = row["runtime"] * 60.0
            assert item["resume"]["total"] == pytest.approx(total, abs=1), (item, row)
            expected = total * float(row["progress"]) / 100.0
            assert item["resume"]["position"] == pytest.approx(expected, abs=1), (item, row)
            resumable += 1
    assert resumable > 0, [f["resume"] for f in files]

    for kind, url in (("movie", WATCHLIST_MOVIES_URL), ("show", WATCHLIST_SHOWS_URL)):
        rows = mirror(kodi, "watchlist", kind)
        assert rows, f"the sandbox account has no {kind} on its watchlist"
        assert [trakt_id_of(f) for f in list_directory(kodi, url)] == [r["trakt_id"] for r in rows]

    # Force Sync again at once: throttled, and an OK dialog says when the next one is allowed.
    mark, button = run_script_action(kodi, "force_sync")
    wait_for_dialog(kodi)
    close_dialog(kodi)
    button.join()
    assert wait_action_finished(kodi, "force_sync", mark).startswith("throttled next_allowed=")

    # System.OnWake: Kodi announces it after logind's resume signal; the service waits for the
    # network, then syncs despite the 5-minute throttle and brings in what changed meanwhile.
    kodi.set_addon_setting("trakt_sync_auto", True)
    # The service reloads its settings (debounced); its state property shows when it has (an
    # auto check it may run then is throttled: Force Sync ran a moment ago).
    wait_until(
        lambda: (home_property_json(kodi, "aiostreams.service") or {}).get("auto_sync") is True,
        "the service to apply auto-sync on",
    )
    sandbox.mutate("watch_movie", movie=sorted(sandbox.state.catalog.movies)[-1])
    listener = NotificationListener(kodi)
    try:
        wake_mark = kodi.log_mark()
        logind_resumed(private_system_bus)
        wait_until(lambda: "System.OnWake" in listener.methods, "Kodi's System.OnWake", 15)
        wake = wait_for_sync(kodi, "wake", since=wake_mark, timeout=30)
    finally:
        listener.close()
    assert wake["status"] == "ok" and int(wake["changes"]) > 0, wake
    finished = [
        e
        for e in kodi.addon_log_entries(since=wake_mark)
        if "Sync finished:" in e.message and "trigger=wake" in e.message
    ][0]
    waited = finished.timestamp - listener.times["System.OnWake"]
    assert waited >= WAKE_NETWORK_DELAY - 0.5, f"the wake sync ran {waited:.1f} s after OnWake"
    assert mirror(kodi, "snapshot") == sandbox.truth()

    # Sign out: confirm in the yes/no dialog; the token is revoked and removed.
    revokes_before = sandbox.requests()["by_endpoint"].get("POST /oauth/revoke", 0)
    mark, button = run_script_action(kodi, "trakt_signout")
    wait_for_dialog(kodi)
    press_button(kodi, "Sign out")
    result = wait_action_finished(kodi, "trakt_signout", mark)
    button.join()
    assert result.startswith("signed_out"), result
    assert not token_path(kodi).exists()
    by_endpoint = sandbox_control(sandbox, "GET", "requests")["by_endpoint"]
    assert by_endpoint.get("POST /oauth/revoke", 0) == revokes_before + 1, by_endpoint

    # Signed out with data kept: an info item on top, then the mirror's episodes.
    files = list_directory(kodi, NEXT_UP_URL)
    assert NOT_AUTHORISED.lower() in files[0]["label"].lower(), [f["label"] for f in files]
    assert not is_play_item(files[0])
    assert [episode_key(f) for f in files[1:]] == [
        (r["show_trakt_id"], r["season"], r["number"]) for r in mirror(kodi, "next_up")
    ]

    wait_until(lambda: saved_setting(kodi, "trakt_username") == "", "trakt_username cleared")
    wait_until(lambda: kodi.current_window()["id"] == HOME_WINDOW_ID, "the home window")
    quit_and_time_service_stop(kodi)
    assert_no_addon_tracebacks(kodi)
