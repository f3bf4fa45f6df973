"""One item replacing another (Up Next, or any PlayMedia while ours plays): Kodi does not always
report a stop for the old item, so the worker sends the old session's stop itself, exactly once,
before the new session starts."""

from __future__ import annotations

from typing import Any, List, Tuple

import kodistate
import pytest

from resources.lib.scrobble.media import NOW_PLAYING_PROPERTY, MediaRef, NowPlaying
from tests.support.scrobble_rig import Rig

NEXT_PATH = "http://127.0.0.1:1/playback/next.mkv"
EPISODE_N = MediaRef.episode({"trakt": 9}, 1, 2)
EPISODE_N1 = MediaRef.episode({"trakt": 9}, 1, 3)


class TargetRig(Rig):
    """The rig, also recording which item each scrobble was for."""

    def __init__(self) -> None:
        self.targets: List[Tuple[str, str, float]] = []
        self.ends = 0  # on_playback_end calls: widgets reload after the old item's stop
        super().__init__(on_playback_end=self._ended)

    def _ended(self) -> None:
        self.ends += 1

    def send(self, media: Any, action: Any) -> str:
        self.targets.append((media.key, action.kind, action.progress))
        return super().send(media, action)

    def sent_for(self, media: MediaRef) -> List[Tuple[str, float]]:
        return [(kind, progress) for key, kind, progress in self.targets if key == media.key]


@pytest.fixture
def rig():
    kodistate.reset()
    yield TargetRig()
    kodistate.cleanup()


def play_episode_n_to_96_percent(rig: TargetRig) -> None:
    rig.start(resume_at=2500.0)  # the rig's hand-off is episode N (S01E02)
    rig.at(2592.0)  # 96 % of 2700 s
    assert rig.sent_for(EPISODE_N) == [("start", pytest.approx(100 * 2502 / 2700, abs=0.01))]


def hand_off_and_start_episode_n1(rig: TargetRig) -> NowPlaying:
    """What the play route of N+1 does, then Kodi's onAVStarted for it (no stop for N)."""
    following = NowPlaying(EPISODE_N1, path=NEXT_PATH, runtime_minutes=45.0, created_at=2.0)
    rig.playback.properties[NOW_PLAYING_PROPERTY] = following.to_json()
    rig.playback.file = NEXT_PATH
    rig.playback.time = 0.0
    rig.worker.handle("av_started")
    return following


def test_a_new_item_without_a_stop_event_sends_the_old_stop_once_then_the_new_start(rig):
    play_episode_n_to_96_percent(rig)
    following = hand_off_and_start_episode_n1(rig)
    # The stop of N went out at once, with N's last sample, before anything of N+1.
    assert rig.targets[-1] == (EPISODE_N.key, "stop", pytest.approx(96.0, abs=0.01))
    assert rig.local == [("stop", pytest.approx(96.0, abs=0.01))]  # the mirror saw it too
    assert rig.ends == 1
    assert rig.worker.session is not None
    assert rig.worker.session.now_playing.media == EPISODE_N1
    # N's end did not wipe N+1's hand-off.
    assert NowPlaying.from_json(rig.playback.properties[NOW_PLAYING_PROPERTY]) == following
    rig.at(40.0)
    rig.at(41.0)  # settled at 1.5 %: N+1's start
    rig.at(42.0)
    assert rig.sent_for(EPISODE_N) == [
        ("start", pytest.approx(100 * 2502 / 2700, abs=0.01)),
        ("stop", pytest.approx(96.0, abs=0.01)),
    ]
    assert rig.sent_for(EPISODE_N1) == [("start", pytest.approx(100 * 41 / 2700, abs=0.01))]
    assert [kind for _, kind, _ in rig.targets] == ["start", "stop", "start"]
    rig.playback.time = None
    rig.worker.handle("stopped")  # the user stops N+1 later: its own stop, N gets nothing more
    assert rig.sent_for(EPISODE_N1)[-1][0] == "stop"
    assert [kind for kind, _ in rig.sent_for(EPISODE_N)] == ["start", "stop"]


def test_a_stop_event_before_the_new_item_still_means_exactly_one_stop(rig):
    play_episode_n_to_96_percent(rig)
    rig.playback.time = None
    rig.worker.handle("stopped")
    hand_off_and_start_episode_n1(rig)
    rig.at(40.0)
    rig.at(41.0)
    assert rig.sent_for(EPISODE_N) == [
        ("start", pytest.approx(100 * 2502 / 2700, abs=0.01)),
        ("stop", pytest.approx(96.0, abs=0.01)),
    ]
    assert [kind for kind, _ in rig.sent_for(EPISODE_N1)] == ["start"]


