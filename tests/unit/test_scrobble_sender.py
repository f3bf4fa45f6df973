"""Scrobble bodies, the sender's outcomes, and the offline outbox (fake Trakt client)."""

from __future__ import annotations

import json

import pytest

from resources.lib.scrobble.media import MediaRef, NowPlaying, iso_utc
from resources.lib.scrobble.outbox import (
    HISTORY,
    PROGRESS,
    Outbox,
    flush_outbox,
    pending_for_failure,
)
from resources.lib.scrobble.sender import ScrobbleSender
from resources.lib.scrobble.state import FAILED, PAUSE, START, STOP, Action
from resources.lib.trakt import errors

MOVIE = MediaRef.movie({"trakt": 1, "imdb": "tt0111161", "slug": "", "plex": "x"})
EPISODE = MediaRef.episode({"trakt": 9, "tvdb": 81189}, season=1, number=2)
EPISODE_BY_IDS = MediaRef.episode(ids={"trakt": 77})
AT = 1_700_000_000.0


class FakeClient:
    """Answers each call with the next item of ``script`` (an exception is raised)."""

    def __init__(self, *script, history=None):
        self.script = list(script)
        self.calls = []
        self.history = history or []

    def post(self, path, body=None, auth=True, idempotent=False):
        self.calls.append(("POST", path, body, idempotent))
        outcome = self.script.pop(0) if self.script else {"id": 1}
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def get(self, path, params=None, auth=True):
        self.calls.append(("GET", path, params, None))
        return self.history


def test_scrobble_bodies_for_movie_show_numbers_and_episode_ids():
    assert MOVIE.scrobble_body(12.345) == {
        "movie": {"ids": {"trakt": 1, "imdb": "tt0111161"}},
        "progress": 12.35,
    }
    assert EPISODE.scrobble_body(50) == {
        "show": {"ids": {"trakt": 9, "tvdb": 81189}},
        "episode": {"season": 1, "number": 2},
        "progress": 50.0,
    }
    assert EPISODE_BY_IDS.scrobble_body(1) == {"episode": {"ids": {"trakt": 77}}, "progress": 1.0}


def test_history_bodies_carry_watched_at():
    when = iso_utc(AT)
    assert when == "2023-11-14T22:13:20.000Z"
    assert MOVIE.history_body(when)["movies"][0]["watched_at"] == when
    show = EPISODE.history_body(when)["shows"][0]
    assert show["seasons"] == [{"number": 1, "episodes": [{"number": 2, "watched_at": when}]}]
    assert EPISODE_BY_IDS.history_body(when) == {
        "episodes": [{"ids": {"trakt": 77}, "watched_at": when}]
    }


def test_media_ref_needs_usable_ids():
    with pytest.raises(ValueError):
        MediaRef.movie({"slug": ""})
    with pytest.raises(ValueError):
        MediaRef.episode({"trakt": 9}, season=1)


def test_now_playing_round_trips_through_json_and_matches_the_playing_file():
    info = NowPlaying(EPISODE, path="https://h/p.mkv|User-Agent=x", runtime_minutes=47)
    back = NowPlaying.from_json(info.to_json())
    assert back.media == EPISODE and back.runtime_minutes == 47
    assert back.matches("https://h/p.mkv")
    assert not back.matches("https://h/other.mkv")
    assert NowPlaying.from_json("") is None
    assert NowPlaying.from_json("{not json") is None
    assert NowPlaying.from_json(json.dumps({"media": {"kind": "movie", "ids": {}}})) is None


def test_sent_actions_use_the_right_paths_and_bodies():
    client = FakeClient()
    sender = ScrobbleSender(client, MOVIE)
    results = sender.send_all([Action(START, 10.0, AT), Action(STOP, 90.0, AT + 60)])
    assert [r.status for r in results] == ["sent", "sent"]
    assert [(c[1], c[2]["progress"], c[3]) for c in client.calls] == [
        ("/scrobble/start", 10.0, True),
        ("/scrobble/stop", 90.0, True),
    ]


def test_conflict_on_stop_counts_as_done():
    sender = ScrobbleSender(FakeClient(errors.Conflict(status=409)), MOVIE)
    result = sender.send(Action(STOP, 95.0, AT))
    assert result.status == "done" and result.ok and result.pending is None


def test_failed_action_is_not_sent():
    client = FakeClient()
    result = ScrobbleSender(client, MOVIE).send(Action(FAILED, 0.0, AT, "placeholder"))
    assert result.status == "skipped" and client.calls == []


def test_unknown_item_is_dropped_not_queued():
    outbox = Outbox()
    sender = ScrobbleSender(FakeClient(errors.NotFound(status=404)), MOVIE, outbox)
    assert sender.send(Action(STOP, 95.0, AT)).status == "dropped"
    assert len(outbox) == 0


def test_offline_start_is_not_kept():
    outbox = Outbox()
    sender = ScrobbleSender(FakeClient(errors.NetworkError()), MOVIE, outbox)
    result = sender.send(Action(START, 5.0, AT))
    assert result.status == "failed" and result.pending is None and len(outbox) == 0


