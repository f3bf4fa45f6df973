"""Issue 10: the user's place on Trakt survives Kodi quitting, Trakt being slow at that moment,
and the process dying mid-playback. The service's scrobbling (PlaybackScrobbling) against the
Trakt sandbox, with a real outbox file, in-flight journal and SQLite mirror."""

from __future__ import annotations

import os
import time
from types import SimpleNamespace
from typing import Any, Dict, List, Optional, Tuple

import pytest

from resources.lib.scrobble.media import NOW_PLAYING_PROPERTY, MediaRef, NowPlaying
from tests.support.sync_rig import SyncRig, make_client

TOTAL = 6000.0  # a 100-minute feature
PATH = "http://127.0.0.1:1/playback/feature.mkv"


class FakePlayer:
    """What the worker asks Kodi's player: position, length, the hand-off property."""

    def __init__(self) -> None:
        self.time: Optional[float] = None
        self.properties: Dict[str, str] = {}

    def sample(self) -> Optional[Tuple[float, float]]:
        return None if self.time is None else (self.time, TOTAL)

    def playing_file(self) -> str:
        return PATH

    def get_property(self, name: str) -> str:
        return self.properties.get(name, "")

    def clear_property(self, name: str) -> None:
        self.properties.pop(name, None)

    def stop(self) -> None:
        self.time = None

    def seek(self, seconds: float) -> None:
        self.time = seconds

    def play_url(self, url: str) -> None:
        raise AssertionError("no retry expected")

    def notify(self, message: str) -> None:
        raise AssertionError(f"no notification expected: {message}")


@pytest.fixture
def rig(tmp_path):
    rig = SyncRig(str(tmp_path), account="small", seed=1)
    assert rig.sync().status == "ok"
    yield rig
    rig.close()


def unwatched_movie(rig: SyncRig) -> Any:
    watched = rig.truth()["movies"]
    in_progress = {p["trakt_id"] for p in rig.truth()["playback"].values()}
    return next(m for m in sorted(rig.sandbox.state.catalog.movies.values(), key=lambda m: m.trakt)
                if str(m.trakt) not in watched and m.trakt not in in_progress)  # fmt: skip


def scrobbling_for(rig: SyncRig, folder: str) -> Any:
    from resources.lib.kodi.player import PlaybackScrobbling

    # Each service run has its own client (the quit path puts it on a short deadline).
    ctx = SimpleNamespace(client=make_client(rig.sandbox, rig.store), db=rig.db,
                          is_authorised=lambda: True, close=lambda: None)  # fmt: skip
    scrobbling = PlaybackScrobbling(folder, lambda: ctx)
    scrobbling.worker.playback = FakePlayer()
    scrobbling.worker.settle_seconds = 0.0
    return scrobbling


def play_to(scrobbling: Any, movie: Any, percents: List[float]) -> None:
    """Our movie starts and plays through ``percents`` (one sample each)."""
    worker = scrobbling.worker
    playing = NowPlaying(MediaRef.movie({"trakt": movie.trakt}), path=PATH, title=movie.title)
    worker.playback.properties[NOW_PLAYING_PROPERTY] = playing.to_json()
    worker.playback.time = TOTAL * percents[0] / 100
    worker.handle("av_started")
    for percent in percents:
        worker.playback.time = TOTAL * percent / 100
        worker.handle("sample")


def playback_of(rig: SyncRig, trakt_id: int) -> List[float]:
    return [p["progress"] for p in rig.truth()["playback"].values() if p["trakt_id"] == trakt_id]


def test_quit_sends_a_pause_with_the_last_sampled_progress(rig, tmp_path):
    movie = unwatched_movie(rig)
    scrobbling = scrobbling_for(rig, str(tmp_path / "service"))
    play_to(scrobbling, movie, [10.0, 20.0, 45.0])
    assert [(k, s) for k, _, s in scrobbling.worker.sent] == [("start", "sent")]
    journal = scrobbling.journal.path
    assert os.path.exists(journal)
    rig.sandbox.reset_requests()

    started = time.monotonic()
    scrobbling.stop()  # what the service does when Kodi quits
    took = time.monotonic() - started

    assert scrobbling.worker.sent[-1] == ("pause", pytest.approx(45.0), "sent")
    assert playback_of(rig, movie.trakt) == [pytest.approx(45.0)]
    assert rig.sandbox.requests()["by_endpoint"] == {"POST /scrobble/pause": 1}
    assert not os.path.exists(journal) and len(scrobbling.outbox) == 0
    # The mirror's In Progress has it too, with the movie's title.
    row = rig.db.connection.execute(
        "SELECT title, progress FROM bookmarks WHERE media_type = 'movie' AND trakt_id = ?",
        (movie.trakt,),
    ).fetchone()
    assert tuple(row) == (movie.title, pytest.approx(45.0))
    print(f"quit with Trakt up: pause 45.00% sent, quit path {took:.3f} s")


def test_quit_with_a_slow_trakt_queues_the_pause_within_the_deadline(rig, tmp_path):
    from resources.lib.kodi.player import QUIT_SEND_SECONDS

    movie = unwatched_movie(rig)
    folder = str(tmp_path / "service")
    scrobbling = scrobbling_for(rig, folder)
    play_to(scrobbling, movie, [10.0, 30.0, 62.5])
    rig.sandbox.add_fault("slow", path="^/scrobble/pause", count=1, delay=4.0)

    started = time.monotonic()
    scrobbling.stop()
    took = time.monotonic() - started

    assert scrobbling.worker.sent[-1] == ("pause", pytest.approx(62.5), "pending")
    assert took < QUIT_SEND_SECONDS + 0.5, took
    assert [p.path for p in scrobbling.outbox.pending()] == ["/scrobble/pause"]
    time.sleep(4.5)  # the slow answer lands: Trakt may get a late pause, harmless
    rig.sandbox.reset_requests()

    restarted = scrobbling_for(rig, folder)  # the next Kodi start
    restarted.start()
    try:
        restarted._flush()  # what its first tick asks the worker to do
    finally:
        restarted.worker.stop()
    assert rig.sandbox.requests()["by_endpoint"] == {"POST /scrobble/pause": 1}
    assert playback_of(rig, movie.trakt) == [pytest.approx(62.5)]
    assert len(restarted.outbox) == 0
    print(f"quit with Trakt slow (4 s): pause queued after {took:.3f} s, delivered at restart")


def test_a_crash_mid_playback_is_recovered_at_the_next_start(rig, tmp_path):
    movie = unwatched_movie(rig)
    folder = str(tmp_path / "service")
    crashed = scrobbling_for(rig, folder)
    play_to(crashed, movie, [5.0, 12.0, 33.0])  # the start cleared Trakt's saved progress
    assert playback_of(rig, movie.trakt) == []
    # ... the process dies here: no pause, no stop, no quit.
    rig.sandbox.reset_requests()

    restarted = scrobbling_for(rig, folder)
    restarted.start()
    try:
        pending = restarted.outbox.pending()
        assert [p.path for p in pending] == ["/scrobble/pause"]
        restarted._flush()
    finally:
        restarted.worker.stop()
    kept = playback_of(rig, movie.trakt)
    assert kept == [pytest.approx(33.0, abs=2.0)], kept
    assert rig.sandbox.requests()["by_endpoint"] == {"POST /scrobble/pause": 1}
    assert not os.path.exists(restarted.journal.path)
    print(f"crash at 33%: the next start restored {kept[0]:.2f}% on Trakt")
