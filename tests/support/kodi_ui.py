"""Shared steps of the real-Kodi tests (tests/kodi; this module holds no tests itself).

A test Kodi talks to a Trakt sandbox running in the test process: the advanced settings point
the add-on at it, a valid token file is written into addon_data before Kodi starts, and the
service is made fast with `service_tick_seconds` / `trakt_sync_interval_seconds`. The helpers
below run the settings buttons through their real entry point (`RunScript(...)`), answer Kodi's
dialogs with `Input.*` calls only, and read results from kodi.log, Window(10000) properties and
the SQLite mirror.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.trakt.tokens import Tokens, TokenStore
from sandbox.server import Sandbox
from tests.kodi.harness import ADDON_ID, HOME_WINDOW_ID, REPO_ROOT, KodiError, KodiInstance

SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
LEGACY_CACHE = REPO_ROOT / "tests" / "fixtures" / "legacy_cache" / "upgrade_2_7" / "cache"
DB_NAME = "trakt_sync.db"
TOKEN_NAME = "trakt_tokens.json"

STARTED = r"\[AIOStreams Service\] Service started$"
STOPPED = r"\[AIOStreams Service\] Service stopped$"
SYNC_FINISHED = re.compile(
    r"\[AIOStreams Service\] Sync finished: status=(?P<status>\w+) trigger=(?P<trigger>\w+) "
    r"changes=(?P<changes>\d+)"
)
# Mirror tables that "clear" empties (the activities rows are kept).
DATA_TABLES = ("episodes", "shows", "movies", "watchlist", "bookmarks", "hidden")


def path_without_foreign_pythons(path: str) -> str:
    """PATH without folders holding a `python3`/`python` other than the system's (/usr/bin, /bin).

    Kodi's embedded interpreter locates its standard library through the first `python3` on
    PATH: a pyenv or virtualenv shim there makes Kodi's system Python 3.11 load another build's
    C extensions (seen: `ImportError: .../.pyenv/.../_ssl...so: undefined symbol:
    _PyModule_Add`, so every HTTPS-capable import - and so every sync - fails inside Kodi).
    """
    kept = []
    for folder in path.split(os.pathsep):
        system = os.path.realpath(folder) in ("/usr/bin", "/bin")
        has_python = any(os.path.exists(os.path.join(folder, n)) for n in ("python3", "python"))
        if system or not has_python:
            kept.append(folder)
    return os.pathsep.join(kept)


@pytest.fixture(autouse=True)
def kodi_with_system_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """Starts Kodi with a PATH on which the first python3 is the system's (see above)."""
    monkeypatch.setenv("PATH", path_without_foreign_pythons(os.environ.get("PATH", "")))


def sandbox_settings(sandbox: Any, **overrides: Any) -> Dict[str, Any]:
    """Add-on settings that point every Trakt call at `sandbox` and speed the service up."""
    values: Dict[str, Any] = {
        "trakt_api_url": sandbox.url,
        "trakt_oauth_url": sandbox.url,
        "trakt_client_id": sandbox.client_id,
        "trakt_client_secret": sandbox.client_secret,
        "service_tick_seconds": 1,
        "trakt_sync_interval_seconds": 3600,
        "trakt_sync_auto": True,
    }
    values.update(overrides)
    return values


def boot(
    kodi_factory: Callable[..., KodiInstance],
    settings: Dict[str, Any],
    sandbox: Any = None,
    legacy_cache: bool = False,
) -> KodiInstance:
    """Prepares a fresh HOME, places the token file (and the legacy cache), then starts Kodi."""
    kodi = kodi_factory(settings=settings, start=False)
    kodi.prepare_home()
    kodi.addon_data_dir.mkdir(parents=True, exist_ok=True)
    if sandbox is not None:
        TokenStore(str(kodi.addon_data_dir / TOKEN_NAME)).save(
            Tokens.from_response(sandbox.issue_tokens())
        )
    if legacy_cache:
        shutil.copytree(str(LEGACY_CACHE), str(kodi.addon_data_dir / "cache"))
    kodi.start()
    kodi.wait_for_log(STARTED, timeout=20)
    return kodi


def db_path(kodi: KodiInstance) -> Path:
    return kodi.addon_data_dir / DB_NAME


