"""Scrobbling against the Trakt sandbox: the state machine, the sender and the sync database's
outbox together."""

from __future__ import annotations

import time

import pytest

from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.scrobble.media import MediaRef
from resources.lib.scrobble.pending import HISTORY
from resources.lib.scrobble.queue import ScrobbleQueue
from resources.lib.scrobble.sender import ScrobbleSender
from resources.lib.scrobble.state import Scrobbler
from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.tokens import Tokens, TokenStore
from sandbox.server import Sandbox

TOTAL = 6000.0  # seconds: a 100-minute feature


@pytest.fixture
def sb():
    sandbox = Sandbox(account="small", seed=1, port=0)
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def client(sb, tmp_path):
    store = TokenStore(str(tmp_path / "trakt_tokens.json"))
    store.save(Tokens.from_response(sb.issue_tokens()))
    trakt = TraktClient(
        sb.client_id, sb.client_secret, token_store=store, api_url=sb.url, oauth_url=sb.url,
        retry_base=0.01, write_interval=0.05,
    )  # fmt: skip
    yield trakt
    trakt.close()


def unwatched_movie(sb):
    watched = sb.truth()["movies"]
    movie = next(m for m in sorted(sb.state.catalog.movies.values(), key=lambda m: m.trakt)
                 if str(m.trakt) not in watched)  # fmt: skip
    return movie.trakt, MediaRef.movie({"trakt": movie.trakt, "imdb": movie.imdb})


def unwatched_episode(sb):
    watched = sb.truth()["episodes"]
    for episode in sorted(sb.state.catalog.episodes.values(), key=lambda e: e.trakt):
        if episode.season > 0 and f"{episode.season}:{episode.number}" not in watched.get(
            str(episode.show.trakt), {}
        ):
            media = MediaRef.episode({"trakt": episode.show.trakt}, episode.season, episode.number)
            return episode, media
    raise AssertionError("the small account has no unwatched episode")


def plays(sb, trakt_id):
    return sb.truth()["movies"].get(str(trakt_id), 0)


def scrobble_posts(sb):
    counts = sb.requests()["by_endpoint"]
    return {k: v for k, v in counts.items() if "/scrobble/" in k or "/sync/history" in k}


def watch(scrobbler, sender, until_percent, finish="stopped"):
    """Play from 0 to ``until_percent`` with a tick every 1 % and finish; return send results."""
    results = sender.send_all(scrobbler.av_started(0.0))
    percent = 0.0
    while percent <= until_percent:
        results += sender.send_all(scrobbler.tick(TOTAL * percent / 100, TOTAL))
        percent += 1.0 if until_percent >= 1 else 0.1
    results += sender.send_all(getattr(scrobbler, finish)())
    return results


def test_start_then_stop_at_ninety_percent_records_exactly_one_play(sb, client):
    trakt_id, media = unwatched_movie(sb)
    results = watch(Scrobbler(), ScrobbleSender(client, media), 90)
    assert [(r.action.kind, r.status) for r in results] == [("start", "sent"), ("stop", "sent")]
    assert results[-1].response["action"] == "scrobble"
    assert plays(sb, trakt_id) == 1
    assert scrobble_posts(sb) == {"POST /scrobble/start": 1, "POST /scrobble/stop": 1}


def test_below_one_percent_nothing_is_sent(sb, client):
    trakt_id, media = unwatched_movie(sb)
    results = watch(Scrobbler(), ScrobbleSender(client, media), 0.9)
    assert results == []
    assert scrobble_posts(sb) == {}
    assert plays(sb, trakt_id) == 0


def test_a_repeated_stop_answers_409_and_counts_as_done(sb, client):
    trakt_id, media = unwatched_movie(sb)
    watch(Scrobbler(), ScrobbleSender(client, media), 90)
    again = watch(Scrobbler(), ScrobbleSender(client, media), 95)
    assert [(r.action.kind, r.status) for r in again] == [("start", "sent"), ("stop", "done")]
    assert again[-1].ok
    assert plays(sb, trakt_id) == 1


def test_pause_of_an_episode_by_show_and_numbers_saves_progress(sb, client):
    episode, media = unwatched_episode(sb)
    scrobbler, sender = Scrobbler(), ScrobbleSender(client, media)
    sender.send_all(scrobbler.av_started(40.0, TOTAL))
    results = sender.send_all(scrobbler.paused())
    assert [(r.action.kind, r.status) for r in results] == [("pause", "sent")]
    playback = list(sb.truth()["playback"].values())
    assert {"type": "episode", "trakt_id": episode.trakt, "progress": 40.0} in playback


def test_stop_below_eighty_percent_saves_progress_and_records_no_play(sb, client):
    trakt_id, media = unwatched_movie(sb)
    watch(Scrobbler(), ScrobbleSender(client, media), 50)
    assert plays(sb, trakt_id) == 0
    playback = list(sb.truth()["playback"].values())
    assert {"type": "movie", "trakt_id": trakt_id, "progress": 50.0} in playback


def test_offline_watched_stop_is_delivered_later_as_one_history_play(sb, client, tmp_path):
    trakt_id, media = unwatched_movie(sb)
    db = TraktSyncDatabase(str(tmp_path / "trakt_sync.db"))
    outbox = ScrobbleQueue(db)
    # The viewing was ten minutes ago (the scrobbler's clock), so the delivery, now, is clearly
    # later than it without waiting.
    scrobbler = Scrobbler(clock=lambda: time.time() - 600)
    sender = ScrobbleSender(client, media, outbox)
    sb.add_fault("drop", path="^/scrobble/stop", count=100)
    results = watch(scrobbler, sender, 90)
    stopped_at = results[-1].action.at
    assert [(r.action.kind, r.status) for r in results] == [("start", "sent"), ("stop", "pending")]
    assert [row.kind for row in db.outbox_rows()] == ["history_play"]
    assert plays(sb, trakt_id) == 0
    sb.clear_faults()

    assert db.push_scrobbles(client).pushed == 1
    assert plays(sb, trakt_id) == 1
    entry = next(e for e in sb.state.history.values() if e.item.trakt == trakt_id)
    assert abs(entry.watched_at / 1000 - stopped_at) < 1.0  # the real time, not the send time

    # Exactly once: a second push, or the same play queued again because the row's deletion was
    # lost (the crash window), never adds a second play: Trakt's history is read first.
    assert db.push_scrobbles(client) is None
    assert results[-1].pending.kind == HISTORY
    assert outbox.put(results[-1].pending) is True
    assert outbox.put(results[-1].pending) is False  # queued once
    assert db.push_scrobbles(client).confirmed == 1
    assert plays(sb, trakt_id) == 1
    assert sb.requests()["by_endpoint"].get("POST /sync/history") == 1
    assert db.outbox_rows() == []
    db.close()
