"""A context-menu action in a real Kodi: run through its real entry point (RunPlugin on the
plugin URL our list items carry), the mirror changes at once, and the sandbox receives the write
at the next service sync (the outbox is pushed before the pull)."""

from __future__ import annotations

import sqlite3
from typing import Iterator

import pytest

from sandbox.server import Sandbox
from tests.kodi.harness import KodiInstance
from tests.support.kodi_ui import (
    assert_no_addon_tracebacks,
    boot,
    db_path,
    kodi_with_system_python,  # noqa: F401 - autouse fixture
    sandbox_settings,
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
