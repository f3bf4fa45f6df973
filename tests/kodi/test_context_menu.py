"""A context-menu action in a real Kodi: run through its real entry point (RunPlugin on the
plugin URL our list items carry), the mirror changes at once, and the sandbox receives the write
at the next service sync (the outbox is pushed before the pull). *Rate...*: Kodi's own select
dialog answered with Input calls, the rating in Next Up (the ListItem's user rating and the
plot's first line, as Kodi reads them), then on Trakt."""

from __future__ import annotations

import sqlite3
import time
from typing import Iterator

import pytest

from sandbox.server import Sandbox
from tests.kodi.harness import KodiInstance
from tests.support.kodi_ui import (
    assert_no_addon_tracebacks,
    boot,
    builtin_in_background,
    db_path,
    info_boolean,
    info_labels,
    kodi_with_system_python,  # noqa: F401 - autouse fixture
    sandbox_settings,
    save_screenshot,
    wait_action_finished,
    wait_for_sync,
    wait_until,
)

pytestmark = pytest.mark.kodi

INTERVAL_SECONDS = 6


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(account="small", seed=1, port=0) as sb:
        yield sb


def _mirror(kodi: KodiInstance, sql: str) -> list:
    conn = sqlite3.connect(f"file:{db_path(kodi)}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_watchlist_add_from_the_context_menu_reaches_trakt_at_the_next_sync(
    kodi_factory, sandbox: Sandbox
) -> None:
    settings = sandbox_settings(sandbox, trakt_sync_interval_seconds=INTERVAL_SECONDS)
    kodi = boot(kodi_factory, settings, sandbox=sandbox)
    first = wait_for_sync(kodi, "auto", timeout=30)
    assert first["status"] == "ok", first

    truth = sandbox.truth()
    listed = {item_id for kind, item_id in truth["watchlist"] if kind == "show"}
    show = next(int(s) for s in sorted(truth["next_up"], key=int) if int(s) not in listed)
    url = (
        f"plugin://plugin.video.aiostreams/?action=context&op=watchlist_add&type=show&trakt={show}"
    )
    mark = kodi.log_mark()
    kodi.run_builtin(f"RunPlugin({url})")
    assert wait_action_finished(kodi, "context", mark) == f"watchlist_add show:{show}"
    # At once: the mirror has it (whether or not a sync already pushed it).
    rows = _mirror(kodi, f"SELECT 1 FROM watchlist WHERE media_type = 'show' AND trakt_id = {show}")
    assert rows, "the mirror did not change at once"

    # The next service sync pushes it; the outbox is then empty.
    # (A sync already running when the action ran may finish first: wait for the effect.)
    wait_for_sync(kodi, "auto", since=mark, timeout=30)
    wait_until(lambda: ["show", show] in sandbox.truth()["watchlist"], "the push", 30)
    wait_until(lambda: _mirror(kodi, "SELECT COUNT(*) FROM outbox") == [(0,)], "the delete", 10)
    assert sandbox.requests()["by_endpoint"].get("POST /sync/watchlist", 0) == 1
    assert_no_addon_tracebacks(kodi)


NEXT_UP_URL = "plugin://plugin.video.aiostreams/?action=next_up"
SELECT_DIALOG = 12000


def test_rate_from_the_context_menu_shows_in_next_up_and_reaches_trakt(
    kodi_factory, sandbox: Sandbox
) -> None:
    settings = sandbox_settings(sandbox, trakt_sync_interval_seconds=INTERVAL_SECONDS)
    kodi = boot(kodi_factory, settings, sandbox=sandbox)
    first = wait_for_sync(kodi, "auto", timeout=30)
    assert first["status"] == "ok", first
    listing = kodi.jsonrpc(
        "Files.GetDirectory",
        {"directory": NEXT_UP_URL, "media": "video", "properties": ["userrating", "plot"]},
        timeout=30,
    )["files"]
    target = next(i for i in listing if not i.get("userrating"))
    query = target["file"].split("?", 1)[1]
    ids = dict(part.split("=", 1) for part in query.split("&"))
    url = (
        "plugin://plugin.video.aiostreams/?action=context&op=rate&type=episode"
        f"&show={ids['show']}&season={ids['season']}&number={ids['episode']}"
    )
    mark = kodi.log_mark()
    handle = builtin_in_background(kodi, f"RunPlugin({url})")
    wait_until(lambda: kodi.current_window()["id"] == SELECT_DIALOG, "the rating select", 20)
    time.sleep(0.5)
    kodi.jsonrpc("Input.Down")  # 10 -> 9
    kodi.jsonrpc("Input.Select")
    handle.join()
    result = wait_action_finished(kodi, "context", mark)
    assert result == f"rate rating:episode:{ids['show']}:{ids['season']}:{ids['episode']}"

    listing = kodi.jsonrpc(
        "Files.GetDirectory",
        {"directory": NEXT_UP_URL, "media": "video", "properties": ["userrating", "plot"]},
        timeout=30,
    )["files"]
    rated = next(i for i in listing if i["file"] == target["file"])
    assert rated["userrating"] == 9
    assert rated["plot"].splitlines()[0] == "Your rating: 9"

    # As a user sees it: Estuary's list view shows the focused item's plot beside the list.
    kodi.run_builtin(f"ActivateWindow(Videos,{NEXT_UP_URL},return)")
    wait_until(
        lambda: (
            info_labels(kodi, "Container.FolderPath", "Container.NumItems")
            == {"Container.FolderPath": NEXT_UP_URL, "Container.NumItems": str(len(listing))}
        ),
        "the Next Up folder, filled",
        20,
    )

    def rated_has_focus() -> bool:
        # From ".." down to the rated episode, one press at a time: presses sent before the
        # list has the focus are lost, so count nothing and look at what is focused.
        if (
            info_labels(kodi, "ListItem.FileNameAndPath")["ListItem.FileNameAndPath"]
            == target["file"]
        ):
            return True
        kodi.jsonrpc("Input.Down")
        time.sleep(0.2)
        return False

    wait_until(rated_has_focus, "the rated episode to have the focus", 20)
    assert info_labels(kodi, "ListItem.UserRating")["ListItem.UserRating"] == "9"
    wait_until(
        lambda: not info_boolean(kodi, "Window.IsVisible(notification)"), "the toast to go", 15
    )
    time.sleep(1.0)
    save_screenshot(kodi, "ratings_next_up.png")
    kodi.go_home()

    wait_for_sync(kodi, "auto", since=mark, timeout=30)
    episode = sandbox.state.catalog.shows[int(ids["show"])].seasons[int(ids["season"])]
    episode_id = episode.episodes[int(ids["episode"])].trakt
    wait_until(lambda: sandbox.state.ratings.get(episode_id, (None,))[0] == 9, "the push", 30)
    wait_until(lambda: _mirror(kodi, "SELECT COUNT(*) FROM outbox") == [(0,)], "the delete", 10)
    assert sandbox.requests()["by_endpoint"].get("POST /sync/ratings", 0) == 1
    assert_no_addon_tracebacks(kodi)
