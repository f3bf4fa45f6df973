"""Scrobble bodies, the sender's outcomes, and the scrobbles kept in the sync database's outbox
(a real SQLite file, a fake Trakt client)."""

from __future__ import annotations

import json

import pytest

from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.scrobble.media import MediaRef, NowPlaying, iso_utc
from resources.lib.scrobble.pending import HISTORY, PROGRESS, pending_for_failure
from resources.lib.scrobble.queue import ScrobbleQueue
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

    def paginate(self, path, params=None):
        self.calls.append(("GET", path, params, None))
        return iter(self.history)


@pytest.fixture
def db(tmp_path):
    with TraktSyncDatabase(str(tmp_path / "trakt_sync.db")) as database:
        yield database


@pytest.fixture
def outbox(db):
    return ScrobbleQueue(db)


def flush(outbox, client, now=None):
    """What the player's flush does: push the queued scrobbles now (under the sync lease)."""
    return outbox.db.push_scrobbles(client, now=now)


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


def test_unknown_item_is_dropped_not_queued(outbox):
    sender = ScrobbleSender(FakeClient(errors.NotFound(status=404)), MOVIE, outbox)
    assert sender.send(Action(STOP, 95.0, AT)).status == "dropped"
    assert len(outbox) == 0


def test_offline_start_is_not_kept(outbox):
    sender = ScrobbleSender(FakeClient(errors.NetworkError()), MOVIE, outbox)
    result = sender.send(Action(START, 5.0, AT))
    assert result.status == "failed" and result.pending is None and len(outbox) == 0


def test_offline_watched_stop_becomes_one_history_item_with_its_real_time(outbox):
    sender = ScrobbleSender(FakeClient(errors.NetworkError()), MOVIE, outbox)
    result = sender.send(Action(STOP, 92.0, AT))
    assert result.status == "pending"
    item = result.pending
    assert item.kind == HISTORY and item.path == "/sync/history"
    assert item.body["movies"][0]["watched_at"] == iso_utc(AT)
    assert [i.key for i in outbox.pending()] == [item.key]


def test_offline_pause_or_short_stop_is_kept_as_latest_progress_only(outbox):
    sender = ScrobbleSender(
        FakeClient(errors.ServerError(status=502), errors.RateLimited(status=429)), EPISODE, outbox
    )
    sender.send(Action(PAUSE, 30.0, AT))
    sender.send(Action(STOP, 45.0, AT + 100))
    (item,) = outbox.pending()
    assert item.kind == PROGRESS and item.path == "/scrobble/pause"
    assert item.body["progress"] == 45.0


def test_a_later_successful_scrobble_supersedes_queued_progress(outbox):
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


def test_history_item_is_queued_once_and_a_second_delivery_is_caught_by_the_history(outbox):
    item = pending_for_failure(MOVIE, Action(STOP, 90.0, AT))
    assert outbox.put(item) is True
    assert outbox.put(pending_for_failure(MOVIE, Action(STOP, 91.0, AT + 0.4))) is False
    client = FakeClient({"added": {"movies": 1}, "not_found": {"movies": []}})
    assert flush(outbox, client, now=AT + 60).pushed == 1
    assert len(outbox) == 0
    # Queued again after its delivery (the crash window): Trakt's history has it, no 2nd post.
    assert outbox.put(item) is True
    client.history = [{"watched_at": iso_utc(AT), "movie": {"ids": {"trakt": 1}}}]
    assert flush(outbox, client, now=AT + 120).confirmed == 1
    assert len([c for c in client.calls if c[0] == "POST"]) == 1
    assert len(outbox) == 0


def test_outbox_survives_a_restart(tmp_path):
    path = str(tmp_path / "sub.db")
    with TraktSyncDatabase(path) as first:
        ScrobbleQueue(first).put(pending_for_failure(MOVIE, Action(STOP, 90.0, AT)))
        ScrobbleQueue(first).put(pending_for_failure(EPISODE, Action(PAUSE, 20.0, AT + 1)))
    with TraktSyncDatabase(path) as second:
        assert [i.kind for i in ScrobbleQueue(second).pending()] == [HISTORY, PROGRESS]
        assert [r.kind for r in second.outbox_rows()] == ["history_play", "scrobble_progress"]


def test_flush_posts_history_once_and_remembers_it(outbox):
    outbox.put(pending_for_failure(MOVIE, Action(STOP, 90.0, AT)))
    client = FakeClient({"added": {"movies": 1}, "not_found": {"movies": []}})
    result = flush(outbox, client, now=AT + 3600)
    assert (result.pushed, result.kept) == (1, 0)
    posts = [c for c in client.calls if c[0] == "POST"]
    assert [(c[1], c[3]) for c in posts] == [("/sync/history", False)]
    assert flush(outbox, client) is None  # nothing left to push
    assert len([c for c in client.calls if c[0] == "POST"]) == 1


def test_flush_skips_the_post_when_trakt_already_has_the_play(outbox):
    outbox.put(pending_for_failure(MOVIE, Action(STOP, 90.0, AT)))
    history = [{"watched_at": iso_utc(AT), "movie": {"ids": {"trakt": 1}}}]
    client = FakeClient(history=history)
    assert flush(outbox, client, now=AT + 60).confirmed == 1
    assert [c[0] for c in client.calls] == ["GET"]
    assert client.calls[0][1] == "/sync/history/movies/1"


def test_flush_keeps_items_while_still_offline_and_stops_early(outbox):
    outbox.put(pending_for_failure(MOVIE, Action(STOP, 90.0, AT)))
    outbox.put(pending_for_failure(EPISODE, Action(PAUSE, 20.0, AT + 1)))
    client = FakeClient(errors.NetworkError())
    result = flush(outbox, client, now=AT + 60)
    assert (result.pushed, result.kept) == (0, 2)
    assert len([c for c in client.calls if c[0] == "POST"]) == 1
    assert outbox.pending()[0].attempts == 1


def test_flush_drops_stale_progress_and_rejected_items(outbox):
    outbox.put(pending_for_failure(EPISODE, Action(PAUSE, 20.0, AT)))
    outbox.put(pending_for_failure(EPISODE_BY_IDS, Action(STOP, 90.0, AT)))
    client = FakeClient({"added": {"episodes": 0}, "not_found": {"episodes": [{"ids": {}}]}})
    result = flush(outbox, client, now=AT + 7 * 3600)
    assert (result.pushed, result.dropped, result.kept) == (0, 2, 0)
    assert [c[1] for c in client.calls if c[0] == "POST"] == ["/sync/history"]  # no stale pause
    assert len(outbox) == 0


def test_progress_younger_than_six_hours_is_sent_older_is_dropped(outbox):
    outbox.put(pending_for_failure(EPISODE, Action(PAUSE, 20.0, AT)))
    client = FakeClient()
    assert flush(outbox, client, now=AT + 6 * 3600 - 1).pushed == 1
    assert [(c[1], c[2]["progress"]) for c in client.calls] == [("/scrobble/pause", 20.0)]
    outbox.put(pending_for_failure(EPISODE, Action(PAUSE, 30.0, AT + 10)))
    assert flush(outbox, client, now=AT + 10 + 6 * 3600 + 1).dropped == 1
    assert len(client.calls) == 1


def test_an_older_progress_never_replaces_a_newer_one(outbox):
    assert outbox.put(pending_for_failure(MOVIE, Action(PAUSE, 40.0, AT + 5)))
    assert outbox.put(pending_for_failure(MOVIE, Action(PAUSE, 10.0, AT))) is False
    assert [i.body["progress"] for i in outbox.pending()] == [40.0]
