"""Issue 10 in a real Kodi: a hidden section the server does not offer (404) and a Force Sync
with Trakt unreachable.

(a) The sandbox answers `/users/hidden/dropped` with 404: after the service's sync the shows
    hidden in the other sections stay out of Next Up, and Sync History shows the run as OK in
    words, naming the section that is not offered (not `error`).
(b) The add-on points at a closed port: *Force Sync Now* (its real RunScript entry point)
    answers within 10 s with the "Trakt could not be reached" text from strings.po.
"""

from __future__ import annotations

import socket
import time
from typing import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest

from resources.lib import i18n
from resources.lib.trakt.tokens import Tokens, TokenStore
from sandbox.server import Sandbox
from tests.kodi.harness import ADDON_ID
from tests.support.kodi_ui import (
    assert_no_addon_tracebacks,
    boot,
    close_dialog,
    info_labels,
    kodi_with_system_python,  # noqa: F401 - autouse fixture
    run_script_action,
    sandbox_settings,
    wait_action_finished,
    wait_for_dialog,
    wait_for_sync,
    wait_until,
)

pytestmark = pytest.mark.kodi

NEXT_UP_URL = f"plugin://{ADDON_ID}/?action=next_up"
HISTORY_URL = f"plugin://{ADDON_ID}/?action=sync_history"
DIALOG_TEXT = "Control.GetLabel(9)"  # Estuary's DialogConfirm.xml textbox (the OK dialog)
TOKEN_NAME = "trakt_tokens.json"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(account="small", seed=1, port=0) as sb:
        yield sb


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _shows_in(listing: dict) -> set:
    return {
        int(dict(parse_qsl(urlsplit(item["file"]).query))["show"])
        for item in listing.get("files") or []
        if "show=" in item.get("file", "")
    }


def test_hidden_section_404_keeps_hidden_shows_out_of_next_up_and_history_says_ok(
    kodi_factory, sandbox: Sandbox
) -> None:
    truth = sandbox.truth()
    hidden_show = int(sorted(truth["next_up"], key=int)[0])
    sandbox.mutate("hide", section="progress_watched", type="show", id=hidden_show)
    sandbox.add_fault("404", path="^/users/hidden/dropped", count=1000)

    kodi = boot(kodi_factory, sandbox_settings(sandbox), sandbox=sandbox)
    first = wait_for_sync(kodi, "auto", timeout=30)
    assert first["status"] == "ok", first  # a 404 is "not offered", not a failure

    listing = kodi.jsonrpc(
        "Files.GetDirectory", {"directory": NEXT_UP_URL, "media": "video"}, timeout=30
    )
    shows = _shows_in(listing)
    assert shows, listing
    assert hidden_show not in shows

    history = kodi.jsonrpc(
        "Files.GetDirectory", {"directory": HISTORY_URL, "media": "files"}, timeout=30
    )
    labels = [item["label"] for item in history.get("files") or []]
    assert labels and labels[0].startswith("Last 7 days:"), labels
    run = labels[1]
    words = i18n.localize(30740, status=i18n.localize(30730), failures="")  # "OK: "
    assert f"  auto  {words}" in run, run
    assert i18n.localize(30700, unit=i18n.localize(30724), reason=i18n.localize(30708)) in run
    assert " error" not in run and "not_offered" not in run and "404" not in run, run
    assert_no_addon_tracebacks(kodi)


def test_network_down_force_sync_answers_within_10_s_that_trakt_could_not_be_reached(
    kodi_factory, tmp_path
) -> None:
    url = "http://127.0.0.1:%d" % _closed_port()
    settings = {
        "trakt_api_url": url,
        "trakt_oauth_url": url,
        "trakt_client_id": "sandbox-client-id",
        "trakt_client_secret": "sandbox-client-secret",
        "trakt_sync_auto": False,  # only the button syncs
        "service_tick_seconds": 1,
    }
    kodi = kodi_factory(settings=settings, start=False)
    kodi.prepare_home()
    kodi.addon_data_dir.mkdir(parents=True, exist_ok=True)
    TokenStore(str(kodi.addon_data_dir / TOKEN_NAME)).save(
        Tokens("access", "refresh", time.time() + 90 * 86400, time.time(), "public")
    )
    kodi.start()
    kodi.wait_for_log(r"\[AIOStreams Service\] Service ready", timeout=20)

    pressed = time.monotonic()
    mark, button = run_script_action(kodi, "force_sync")
    wait_for_dialog(kodi, timeout=15)
    expected = i18n.localize(30742)
    shown = wait_until(
        lambda: (lambda text: text if text else None)(info_labels(kodi, DIALOG_TEXT)[DIALOG_TEXT]),
        "the dialog text",
        timeout=10,
    )
    seconds = time.monotonic() - pressed
    print(f"network-down Force Sync answered in {seconds:.1f} s: {shown!r}")
    assert shown == expected
    assert "Trakt could not be reached" in shown
    assert seconds < 10.0, seconds
    close_dialog(kodi)
    result = wait_action_finished(kodi, "force_sync", mark, timeout=15)
    button.join()
    assert result.startswith("error ") and "failures=run:network" in result, result
    assert_no_addon_tracebacks(kodi)