def test_a_replaced_item_that_never_started_sends_nothing(rig):
    rig.hand_off()
    rig.playback.time = 0.0
    rig.worker.handle("av_started")  # N at 0 %: not settled, nothing sent
    hand_off_and_start_episode_n1(rig)
    assert rig.targets == []
    assert rig.worker.session.now_playing.media == EPISODE_N1


def test_samples_of_the_next_file_before_its_start_event_do_not_count_for_the_old_one(rig):
    play_episode_n_to_96_percent(rig)
    # Kodi already plays N+1 (at 0 s, then seeking to its resume point) when the worker samples
    # and sees the seek, before N+1's onAVStarted is handled: that is not N's position.
    rig.playback.file = NEXT_PATH
    rig.at(0.0)
    rig.worker.handle("seek", 300.0)
    rig.at(301.0)
    hand_off_and_start_episode_n1(rig)
    assert rig.sent_for(EPISODE_N)[-1] == ("stop", pytest.approx(96.0, abs=0.01))
    assert rig.local == [("stop", pytest.approx(96.0, abs=0.01))]


def user_stops_the_playback(rig: TargetRig) -> None:
    """A stop the user asked for: Kodi plays nothing any more when the worker handles it."""
    rig.playback.time = None
    rig.playback.file = ""
    rig.worker.handle("stopped")


@pytest.mark.parametrize("late", ["stopped", "ended"])
def test_the_old_items_stop_reported_after_the_new_start_leaves_the_new_session_alone(rig, late):
    """Kodi may report N's stop (or end) only after N+1's onAVStarted: the worker already sent
    N's stop when N+1 started, so that late report must neither send a second stop for N nor
    end N+1's session (whose start, and later its stop, must still reach Trakt)."""
    play_episode_n_to_96_percent(rig)
    following = hand_off_and_start_episode_n1(rig)
    rig.worker.handle(late)  # N's report, late: Kodi plays N+1 meanwhile
    assert rig.worker.session is not None
    assert rig.worker.session.now_playing.media == EPISODE_N1
    assert NowPlaying.from_json(rig.playback.properties[NOW_PLAYING_PROPERTY]) == following
    assert rig.ends == 1
    rig.at(40.0)
    rig.at(41.0)  # settled: N+1's start
    assert rig.sent_for(EPISODE_N1) == [("start", pytest.approx(100 * 41 / 2700, abs=0.01))]
    user_stops_the_playback(rig)  # later: N+1's own stop still ends its session
    assert [kind for kind, _ in rig.sent_for(EPISODE_N1)] == ["start", "stop"]
    assert [kind for kind, _ in rig.sent_for(EPISODE_N)] == ["start", "stop"]
    assert [kind for _, kind, _ in rig.targets] == ["start", "stop", "start", "stop"]
    assert rig.worker.session is None and rig.ends == 2


def test_stop_before_the_new_start_then_the_new_items_own_stop(rig):
    """The other order (N's stop reported before N+1's start): one stop for N, one start and
    later one stop for N+1."""
    play_episode_n_to_96_percent(rig)
    user_stops_the_playback(rig)
    hand_off_and_start_episode_n1(rig)
    rig.at(40.0)
    rig.at(41.0)
    user_stops_the_playback(rig)
    assert [kind for kind, _ in rig.sent_for(EPISODE_N)] == ["start", "stop"]
    assert [kind for kind, _ in rig.sent_for(EPISODE_N1)] == ["start", "stop"]
    assert rig.worker.session is None and rig.ends == 2


def test_a_stop_while_the_same_file_plays_on_is_ignored_only_once_after_a_replacement(rig):
    """Only the one report Kodi may still owe for the replaced item is ignored: a second stop
    while N+1's file is still reported (the player closing) ends N+1's session as usual."""
    play_episode_n_to_96_percent(rig)
    hand_off_and_start_episode_n1(rig)
    rig.at(40.0)
    rig.at(41.0)
    rig.worker.handle("stopped")  # N's late report
    rig.worker.handle("stopped")  # N+1's own, Kodi still naming its file
    assert [kind for kind, _ in rig.sent_for(EPISODE_N1)] == ["start", "stop"]
    assert rig.worker.session is None