def table_counts(path: Path, tables: Tuple[str, ...]) -> Dict[str, int]:
    """Row counts read with a plain read-only sqlite3 connection."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        conn.close()


def mirror_snapshot(path: Path) -> Dict[str, Any]:
    with TraktSyncDatabase(str(path)) as db:
        return db.snapshot()


def mirror_next_up(path: Path) -> List[Dict[str, Any]]:
    with TraktSyncDatabase(str(path)) as db:
        return db.next_up()


def truth_counts(truth: Dict[str, Any]) -> Dict[str, int]:
    """What database_info must count for the sandbox's truth."""
    return {
        "movies": len(truth["movies"]),
        "episodes": sum(len(episodes) for episodes in truth["episodes"].values()),
        "watchlist": len(truth["watchlist"]),
        "bookmarks": len(truth["playback"]),
        "hidden": len(truth["hidden"]),
    }


def sync_runs(kodi: KodiInstance, since: int = 0) -> List[Dict[str, str]]:
    """Every `Sync finished` line of the service after `since`."""
    return [m.groupdict() for m in SYNC_FINISHED.finditer(kodi.log_text()[since:])]


def wait_for_sync(
    kodi: KodiInstance, trigger: str, since: int = 0, timeout: float = 30.0
) -> Dict[str, str]:
    """Waits for a service sync with `trigger` after `since`; returns its fields."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for run in sync_runs(kodi, since):
            if run["trigger"] == trigger:
                return run
        time.sleep(0.1)
    raise KodiError(
        "no sync with trigger={} within {} s; add-on lines:\n{}".format(
            trigger, timeout, "\n".join(kodi.addon_log_lines(since))
        )
    )


def info_labels(kodi: KodiInstance, *labels: str) -> Dict[str, str]:
    return kodi.jsonrpc("XBMC.GetInfoLabels", {"labels": list(labels)})


def info_boolean(kodi: KodiInstance, condition: str) -> bool:
    return bool(kodi.jsonrpc("XBMC.GetInfoBooleans", {"booleans": [condition]})[condition])


def home_property_json(kodi: KodiInstance, name: str) -> Optional[Any]:
    label = f"Window({HOME_WINDOW_ID}).Property({name})"
    text = info_labels(kodi, label)[label]
    return json.loads(text) if text else None


def wait_until(check: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise KodiError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def builtin_in_background(kodi: KodiInstance, builtin: str, timeout: float = 60.0) -> Any:
    """Runs a builtin through the helper in a thread: modal builtins block until closed."""
    errors: List[BaseException] = []

    def target() -> None:
        try:
            kodi.run_builtin(builtin, timeout=timeout)
        except BaseException as exc:  # reported by join()
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()

    class Handle:
        def join(self, wait: float = timeout) -> None:
            thread.join(wait)
            if thread.is_alive():
                raise KodiError(f"builtin {builtin} still running after {wait} s")
            if errors:
                raise errors[0]

    return Handle()


def run_script_action(kodi: KodiInstance, action: str) -> Tuple[int, Any]:
    """Presses a settings button: RunScript(plugin.video.aiostreams,action=<action>)."""
    mark = kodi.log_mark()
    handle = builtin_in_background(kodi, f"RunScript({ADDON_ID},action={action})")
    return mark, handle


def wait_action_finished(kodi: KodiInstance, action: str, since: int, timeout: float = 30.0) -> str:
    """The result of `[AIOStreams] Action <action> finished: <result>`."""
    pattern = rf"\[AIOStreams\] Action {re.escape(action)} finished: (?P<result>.*)$"
    return kodi.wait_for_log(pattern, timeout=timeout, since=since).group("result").strip()


def wait_for_dialog(kodi: KodiInstance, timeout: float = 15.0) -> Dict[str, Any]:
    """Waits until a window other than home (a dialog) is on top; returns it."""
    return wait_until(
        lambda: (lambda w: w if w["id"] != HOME_WINDOW_ID else None)(kodi.current_window()),
        "a dialog to open",
        timeout,
    )


def focused_label(kodi: KodiInstance) -> str:
    return info_labels(kodi, "System.CurrentControl")["System.CurrentControl"]


def press_button(kodi: KodiInstance, label: str, timeout: float = 10.0) -> None:
    """Moves the focus with Input.Left/Right to the button labelled `label`, then selects it."""
    deadline = time.monotonic() + timeout
    moves = ("Input.Right", "Input.Right", "Input.Left", "Input.Left", "Input.Left", "Input.Left")
    step = 0
    while focused_label(kodi) != label:
        if time.monotonic() > deadline:
            raise KodiError(f"no button {label!r} got the focus (last: {focused_label(kodi)!r})")
        kodi.jsonrpc(moves[step % len(moves)])
        step += 1
        time.sleep(0.15)
    kodi.jsonrpc("Input.Select")


def close_dialog(kodi: KodiInstance, timeout: float = 10.0) -> None:
    """Closes the dialog on top (OK dialog: Select presses its only button)."""
    kodi.jsonrpc("Input.Select")
    wait_until(
        lambda: kodi.current_window()["id"] == HOME_WINDOW_ID, "the dialog to close", timeout
    )


def quit_and_time_service_stop(kodi: KodiInstance) -> float:
    """Application.Quit and wait for Kodi to exit; returns the seconds from the quit request
    to the service's `Service stopped` line (assert on it last, after the other checks)."""
    quit_requested = time.time()
    kodi.quit_and_wait(timeout=30)
    stopped = [e for e in kodi.addon_log_entries() if re.search(STOPPED, e.message)]
    assert stopped, "no 'Service stopped' line:\n" + "\n".join(kodi.addon_log_lines())
    return stopped[-1].timestamp - quit_requested


