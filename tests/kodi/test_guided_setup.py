"""Issue 10 in a real Kodi: the guided Trakt setup, the empty-list items, Connect AIOStreams.

- Guided authorisation: no Trakt app set. *Authorise Trakt* (its settings button's real entry
  point) shows where to register the app; the test answers with `Input.*` calls only, types the
  client id and a wrong secret on Kodi's keyboard (`Input.SendText`), sees Trakt's refusal of the
  secret at the token poll, types the right one, reads the device code off the dialog, approves it
  through the sandbox's control API (as the user would on trakt.tv) and ends authorised, with the
  app saved in the settings.
- The empty lists, read with `Files.GetDirectory` as Kodi's GUI reads them, in the three states:
  not authorised, first sync in progress (a slowed-down sync running), and genuinely empty (a
  Trakt account with nothing in it, synced).
- The AIOStreams settings and *Test connection* at Kodi's default settings level (Standard), saved
  to docs/screenshots/ for the README's "Connect AIOStreams".
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from aiostreams_sandbox.server import AIOStreamsSandbox
from sandbox.server import Sandbox
from tests.kodi.harness import ADDON_ID, HOME_WINDOW_ID, KodiInstance
from tests.support.kodi_ui import (
    ADDON_SETTINGS_WINDOW,
    TOKEN_NAME,
    assert_no_addon_tracebacks,
    boot,
    builtin_in_background,
    control_label,
    focus_setting,
    focused_label,
    kodi_with_system_python,  # noqa: F401 - autouse fixture
    press_button,
    run_script_action,
    sandbox_control,
    sandbox_settings,
    save_screenshot,
    saved_setting,
    type_on_keyboard,
    wait_action_finished,
    wait_for_window,
    wait_until,
)

pytestmark = pytest.mark.kodi

LISTS = ("next_up", "in_progress", "watchlist_movies", "watchlist_shows", "sync_history")
GENUINELY_EMPTY = {
    "next_up": "Nothing to watch next",
    "in_progress": "Nothing in progress",
    "watchlist_movies": "No movies on your Trakt watchlist",
    "watchlist_shows": "No shows on your Trakt watchlist",
}
NOT_AUTHORISED = "Trakt is not authorised"
FIRST_SYNC_PENDING = "First sync has not finished yet"
FIRST_SYNC_RUNNING = "First sync in progress: this list fills when it finishes"
MESSAGE_CONTROL = 9  # Estuary's DialogConfirm.xml text (yes/no, OK and progress dialogs)
LEVEL_BUTTON = 20  # Estuary's DialogAddonSettings.xml settings-level button (its label: the level)


@pytest.fixture
def empty_trakt(tmp_path: Path) -> Iterator[Sandbox]:
    """A new Trakt user: nothing watched, listed or paused (a 1 s device poll interval)."""
    account = tmp_path / "new_user.json"
    account.write_text(json.dumps({"user": {"username": "newbie", "slug": "newbie"}}))
    with Sandbox(account=str(account), seed=1, port=0, device_interval=1) as sb:
        yield sb


def settings_level(kodi: KodiInstance) -> str:
    """The settings level the open settings dialog shows ("Standard ( )": the radio button)."""
    return control_label(kodi, LEVEL_BUTTON)


def list_labels(kodi: KodiInstance, route: str) -> List[Tuple[str, str]]:
    listing = kodi.jsonrpc(
        "Files.GetDirectory",
        {"directory": f"plugin://{ADDON_ID}/?action={route}", "media": "files"},
        timeout=30,
    )
    return [(item["label"], item["file"]) for item in listing.get("files") or []]


def assert_state_item(kodi: KodiInstance, route: str, label: str, opens: str) -> None:
    files = list_labels(kodi, route)
    assert files == [(label, f"plugin://{ADDON_ID}/?action={opens}")], (route, files)


def test_guided_authorisation_and_the_empty_list_items(kodi_factory, empty_trakt: Sandbox) -> None:
    sandbox = empty_trakt
    settings = sandbox_settings(
        sandbox, trakt_sync_auto=False, trakt_client_id="", trakt_client_secret=""
    )
    kodi = boot(kodi_factory, settings, sandbox=None)
    token = kodi.addon_data_dir / TOKEN_NAME
    assert not token.exists()

    # State 1: not authorised. Every list says so; its item opens the authorisation.
    for route in LISTS:
        assert_state_item(kodi, route, NOT_AUTHORISED, "trakt_auth")

    # Step 1: where to register the app, and what to enter there.
    mark, button = run_script_action(kodi, "trakt_auth")
    wait_for_window(kodi, "yesnodialog")
    text = wait_until(lambda: control_label(kodi, MESSAGE_CONTROL), "the step 1 text")
    assert "trakt.tv/oauth/applications/new" in text and "urn:ietf:wg:oauth:2.0:oob" in text, text
    time.sleep(0.5)  # the open animation
    save_screenshot(kodi, "trakt_setup_step1.png")
    press_button(kodi, "Continue")

    # Step 2: the client id, then (hidden) a wrong secret, on Kodi's keyboard.
    type_on_keyboard(kodi, sandbox.client_id, "Client ID")
    type_on_keyboard(kodi, "not-the-secret", "Client Secret")

    # Steps 3 and 4: the id is known, the code is shown; the first token poll refuses the secret.
    wait_for_window(kodi, "okdialog", timeout=20)
    refused = wait_until(lambda: control_label(kodi, MESSAGE_CONTROL), "the refusal text")
    assert "refused the Client Secret" in refused, refused
    kodi.jsonrpc("Input.Select")
    type_on_keyboard(kodi, sandbox.client_secret, "Client Secret")

    # The device code with the right secret: read it off the dialog, approve it at "trakt.tv".
    wait_for_window(kodi, "progressdialog")
    pending = wait_until(
        lambda: [d for d in sandbox_control(sandbox, "GET", "device") if d["status"] == "pending"],
        "a pending device code at the sandbox",
    )
    user_code = pending[-1]["user_code"]
    shown = wait_until(
        lambda: (lambda t: t if user_code in t else None)(control_label(kodi, MESSAGE_CONTROL)),
        "the dialog to show the user code",
    )
    assert "Step 3 of 3" in shown and "trakt.tv/activate" in shown, shown
    time.sleep(0.5)
    save_screenshot(kodi, "trakt_setup_code.png")
    sandbox_control(sandbox, "POST", "approve", {"user_code": user_code})
    assert wait_action_finished(kodi, "trakt_auth", mark, timeout=30) == "done"
    button.join()

    # Authorised, and the app saved in the settings (the secret too, never in the log).
    assert token.is_file()
    wait_until(
        lambda: saved_setting(kodi, "trakt_client_id") == sandbox.client_id,
        "the client id in settings.xml",
    )
    assert saved_setting(kodi, "trakt_client_secret") == sandbox.client_secret
    wait_until(lambda: saved_setting(kodi, "trakt_username") == "newbie", "the username")
    assert sandbox.client_secret not in "\n".join(kodi.addon_log_lines())
    wait_until(lambda: kodi.current_window()["id"] == HOME_WINDOW_ID, "the home window")

    # State 2a: authorised, no sync yet (auto-sync off): the item offers one.
    for route in LISTS:
        assert_state_item(kodi, route, FIRST_SYNC_PENDING, "force_sync")

    # State 2b: the first sync running (slowed down at the sandbox).
    sandbox_control(sandbox, "POST", "slow", {"delay": 1.5})
    mark, button = run_script_action(kodi, "force_sync")
    wait_until(
        lambda: list_labels(kodi, "next_up")[0][0] == FIRST_SYNC_RUNNING,
        "Next Up to say the first sync is in progress",
        timeout=20,
    )
    for route in GENUINELY_EMPTY:  # (Sync History lists the running run)
        assert_state_item(kodi, route, FIRST_SYNC_RUNNING, "noop")
    sandbox_control(sandbox, "POST", "slow", {"delay": 0})
    assert wait_action_finished(kodi, "force_sync", mark, timeout=90).startswith("ok")
    button.join()

    # State 3: synced, and Trakt has nothing to list: each list says so.
    for route, label in GENUINELY_EMPTY.items():
        assert_state_item(kodi, route, label, "noop")

    kodi.go_home()
    assert_no_addon_tracebacks(kodi)


def test_connect_aiostreams_settings_and_test_connection_at_the_standard_level(
    kodi_factory, empty_trakt: Sandbox
) -> None:
    with AIOStreamsSandbox(port=0) as aio:
        settings = sandbox_settings(
            empty_trakt, trakt_sync_auto=False, aiostreams_manifest_url=aio.manifest_url
        )
        kodi = boot(kodi_factory, settings, sandbox=empty_trakt)

        opened = builtin_in_background(kodi, f"Addon.OpenSettings({ADDON_ID})")
        wait_until(
            lambda: kodi.current_window()["id"] == ADDON_SETTINGS_WINDOW,
            "the add-on settings dialog",
        )
        time.sleep(1.0)  # the open animation
        assert settings_level(kodi).startswith("Standard"), settings_level(kodi)
        # The category list is left of the settings: there, down to AIOStreams, back right.
        # (An edit row keeps Input.Left for its cursor: leave from a button row.)
        focus_setting(kodi, "Authorise Trakt")
        kodi.jsonrpc("Input.Left")
        wait_until(lambda: focused_label(kodi) == "Trakt", "the Trakt category to get the focus")
        kodi.jsonrpc("Input.Down")
        wait_until(lambda: focused_label(kodi) == "AIOStreams", "the AIOStreams category")
        kodi.jsonrpc("Input.Right")
        focus_setting(kodi, "Test connection")
        time.sleep(0.6)
        save_screenshot(kodi, "settings_aiostreams.png")
        kodi.go_home()
        opened.join()

        mark, button = run_script_action(kodi, "aiostreams_test")
        wait_for_window(kodi, "okdialog", timeout=30)
        text = wait_until(lambda: control_label(kodi, MESSAGE_CONTROL), "the test result")
        assert text.startswith("Connected to AIOStreams"), text
        time.sleep(0.5)
        save_screenshot(kodi, "aiostreams_test_connection.png")
        kodi.jsonrpc("Input.Select")
        assert wait_action_finished(kodi, "aiostreams_test", mark) == "ok"
        button.join()
    assert_no_addon_tracebacks(kodi)
