"""Playback through AIOStreams in a real Kodi, scrobbled to Trakt (issue 7).

Both sandboxes run in the test process: the AIOStreams sandbox serves a real 20-second clip
(and a 3-second placeholder), the Trakt sandbox holds an account whose Next Up is Breaking Bad
S01E01 (the show was restarted, so its earlier plays do not count). The mirror is synced once
here, before Kodi starts, and auto-sync is off: whatever moves in Kodi's mirror afterwards is the
add-on's own local update. The placeholder threshold is lowered to 10 s to fit the short clip.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from aiostreams_sandbox.server import AIOStreamsSandbox
from sandbox.server import Sandbox
from tests.kodi.harness import ADDON_ID, HOME_WINDOW_ID, KodiError, KodiInstance
from tests.support.kodi_playback import (
    SHOW,
    boot_synced,
    breaking_bad_account,
    next_up_items,
    open_in_background,
    player_time,
)
from tests.support.kodi_ui import (
    STARTED,
    assert_no_addon_tracebacks,
    db_path,
    kodi_with_system_python,  # noqa: F401 - autouse fixture
    mirror_next_up,
    runs_by_trigger,
    save_screenshot,
    wait_until,
)

pytestmark = pytest.mark.kodi

SELECT_DIALOG = 12000


def journaled_progress(kodi: KodiInstance) -> float:
    """The progress the player monitor last wrote to its in-flight journal (0 when none yet): a
    jump such as a seek is written at the first sample after it lands."""
    try:
        data = json.loads((kodi.addon_data_dir / "scrobble_inflight.json").read_text("utf-8"))
        return float(data["progress"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


def scrobble_calls(trakt: Sandbox) -> List[str]:
    return [e["endpoint"] for e in trakt.requests()["log"] if "/scrobble/" in e["endpoint"]]


def test_next_up_episode_plays_scrobbles_once_and_next_up_moves_before_any_sync(
    kodi_factory, trakt: Sandbox, aio: AIOStreamsSandbox
) -> None:
    started = time.monotonic()
    kodi = boot_synced(kodi_factory, trakt, aio, playback_autoplay=True)
    items = next_up_items(kodi)
    pilot = [i for i in items if i.get("season") == 1 and i.get("episode") == 1]
    assert pilot, f"Breaking Bad S01E01 is not in Next Up: {items}"
    url = pilot[0]["file"]
    assert url.startswith(f"plugin://{ADDON_ID}/play?") and "show_imdb=tt0903747" in url
    plays_before = trakt.truth()["episodes"][str(SHOW)]["1:1"]
    trakt.reset_requests()
    mark = kodi.log_mark()

    open_in_background(kodi, url)
    wait_until(lambda: kodi.jsonrpc("Player.GetActivePlayers"), "Kodi to play", timeout=30)
    first = wait_until(lambda: player_time(kodi) or None, "playback time", timeout=15)
    wait_until(lambda: player_time(kodi) > first + 1.0, "playback time to advance", timeout=10)
    assert any("/media/clip.mp4" in e["path"] for e in aio.requests())
    kodi.wait_for_log(r"scrobble start [\d.]+%: sent", timeout=15, since=mark)

    kodi.jsonrpc("Player.Seek", {"playerid": 1, "value": {"percentage": 86}})
    wait_until(lambda: journaled_progress(kodi) >= 80.0, "a sample after the seek", timeout=10)
    kodi.jsonrpc("Player.Stop", {"playerid": 1})
    stop = kodi.wait_for_log(r"scrobble stop ([\d.]+)%: (\w+)", timeout=15, since=mark)
    assert 80.0 <= float(stop.group(1)) <= 100.0 and stop.group(2) == "sent"
    kodi.wait_for_log(r"mirror updated locally: episode watched", timeout=10, since=mark)

    calls = scrobble_calls(trakt)
    assert calls[0] == "POST /scrobble/start" and calls[-1] == "POST /scrobble/stop", calls
    assert calls.count("POST /scrobble/stop") == 1
    assert "POST /sync/history" not in trakt.requests()["by_endpoint"]
    assert trakt.truth()["episodes"][str(SHOW)]["1:1"] == plays_before + 1

    # Next Up moved on in the plugin listing, and no sync ran in Kodi.
    items = next_up_items(kodi)
    episodes = [(i.get("season"), i.get("episode")) for i in items]
    assert (1, 2) in episodes and (1, 1) not in episodes, episodes
    assert runs_by_trigger(db_path(kodi)) == {"manual": 1}
    assert "GET /sync/last_activities" not in trakt.requests()["by_endpoint"]
    assert mirror_next_up(db_path(kodi))[0]["number"] == 2
    assert_no_addon_tracebacks(kodi)
    print(f"playback test took {time.monotonic() - started:.1f} s")


def _wait_for_select(kodi: KodiInstance, timeout: float = 30.0) -> None:
    wait_until(lambda: kodi.current_window()["id"] == SELECT_DIALOG, "the source select", timeout)
    time.sleep(0.8)  # let the dialog finish its opening animation


def test_cancelled_select_leaves_kodi_responsive_and_a_placeholder_is_detected(
    kodi_factory, trakt: Sandbox, aio: AIOStreamsSandbox
) -> None:
    kodi = boot_synced(kodi_factory, trakt, aio, playback_autoplay=False)
    url = next_up_items(kodi)[0]["file"]

    mark = kodi.log_mark()
    opener = open_in_background(kodi, url)
    _wait_for_select(kodi)
    save_screenshot(kodi, "source_select.png")
    kodi.jsonrpc("Input.Back")
    kodi.wait_for_log(r"Play finished: cancelled", timeout=15, since=mark)
    opener.join(30)
    assert kodi.jsonrpc("JSONRPC.Ping") == "pong"
    kodi.go_home()
    assert kodi.current_window()["id"] == HOME_WINDOW_ID
    assert not kodi.jsonrpc("Player.GetActivePlayers")

    # The second entry is the uncached TorBox stream: a 3-second placeholder clip.
    mark = kodi.log_mark()
    opener = open_in_background(kodi, url)
    _wait_for_select(kodi)
    kodi.jsonrpc("Input.Down")
    time.sleep(0.3)
    kodi.jsonrpc("Input.Select")
    kodi.wait_for_log(r"placeholder clip detected \([\d.]+ s\)", timeout=20, since=mark)
    wait_until(lambda: not kodi.jsonrpc("Player.GetActivePlayers"), "the clip to stop", 10)
    opener.join(30)
    assert not any("/scrobble/" in e["endpoint"] for e in trakt.requests()["log"])
    assert kodi.jsonrpc("JSONRPC.Ping") == "pong"
    assert_no_addon_tracebacks(kodi)
    lines = "\n".join(kodi.addon_log_lines())
    assert not re.search(r"c2FuZGJveC1wYXNzd29yZA", lines), "the manifest secret reached the log"
    if kodi.current_window()["id"] != HOME_WINDOW_ID:
        kodi.go_home()
    _ = KodiError  # re-exported for readers: every wait raises it on timeout


def _play_pilot_to(kodi: KodiInstance, trakt: Sandbox, percentage: float) -> float:
    """Plays Next Up's pilot, seeks to ``percentage`` and returns Kodi's position in percent."""
    url = [i for i in next_up_items(kodi) if i.get("episode") == 1][0]["file"]
    mark = kodi.log_mark()
    open_in_background(kodi, url)
    wait_until(lambda: kodi.jsonrpc("Player.GetActivePlayers"), "Kodi to play", timeout=30)
    kodi.wait_for_log(r"scrobble start [\d.]+%: sent", timeout=20, since=mark)
    kodi.jsonrpc("Player.Seek", {"playerid": 1, "value": {"percentage": percentage}})
    time.sleep(2.5)  # two samples after the seek lands
    props = kodi.jsonrpc("Player.GetProperties", {"playerid": 1, "properties": ["percentage"]})
    return float(props["percentage"])


def _pilot_playback(trakt: Sandbox) -> List[float]:
    return [
        float(e["progress"])
        for e in trakt.truth()["playback"].values()
        if e["type"] == "episode" and e["trakt_id"] == 9001
    ]


def test_quit_during_playback_keeps_the_progress_on_trakt(
    kodi_factory, trakt: Sandbox, aio: AIOStreamsSandbox
) -> None:
    """Application.Quit mid-playback: the service sends a pause with the last sampled
    progress before it exits (the start had cleared Trakt's saved progress)."""
    kodi = boot_synced(kodi_factory, trakt, aio, playback_autoplay=True)
    assert _pilot_playback(trakt) == []
    position = _play_pilot_to(kodi, trakt, 40)
    trakt.reset_requests()
    quit_seconds = kodi.quit_and_wait(timeout=30)

    calls = scrobble_calls(trakt)
    assert calls == ["POST /scrobble/pause"], calls
    kept = _pilot_playback(trakt)
    assert len(kept) == 1 and 35.0 <= kept[0] < 80.0, (kept, position)
    assert abs(kept[0] - position) <= 10.0, (kept, position)
    logged = re.findall(r"quit during playback: pause ([\d.]+)% (\w+) in ([\d.]+) s",
                        kodi.log_text())  # fmt: skip
    assert logged and logged[-1][1] == "sent", logged
    assert quit_seconds < 10.0
    print(
        f"quit during playback: Kodi at {position:.1f}%, Trakt kept {kept[0]:.2f}%, "
        f"pause sent in {logged[-1][2]} s, Kodi exited in {quit_seconds:.2f} s"
    )


def _queued_scrobbles(kodi: KodiInstance) -> List[Dict[str, Any]]:
    """The scrobble rows of the add-on's outbox (payloads), read beside the running service."""
    import sqlite3

    conn = sqlite3.connect(str(kodi.addon_data_dir / "trakt_sync.db"), timeout=10)
    try:
        found = conn.execute(
            "SELECT payload FROM outbox WHERE kind IN ('scrobble_progress', 'history_play') "
            "ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    return [json.loads(row[0]) for row in found]


def test_quit_while_trakt_is_slow_queues_the_pause_and_the_next_start_sends_it(
    kodi_factory, trakt: Sandbox, aio: AIOStreamsSandbox
) -> None:
    """Trakt answers the quit's pause too late: it is kept in the outbox, and the service of the
    next Kodi start delivers it."""
    kodi = boot_synced(kodi_factory, trakt, aio, playback_autoplay=True)
    position = _play_pilot_to(kodi, trakt, 50)
    trakt.add_fault("slow", path="/scrobble/pause", count=1, delay=8.0)
    quit_seconds = kodi.quit_and_wait(timeout=30)
    logged = re.findall(r"quit during playback: pause ([\d.]+)% (\w+) in ([\d.]+) s",
                        kodi.log_text())  # fmt: skip
    assert logged and logged[-1][1] == "pending", logged
    queued = _queued_scrobbles(kodi)  # in the sync database's outbox (no JSON outbox any more)
    assert [p["path"] for p in queued] == ["/scrobble/pause"], queued
    assert not (kodi.addon_data_dir / "scrobble_outbox.json").exists()
    assert float(logged[-1][2]) < 2.5, logged
    trakt.reset_requests()  # the slow answer's request is counted on arrival: not after this

    kodi.start()
    kodi.wait_for_log(STARTED, timeout=20)
    wait_until(lambda: "POST /scrobble/pause" in trakt.requests()["by_endpoint"],
               "the outbox to send the pause", timeout=20)  # fmt: skip
    kept = _pilot_playback(trakt)
    assert len(kept) == 1 and abs(kept[0] - float(logged[-1][0])) < 0.01, (kept, logged)
    assert abs(kept[0] - position) <= 10.0, (kept, position)
    wait_until(lambda: not _queued_scrobbles(kodi), "the outbox to empty", timeout=10)
    assert_no_addon_tracebacks(kodi)
    print(
        f"quit with a slow Trakt: pause queued in {logged[-1][2]} s, Kodi exited in "
        f"{quit_seconds:.2f} s, delivered at the next start: {kept[0]:.2f}%"
    )


def test_kodi_killed_mid_playback_gets_the_progress_back_at_the_next_start(
    kodi_factory, trakt: Sandbox, aio: AIOStreamsSandbox
) -> None:
    """SIGKILL, no shutdown at all: the in-flight journal the service keeps on disk becomes a
    pause that the next start delivers."""
    import os
    import signal

    kodi = boot_synced(kodi_factory, trakt, aio, playback_autoplay=True)
    position = _play_pilot_to(kodi, trakt, 45)
    journal = kodi.addon_data_dir / "scrobble_inflight.json"
    wait_until(lambda: journal.exists(), "the in-flight journal", timeout=10)
    wait_until(lambda: journaled_progress(kodi) >= 40.0, "the seek in the journal", timeout=10)
    journaled = json.loads(journal.read_text("utf-8"))["progress"]
    process = kodi._kodi  # noqa: SLF001 - the harness's own process handle
    assert process is not None
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    assert _pilot_playback(trakt) == []  # the start had cleared it; nothing saved it since
    trakt.reset_requests()

    kodi.start()
    kodi.wait_for_log(STARTED, timeout=20)
    wait_until(lambda: "POST /scrobble/pause" in trakt.requests()["by_endpoint"],
               "the recovered pause", timeout=20)  # fmt: skip
    kept = _pilot_playback(trakt)
    assert kept == [journaled], (kept, journaled)
    assert abs(kept[0] - position) <= 10.0, (kept, position)
    assert not journal.exists()
    kodi.wait_for_log(r"the last playback did not end cleanly", timeout=5)
    print(
        f"SIGKILL at {position:.1f}%: journal {journaled:.2f}%, Trakt after restart {kept[0]:.2f}%"
    )


def test_end_of_file_sends_a_stop_with_the_real_progress(
    kodi_factory, trakt: Sandbox, aio: AIOStreamsSandbox
) -> None:
    kodi = boot_synced(kodi_factory, trakt, aio, playback_autoplay=True)
    plays_before = trakt.truth()["episodes"][str(SHOW)]["1:1"]
    mark = kodi.log_mark()
    _play_pilot_to(kodi, trakt, 90)
    wait_until(lambda: not kodi.jsonrpc("Player.GetActivePlayers"), "the clip to end", 30)
    stop = kodi.wait_for_log(r"scrobble stop ([\d.]+)%: (\w+)", timeout=15, since=mark)
    assert float(stop.group(1)) >= 90.0 and stop.group(2) == "sent", stop.group(0)
    assert trakt.truth()["episodes"][str(SHOW)]["1:1"] == plays_before + 1
    assert _pilot_playback(trakt) == []
    assert not (kodi.addon_data_dir / "scrobble_inflight.json").exists()
    print(f"end of file: stop {stop.group(1)}% sent, one play recorded")


def test_resume_without_a_runtime_seeks_once_kodi_knows_the_length(
    kodi_factory, tmp_path: Path, aio: AIOStreamsSandbox
) -> None:
    """The pilot has 50 % saved on Trakt, and the list item carries no runtime: Kodi starts at
    0, then the player monitor seeks to 50 % of the real length, and the start says so."""
    account = breaking_bad_account()
    account["playback"] = [{"show": SHOW, "season": 1, "number": 1, "progress": 50.0}]
    path = tmp_path / "resume.json"
    path.write_text(json.dumps(account), encoding="utf-8")
    with Sandbox(account=str(path), seed=1, port=0) as trakt:
        kodi = boot_synced(kodi_factory, trakt, aio, playback_autoplay=True)
        url = [i for i in next_up_items(kodi) if i.get("episode") == 1][0]["file"]
        url = re.sub(r"&runtime=\d+", "", url)
        assert "runtime" not in url
        mark = kodi.log_mark()
        open_in_background(kodi, url)
        kodi.wait_for_log(r"Resolving episode \S+ with a \S+ stream \(resume at 0 s\)",
                          timeout=30, since=mark)  # fmt: skip
        seek = kodi.wait_for_log(r"resuming at 50.0% of ([\d.]+) s: seeking to (\d+) s",
                                 timeout=20, since=mark)  # fmt: skip
        start = kodi.wait_for_log(r"scrobble start ([\d.]+)%: sent", timeout=20, since=mark)
        assert 49.0 <= float(start.group(1)) < 70.0, start.group(0)
        props = kodi.jsonrpc("Player.GetProperties", {"playerid": 1, "properties": ["percentage"]})
        assert float(props["percentage"]) >= 49.0
        kodi.jsonrpc("Player.Stop", {"playerid": 1})
        print(f"no runtime: Kodi started at 0, seeked to {seek.group(2)} s of {seek.group(1)} s, "
              f"start sent at {start.group(1)}%")  # fmt: skip