def runs_by_trigger(path: Path) -> Dict[str, int]:
    """Sync run records per trigger (the engine's sync_runs table)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return dict(conn.execute("SELECT trigger, COUNT(*) FROM sync_runs GROUP BY trigger"))
    finally:
        conn.close()


def assert_no_addon_tracebacks(kodi: KodiInstance) -> None:
    tracebacks = kodi.python_tracebacks()
    assert tracebacks == [], "Python tracebacks from the add-on:\n" + "\n\n".join(tracebacks)


def save_screenshot(kodi: KodiInstance, name: str) -> Path:
    """Saves the screen to docs/screenshots/<name> (kept in the repository as documentation).

    Only the Kodi 20 run writes there (the README's pictures are Kodi 20's, and one run per
    test keeps them from flipping between versions); other runtimes take the same screenshot
    into the Kodi's own folder."""
    folder = SCREENSHOTS if kodi.runtime.name == "kodi20" else kodi.root / "screenshots"
    return kodi.screenshot(folder / name)


# ---- settings dialog, keyboard and the sandbox control API (several test modules use them)

ADDON_SETTINGS_WINDOW = 10140
KEYBOARD_HEADING = 311  # Estuary's DialogKeyboard.xml heading label


def focus_setting(kodi, label: str, presses: int = 40) -> None:
    """Input.Down through the settings list until the row labelled `label` has the focus."""
    for _ in range(presses):
        # System.CurrentControl is the label, then the value in brackets for toggles and lists.
        if focused_label(kodi).startswith(label):
            return
        kodi.jsonrpc("Input.Down")
        time.sleep(0.15)
    raise AssertionError(f"no setting {label!r} got the focus (last: {focused_label(kodi)!r})")


def sandbox_control(sandbox: Sandbox, method: str, name: str, body: Any = None) -> Any:
    """One call to the sandbox's HTTP control API (`/_sandbox/<name>`), never through a proxy."""
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(
        f"{sandbox.url}/_sandbox/{name}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        return json.loads(response.read().decode("utf-8"))


def saved_setting(kodi: KodiInstance, setting_id: str) -> Optional[str]:
    """A value from the add-on's settings.xml in addon_data (what Kodi saved)."""
    try:
        text = (kodi.addon_data_dir / "settings.xml").read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    pattern = rf'<setting id="{re.escape(setting_id)}"[^>]*?(?:/>|>([^<]*)</setting>)'
    match = re.search(pattern, text)
    return (match.group(1) or "") if match else None


def visible(kodi: KodiInstance, window: str) -> bool:
    return info_boolean(kodi, f"Window.IsVisible({window})")


def control_label(kodi: KodiInstance, control_id: int) -> str:
    label = f"Control.GetLabel({control_id})"
    return info_labels(kodi, label)[label]


def wait_for_window(kodi: KodiInstance, window: str, timeout: float = 15.0) -> None:
    wait_until(lambda: visible(kodi, window), f"the {window} window", timeout)


def type_on_keyboard(kodi: KodiInstance, text: str, heading_has: str) -> str:
    """Waits for Kodi's keyboard asking for `heading_has`, types `text` and confirms it."""
    wait_for_window(kodi, "virtualkeyboard")
    heading = wait_until(
        lambda: (lambda h: h if heading_has in h else None)(control_label(kodi, KEYBOARD_HEADING)),
        f"the keyboard heading to ask for {heading_has!r}",
    )
    kodi.jsonrpc("Input.SendText", {"text": text, "done": True})
    # The next keyboard may open at once: done when this one's heading has gone.
    wait_until(
        lambda: (
            not visible(kodi, "virtualkeyboard")
            or heading_has not in control_label(kodi, KEYBOARD_HEADING)
        ),
        "the keyboard to take the text",
    )
    return heading