def test_offline_watched_stop_becomes_one_history_item_with_its_real_time():
    outbox = Outbox()
    sender = ScrobbleSender(FakeClient(errors.NetworkError()), MOVIE, outbox)
    result = sender.send(Action(STOP, 92.0, AT))
    assert result.status == "pending"
    item = result.pending
    assert item.kind == HISTORY and item.path == "/sync/history"
    assert item.body["movies"][0]["watched_at"] == iso_utc(AT)
    assert [i.key for i in outbox.pending()] == [item.key]


def test_offline_pause_or_short_stop_is_kept_as_latest_progress_only():
    outbox = Outbox()
    sender = ScrobbleSender(
        FakeClient(errors.ServerError(status=502), errors.RateLimited(status=429)), EPISODE, outbox
    )
    sender.send(Action(PAUSE, 30.0, AT))
    sender.send(Action(STOP, 45.0, AT + 100))
    (item,) = outbox.pending()
    assert item.kind == PROGRESS and item.path == "/scrobble/pause"
    assert item.body["progress"] == 45.0


def test_a_later_successful_scrobble_supersedes_queued_progress():
    outbox = Outbox()
    sender = ScrobbleSender(FakeClient(errors.NetworkError(), {"id": 2}), MOVIE, outbox)
    sender.send(Action(PAUSE, 30.0, AT))
    assert len(outbox) == 1
    sender.send(Action(START, 30.0, AT + 5))
    assert len(outbox) == 0


def test_pending_for_failure_rules():
    assert pending_for_failure(MOVIE, Action(START, 50, AT)) is None
    assert pending_for_failure(MOVIE, Action(FAILED, 0, AT)) is None
    assert pending_for_failure(MOVIE, Action(STOP, 80.0, AT)).kind == HISTORY
    assert pending_for_failure(MOVIE, Action(STOP, 79.9, AT)).kind == PROGRESS
    assert pending_for_failure(MOVIE, Action(PAUSE, 95, AT)).kind == PROGRESS


def test_history_item_is_accepted_once_even_after_delivery(tmp_path):
    outbox = Outbox(str(tmp_path / "outbox.json"))
    item = pending_for_failure(MOVIE, Action(STOP, 90.0, AT))
    assert outbox.put(item) is True
    assert outbox.put(pending_for_failure(MOVIE, Action(STOP, 91.0, AT + 0.4))) is False
    outbox.mark_done(item.key)
    assert outbox.put(item) is False
    assert len(outbox) == 0


def test_outbox_survives_a_restart(tmp_path):
    path = str(tmp_path / "sub" / "outbox.json")
    first = Outbox(path)
    first.put(pending_for_failure(MOVIE, Action(STOP, 90.0, AT)))
    first.put(pending_for_failure(EPISODE, Action(PAUSE, 20.0, AT + 1)))
    second = Outbox(path)
    assert [i.kind for i in second.pending()] == [HISTORY, PROGRESS]


def test_corrupt_outbox_file_starts_empty(tmp_path):
    path = tmp_path / "outbox.json"
    path.write_text("{broken", encoding="utf-8")
    assert len(Outbox(str(path))) == 0


def test_flush_posts_history_once_and_remembers_it():
    outbox = Outbox()
    outbox.put(pending_for_failure(MOVIE, Action(STOP, 90.0, AT)))
    client = FakeClient({"added": {"movies": 1}, "not_found": {"movies": []}})
    result = flush_outbox(outbox, client, now=lambda: AT + 3600)
    assert (result.delivered, result.kept) == (1, 0)
    posts = [c for c in client.calls if c[0] == "POST"]
    assert [(c[1], c[3]) for c in posts] == [("/sync/history", False)]
    assert flush_outbox(outbox, client).delivered == 0


def test_flush_skips_the_post_when_trakt_already_has_the_play():
    outbox = Outbox()
    outbox.put(pending_for_failure(MOVIE, Action(STOP, 90.0, AT)))
    history = [{"watched_at": iso_utc(AT), "movie": {"ids": {"trakt": 1}}}]
    client = FakeClient(history=history)
    assert flush_outbox(outbox, client).delivered == 1
    assert [c[0] for c in client.calls] == ["GET"]
    assert client.calls[0][1] == "/sync/history/movies/1"


def test_flush_keeps_items_while_still_offline_and_stops_early():
    outbox = Outbox()
    outbox.put(pending_for_failure(MOVIE, Action(STOP, 90.0, AT)))
    outbox.put(pending_for_failure(EPISODE, Action(PAUSE, 20.0, AT + 1)))
    client = FakeClient(errors.NetworkError())
    result = flush_outbox(outbox, client, now=lambda: AT + 60)
    assert (result.delivered, result.kept) == (0, 2)
    assert len([c for c in client.calls if c[0] == "POST"]) == 1
    assert outbox.pending()[0].attempts == 1


def test_flush_drops_stale_progress_and_rejected_items():
    outbox = Outbox()
    outbox.put(pending_for_failure(EPISODE, Action(PAUSE, 20.0, AT)))
    outbox.put(pending_for_failure(EPISODE_BY_IDS, Action(STOP, 90.0, AT)))
    client = FakeClient({"added": {"episodes": 0}, "not_found": {"episodes": [{"ids": {}}]}})
    result = flush_outbox(outbox, client, now=lambda: AT + 7 * 3600)
    assert (result.delivered, result.dropped, result.kept) == (0, 2, 0)
