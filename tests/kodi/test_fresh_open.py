"""Fresh when opened (issue 13, section 5) in a real Kodi: Next Up opens on a mirror whose last
check of Trakt is two minutes old, renders from it, and the service's freshness check brings in a
play recorded on the Trakt sandbox (another device) within 5 s, refreshing the open list."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterator, List

import pytest

from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.tokens import Tokens, TokenStore
from sandbox.server import Sandbox
from tests.kodi.harness import KodiInstance
from tests.support.kodi_playback import NEXT_UP_URL, SHOW, breaking_bad_account
from tests.support.kodi_ui import (
    STARTED,
    TOKEN_NAME,
    assert_no_addon_tracebacks,
    db_path,
    info_labels,
    kodi_with_system_python,  # noqa: F401 - autouse fixture
    sandbox_settings,
    wait_until,
)

pytestmark = pytest.mark.kodi

STALE_SECONDS = 120


@pytest.fixture
def trakt(tmp_path: Path) -> Iterator[Sandbox]:
    """Breaking Bad restarted: Next Up is S01E01."""
    account = tmp_path / "walter.json"
    account.write_text(json.dumps(breaking_bad_account()), encoding="utf-8")
    with Sandbox(account=str(account), seed=1, port=0) as sb:
        yield sb


def boot_stale(kodi_factory: Any, trakt: Sandbox) -> KodiInstance:
    """A Kodi with auto-sync on whose mirror last checked Trakt two minutes ago."""
    kodi = kodi_factory(settings=sandbox_settings(trakt, trakt_sync_auto=True), start=False)
    kodi.prepare_home()
    kodi.addon_data_dir.mkdir(parents=True, exist_ok=True)
    store = TokenStore(str(kodi.addon_data_dir / TOKEN_NAME))
    store.save(Tokens.from_response(trakt.issue_tokens()))
    client = TraktClient(trakt.client_id, trakt.client_secret, token_store=store,
                         api_url=trakt.url, oauth_url=trakt.url)  # fmt: skip
    with TraktSyncDatabase(str(db_path(kodi))) as db:
        assert db.sync_activities(client, force=True, trigger="manual").status == "ok"
    client.close()
    stale = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=STALE_SECONDS)
    with sqlite3.connect(str(db_path(kodi))) as conn:  # the last check, two minutes back
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'last_sync_at'",
            (stale.strftime("%Y-%m-%dT%H:%M:%S.000Z"),),
        )
    kodi.start()
    kodi.wait_for_log(STARTED, timeout=20)
    kodi.go_home()
    return kodi


def open_labels(kodi: KodiInstance) -> List[str]:
    names = ["Container.ListItemAbsolute(%d).Label" % n for n in range(3)]
    return [label for label in info_labels(kodi, *names).values() if label]


def test_a_play_on_another_device_shows_in_the_open_next_up_within_5_s(kodi_factory, trakt):
    kodi = boot_stale(kodi_factory, trakt)
    mark = kodi.log_mark()
    trakt.reset_requests()
    played = time.monotonic()
    trakt.mutate("watch_episode", show=SHOW, season=1, number=1)  # on another device
    kodi.run_builtin(f"ActivateWindow(Videos,{NEXT_UP_URL},return)")
    shown = wait_until(
        lambda: any("1x02" in label for label in open_labels(kodi)),
        "S01E02 in the open Next Up",
        timeout=15,
    )
    seconds = time.monotonic() - played
    assert info_labels(kodi, "Container.FolderPath")["Container.FolderPath"] == NEXT_UP_URL
    kodi.wait_for_log(r"Sync finished: status=ok trigger=fresh changes=[1-9]", since=mark)
    kodi.wait_for_log(r"Refreshed the open list after a freshness check", since=mark)
    print("\nfresh when opened (real Kodi): play -> shown in open Next Up %.2f s; %s" % (
        seconds, open_labels(kodi)))  # fmt: skip
    assert shown and seconds < 5.0
    assert_no_addon_tracebacks(kodi)
