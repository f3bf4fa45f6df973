"""The rating prompt after playback in a real Kodi (issue 12, section 3).

The Trakt sandbox's Breaking Bad has a one-episode first season here, so its Pilot (Next Up) is
the season's finale. With ``rating_prompt_season_finale`` on, the Pilot is played through
AIOStreams to its end; two seconds after the end Kodi's select asks for a rating, and the answer
goes into the mirror at once and into the outbox for the next sync.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Iterator

import pytest

from aiostreams_sandbox.server import AIOStreamsSandbox
from sandbox.server import Sandbox
from tests.support.kodi_playback import (
    SHOW,
    boot_synced,
    breaking_bad_account,
    next_up_items,
    open_in_background,
)
from tests.support.kodi_ui import (
    assert_no_addon_tracebacks,
    db_path,
    kodi_with_system_python,  # noqa: F401 - autouse fixture
    wait_until,
)

pytestmark = pytest.mark.kodi

SELECT_DIALOG = 12000


@pytest.fixture
def trakt(tmp_path: Path) -> Iterator[Sandbox]:
    account = breaking_bad_account()
    season = account["shows"][0]["seasons"][0]
    season["episodes"] = season["episodes"][:1]  # the Pilot is the season's last episode
    account["history"] = [h for h in account["history"] if h["number"] == 1]
    path = tmp_path / "finale.json"
    path.write_text(json.dumps(account), encoding="utf-8")
    with Sandbox(account=str(path), seed=1, port=0) as sb:
        yield sb


def _rating(kodi, episode_id: int) -> list:
    conn = sqlite3.connect(f"file:{db_path(kodi)}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(
            "SELECT rating FROM ratings WHERE media_type = 'episode' AND trakt_id = ?",
            (episode_id,),
        ).fetchall()
    finally:
        conn.close()


def _outbox(kodi) -> list:
    conn = sqlite3.connect(f"file:{db_path(kodi)}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute("SELECT kind, item_key FROM outbox").fetchall()
    finally:
        conn.close()


def test_the_season_finale_asks_for_a_rating_after_it_ends(
    kodi_factory, trakt: Sandbox, aio: AIOStreamsSandbox
) -> None:
    kodi = boot_synced(
        kodi_factory, trakt, aio, playback_autoplay=True, rating_prompt_season_finale=True
    )
    (pilot,) = [i for i in next_up_items(kodi) if i.get("episode") == 1]
    mark = kodi.log_mark()
    open_in_background(kodi, pilot["file"])
    wait_until(lambda: kodi.jsonrpc("Player.GetActivePlayers"), "Kodi to play", timeout=30)
    kodi.wait_for_log(r"scrobble start [\d.]+%: sent", timeout=20, since=mark)
    kodi.jsonrpc("Player.Seek", {"playerid": 1, "value": {"percentage": 90}})
    wait_until(lambda: not kodi.jsonrpc("Player.GetActivePlayers"), "the clip to end", 30)
    ended = time.monotonic()
    wait_until(lambda: kodi.current_window()["id"] == SELECT_DIALOG, "the rating prompt", 15)
    waited = time.monotonic() - ended
    kodi.wait_for_log(r"Rating prompt after playback: prompt", timeout=5, since=mark)
    time.sleep(0.8)  # the dialog's opening animation
    kodi.jsonrpc("Input.Down")
    kodi.jsonrpc("Input.Down")  # 10, 9, 8
    kodi.jsonrpc("Input.Select")
    wait_until(lambda: _rating(kodi, 9001) == [(8,)], "the rating in the mirror", 10)
    # Queued for the next sync (tests/integration/test_ratings_sandbox.py follows a queued
    # rating to Trakt; a sync here would meet the 5-minute throttle of the boot's own sync).
    assert _outbox(kodi) == [("rate", "rating:episode:%d:1:1" % SHOW)]
    assert 9001 not in trakt.state.ratings
    assert_no_addon_tracebacks(kodi)
    print(f"rating prompt shown {waited:.1f} s after the clip ended")
