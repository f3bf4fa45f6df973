"""The outbox against the Trakt sandbox: every local action, offline recovery, the conflict rules
and a kill between the push and the outbox delete (differential: mirror vs ``sb.truth()``)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from resources.lib.database.trakt_sync.outbox import LocalAction
from sandbox.timeutil import now_ms
from tests.support.sync_rig import SyncRig

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def rig(tmp_path):
    rig = SyncRig(str(tmp_path))
    assert rig.sync().status == "ok"
    yield rig
    rig.close()


def outbox(rig):
    return rig.db.outbox_rows()


def posts(rig, endpoint="POST /sync/history"):
    return rig.sandbox.requests()["by_endpoint"].get(endpoint, 0)


def unwatched_movie(rig):
    """A movie with no plays and not on the watchlist, in the mirror as on the sandbox.

    The generated account depends on the day it is generated for: on some days every unwatched
    movie is on the watchlist. Then the first one leaves the watchlist on Trakt and the mirror
    syncs that, so the tests start from the same state on any date.
    """
    watched = rig.truth()["movies"]
    listed = {item_id for kind, item_id in rig.truth()["watchlist"] if kind == "movie"}
    unwatched = [
        m.trakt
        for m in sorted(rig.sandbox.state.catalog.movies.values(), key=lambda m: m.trakt)
        if str(m.trakt) not in watched
    ]
    for movie in unwatched:
        if movie not in listed:
            return movie
    rig.sandbox.mutate("watchlist_remove", type="movie", id=unwatched[0])
    assert rig.sync(force=True).status == "ok"
    return unwatched[0]


def watched_movie(rig):
    return int(sorted(rig.truth()["movies"], key=int)[0])


def next_up_episode(rig):
    truth = rig.truth()
    show = sorted(truth["next_up"], key=int)[0]
    nxt = truth["next_up"][show]
    return int(show), nxt["season"], nxt["number"]


def movie_plays(rig, movie):
    return rig.truth()["movies"].get(str(movie), 0)


def assert_mirror_matches(rig, *keys):
    snap, truth = rig.db.snapshot(), rig.truth()
    for key in keys or ("movies", "episodes", "watchlist", "playback", "hidden"):
        assert snap[key] == truth[key], key


def settle():
    """Until the millisecond clock has moved on twice: local change times and the sandbox's
    mutation times are both kept in ms (one rounds, one truncates), and a tie decides nothing."""
    last = now_ms()
    while now_ms() < last + 2:
        time.sleep(0.0005)


# -- every action ----------------------------------------------------------------------------------


def test_local_watch_of_a_movie_is_pushed_once(rig):
    movie = unwatched_movie(rig)
    rig.db.queue_change(LocalAction("watch", "movie", trakt_id=movie))
    assert rig.db.snapshot()["movies"][str(movie)] == 1  # mirror at once
    rig.sandbox.reset_requests()
    result = rig.sync()
    assert result.status == "ok", result.error
    assert movie_plays(rig, movie) == 1
    assert posts(rig) == 1
    assert outbox(rig) == []
    assert_mirror_matches(rig)
    assert rig.sync().status == "ok"
    assert movie_plays(rig, movie) == 1


def test_local_watch_of_an_episode_moves_next_up_on_trakt(rig):
    show, season, number = next_up_episode(rig)
    rig.db.queue_change(LocalAction("watch", "episode", show_id=show, season=season, number=number))
    assert rig.sync().status == "ok"
    assert rig.truth()["episodes"][str(show)]["%d:%d" % (season, number)] == 1
    assert outbox(rig) == []
    assert_mirror_matches(rig, "episodes", "next_up")


def test_local_unwatch_removes_the_plays(rig):
    movie = watched_movie(rig)
    rig.db.queue_change(LocalAction("unwatch", "movie", trakt_id=movie))
    assert str(movie) not in rig.db.snapshot()["movies"]
    assert rig.sync().status == "ok"
    assert str(movie) not in rig.truth()["movies"]
    assert_mirror_matches(rig)


def test_watchlist_add_and_remove(rig):
    movie = unwatched_movie(rig)
    listed_show = next(i for kind, i in rig.truth()["watchlist"] if kind == "show")
    rig.db.queue_change(LocalAction("watchlist_add", "movie", trakt_id=movie))
    rig.db.queue_change(LocalAction("watchlist_remove", "show", trakt_id=listed_show))
    snap = rig.db.snapshot()["watchlist"]
    assert ["movie", movie] in snap and ["show", listed_show] not in snap
    rig.sandbox.reset_requests()
    assert rig.sync().status == "ok"
    truth = rig.truth()["watchlist"]
    assert ["movie", movie] in truth and ["show", listed_show] not in truth
    assert posts(rig, "POST /sync/watchlist") == 1
    assert posts(rig, "POST /sync/watchlist/remove") == 1
    assert_mirror_matches(rig)


def test_hide_from_next_up(rig):
    show, _, _ = next_up_episode(rig)
    rig.db.queue_change(LocalAction("hide", "show", trakt_id=show))
    assert all(item["show_trakt_id"] != show for item in rig.db.next_up())
    assert rig.sync().status == "ok"
    assert ["progress_watched", "show", show] in rig.truth()["hidden"]
    assert_mirror_matches(rig)


def test_remove_resume_point(rig):
    playback_id, entry = sorted(rig.truth()["playback"].items())[0]
    if entry["type"] == "movie":
        action = LocalAction("remove_playback", "movie", trakt_id=entry["trakt_id"])
    else:
        episode = rig.sandbox.state.catalog.episodes[entry["trakt_id"]]
        action = LocalAction("remove_playback", "episode", show_id=episode.show.trakt,
                             season=episode.season, number=episode.number)  # fmt: skip
    rig.db.queue_change(action)
    assert playback_id not in rig.db.snapshot()["playback"]
    assert rig.sync().status == "ok"
    assert playback_id not in rig.truth()["playback"]
    assert_mirror_matches(rig)


# -- offline, then recovery ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "drop"},  # lost before Trakt saw it
        {"kind": "drop", "after": True},  # applied on Trakt, the answer lost
        {"kind": "500"},
    ],
    ids=["drop", "drop-after", "500"],
)
def test_offline_then_recovery_pushes_exactly_once(rig, fault):
    movie = unwatched_movie(rig)
    rig.db.queue_change(LocalAction("watch", "movie", trakt_id=movie))
    options = dict(fault)
    rig.sandbox.add_fault(options.pop("kind"), path=r"^/sync/history$", method="POST",
                          count=1, **options)  # fmt: skip
    first = rig.sync()
    assert first.status in ("partial", "error")
    rows = [row for row in outbox(rig) if row.kind == "watch"]
    assert len(rows) == 1 and rows[0].attempts == 1 and rows[0].state == "sending"
    assert rig.db.snapshot()["movies"][str(movie)] == 1  # still shown while queued
    second = rig.sync()  # a forced sync ignores the backoff
    assert second.status == "ok", second.error
    assert movie_plays(rig, movie) == 1
    assert outbox(rig) == []
    assert_mirror_matches(rig)


def test_backoff_keeps_a_failed_row_until_due(rig):
    movie = unwatched_movie(rig)
    rig.db.queue_change(LocalAction("watchlist_add", "movie", trakt_id=movie))
    rig.sandbox.add_fault("503", path=r"^/sync/watchlist$", method="POST", count=10)
    rig.sync()
    rig.sandbox.clear_faults()
    rig.sandbox.reset_requests()
    result = rig.sync(force=False, lease_wait=0)  # throttled: nothing is sent
    assert result.status == "throttled"
    assert posts(rig, "POST /sync/watchlist") == 0 and len(outbox(rig)) == 1


def test_a_rejected_change_is_dropped_and_the_mirror_restored(rig):
    movie = unwatched_movie(rig)
    rig.db.queue_change(LocalAction("watchlist_add", "movie", trakt_id=movie))
    rig.sandbox.add_fault("420", path=r"^/sync/watchlist$", method="POST", count=1)
    result = rig.sync()
    assert result.status == "ok", result.error
    assert outbox(rig) == []
    assert ["movie", movie] not in rig.truth()["watchlist"]
    assert_mirror_matches(rig)


# -- conflicts -------------------------------------------------------------------------------------


def test_remote_play_after_a_local_unwatch_wins(rig):
    movie = watched_movie(rig)
    plays = movie_plays(rig, movie)
    rig.db.queue_change(LocalAction("unwatch", "movie", trakt_id=movie))
    settle()
    rig.sandbox.mutate("watch_movie", movie=movie)  # newer, on another device
    assert rig.sync().status == "ok"
    assert movie_plays(rig, movie) == plays + 1  # nothing removed
    assert posts(rig, "POST /sync/history/remove") == 0
    assert outbox(rig) == []
    assert_mirror_matches(rig)


def test_local_unwatch_after_a_remote_play_wins(rig):
    movie = watched_movie(rig)
    rig.sandbox.mutate("watch_movie", movie=movie)
    settle()
    rig.db.queue_change(LocalAction("unwatch", "movie", trakt_id=movie))
    assert rig.sync().status == "ok"
    assert str(movie) not in rig.truth()["movies"]
    assert_mirror_matches(rig)


def test_remote_watchlist_re_add_after_a_local_remove_wins(rig):
    movie = next(i for kind, i in rig.truth()["watchlist"] if kind == "movie")
    rig.db.queue_change(LocalAction("watchlist_remove", "movie", trakt_id=movie))
    settle()
    rig.sandbox.mutate("watchlist_remove", type="movie", id=movie)
    rig.sandbox.mutate("watchlist_add", type="movie", id=movie)
    assert rig.sync().status == "ok"
    assert ["movie", movie] in rig.truth()["watchlist"]
    assert ["movie", movie] in rig.db.snapshot()["watchlist"]  # restored by the pull
    assert_mirror_matches(rig)


def test_local_watchlist_remove_after_a_remote_re_add_wins(rig):
    movie = next(i for kind, i in rig.truth()["watchlist"] if kind == "movie")
    rig.sandbox.mutate("watchlist_remove", type="movie", id=movie)
    rig.sandbox.mutate("watchlist_add", type="movie", id=movie)
    settle()
    rig.db.queue_change(LocalAction("watchlist_remove", "movie", trakt_id=movie))
    assert rig.sync().status == "ok"
    assert ["movie", movie] not in rig.truth()["watchlist"]
    assert_mirror_matches(rig)


def test_remote_progress_after_a_local_resume_removal_wins(rig):
    movie = unwatched_movie(rig)
    rig.sandbox.mutate("playback_set", type="movie", movie=movie, progress=20.0)
    assert rig.sync().status == "ok"
    rig.db.queue_change(LocalAction("remove_playback", "movie", trakt_id=movie))
    settle()
    rig.sandbox.mutate("playback_set", type="movie", movie=movie, progress=55.0)
    assert rig.sync().status == "ok"
    kept = [e for e in rig.truth()["playback"].values() if e["trakt_id"] == movie]
    assert kept and kept[0]["progress"] == 55.0
    assert_mirror_matches(rig)


def test_remote_unwatch_after_a_local_rewatch_wins(rig):
    movie = watched_movie(rig)
    rig.db.queue_change(LocalAction("watch", "movie", trakt_id=movie))
    settle()
    rig.sandbox.mutate("unwatch_movie", movie=movie)
    assert rig.sync().status == "ok"
    assert str(movie) not in rig.truth()["movies"]
    assert posts(rig) == 0
    assert_mirror_matches(rig)


def test_pull_after_push_keeps_a_queued_change_visible(rig):
    movie = unwatched_movie(rig)
    rig.db.queue_change(LocalAction("watchlist_add", "movie", trakt_id=movie))
    rig.sandbox.add_fault("503", path=r"^/sync/watchlist$", method="POST", count=10)
    rig.sandbox.mutate("watchlist_add", type="show",
                       id=next(iter(rig.sandbox.state.catalog.shows)))  # fmt: skip
    rig.sync()  # the pull replaces the watchlist; the queued add stays on top
    assert ["movie", movie] in rig.db.snapshot()["watchlist"]
    assert len(outbox(rig)) == 1


# -- a kill between the push and the outbox delete ----------------------------------------------

_KILLED_PUSH = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {repo!r})
    from resources.lib.database.trakt_sync import TraktSyncDatabase
    from resources.lib.trakt.client import TraktClient
    from resources.lib.trakt.tokens import TokenStore

    class KilledAfterPost(TraktClient):
        def post(self, path, body=None, auth=True, idempotent=False):
            answer = super().post(path, body, auth=auth, idempotent=idempotent)
            if path == "/sync/history":
                os.kill(os.getpid(), signal.SIGKILL)  # answered, row not yet deleted
            return answer

    client = KilledAfterPost({client_id!r}, {client_secret!r}, token_store=TokenStore({tokens!r}),
                             api_url={url!r}, oauth_url={url!r})
    TraktSyncDatabase({db!r}).sync_activities(client, force=True)
    """
)


def test_kill_after_the_post_leaves_no_duplicate_play(rig, tmp_path):
    movie = unwatched_movie(rig)
    rig.db.queue_change(LocalAction("watch", "movie", trakt_id=movie))
    script = tmp_path / "killed_push.py"
    script.write_text(_KILLED_PUSH.format(
        repo=REPO, client_id=rig.sandbox.client_id, client_secret=rig.sandbox.client_secret,
        tokens=rig.store.path, url=rig.sandbox.url, db=rig.db_path,
    ))  # fmt: skip
    rig.sandbox.reset_requests()
    proc = subprocess.run([sys.executable, str(script)], timeout=60, capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    assert movie_plays(rig, movie) == 1  # Trakt has the play
    rows = [row for row in outbox(rig) if row.kind == "watch"]
    assert len(rows) == 1 and rows[0].state == "sending"  # ... the outbox does not know
    # The dead process's lease would expire after 2 minutes: expire it now.
    conn = sqlite3.connect(rig.db_path)
    conn.execute("UPDATE sync_lease SET expires_ts = 0")
    conn.commit()
    conn.close()
    result = rig.sync()
    assert result.status == "ok", result.error
    assert movie_plays(rig, movie) == 1  # no duplicate play
    assert posts(rig) == 1  # only the killed process's POST
    assert outbox(rig) == []
    assert_mirror_matches(rig)


# -- an offline scrobble stop ----------------------------------------------------------------------


def test_offline_watched_stop_is_queued_and_the_next_sync_pushes_it_once(rig, tmp_path):
    from types import SimpleNamespace

    from resources.lib.kodi.player import PlaybackScrobbling
    from resources.lib.scrobble.media import MediaRef
    from resources.lib.scrobble.state import Scrobbler

    movie = unwatched_movie(rig)
    ctx = SimpleNamespace(client=rig.client, db=rig.db, is_authorised=lambda: True,
                          close=lambda: None)  # fmt: skip
    scrobbling = PlaybackScrobbling(str(tmp_path / "service"), lambda: ctx)
    session = SimpleNamespace(now_playing=SimpleNamespace(media=MediaRef.movie({"trakt": movie})))
    # The viewing was ten minutes ago (the scrobbler's clock): the push, now, is clearly later.
    worker, scrobbler, total = scrobbling.worker, Scrobbler(clock=lambda: time.time() - 600), 6000.0
    rig.sandbox.add_fault("drop", path="^/scrobble/stop", count=100)
    worker._emit(session, scrobbler.av_started(0.0))
    for percent in range(91):
        worker._emit(session, scrobbler.tick(total * percent / 100, total))
    stop = scrobbler.stopped()
    stopped_at = stop[-1].at  # the stop's real time (the failed send then retries for seconds)
    worker._emit(session, stop)
    assert [(kind, status) for kind, _, status in worker.sent] == [
        ("start", "sent"), ("stop", "pending"),
    ]  # fmt: skip
    rig.sandbox.clear_faults()
    assert movie_plays(rig, movie) == 0
    assert len(scrobbling.outbox) == 0  # not in the JSON outbox: in the sync database's
    queued = outbox(rig)  # the play (and, if it had a resume point, its removal)
    (row,) = [r for r in queued if r.kind == "watch"]
    assert row.payload["trakt"] == movie
    assert {r.kind for r in queued} <= {"watch", "remove_playback"}
    assert rig.db.snapshot()["movies"][str(movie)] == 1  # the mirror has the play once

    assert rig.sync().status == "ok"
    assert movie_plays(rig, movie) == 1
    assert posts(rig) == 1
    entry = next(e for e in rig.sandbox.state.history.values() if e.item.trakt == movie)
    assert abs(entry.watched_at / 1000 - stopped_at) < 1.0  # the real time, not the push time
    from resources.lib.database.trakt_sync.items import parse_time

    watched_at = parse_time(row.payload["watched_at"])
    assert watched_at is not None and abs(watched_at.timestamp() - entry.watched_at / 1000) < 1.0
    assert outbox(rig) == []

    assert rig.sync().status == "ok"  # a second sync pushes nothing
    assert posts(rig) == 1
    assert movie_plays(rig, movie) == 1
    assert rig.db.snapshot()["movies"][str(movie)] == 1


def test_offline_pause_is_queued_and_the_next_sync_pushes_it_before_the_pull(rig, tmp_path):
    """Issue 14: scrobble progress waits in the same outbox and is pushed before the pull, so
    the pull already sees it on Trakt (the mirror's bookmark is Trakt's, not a local one)."""
    from types import SimpleNamespace

    from resources.lib.kodi.player import PlaybackScrobbling
    from resources.lib.scrobble.media import MediaRef
    from resources.lib.scrobble.state import PAUSE, Action

    movie = unwatched_movie(rig)
    ctx = SimpleNamespace(client=rig.client, db=rig.db, is_authorised=lambda: True,
                          close=lambda: None)  # fmt: skip
    scrobbling = PlaybackScrobbling(str(tmp_path / "service"), lambda: ctx)
    rig.sandbox.add_fault("drop", path="^/scrobble/pause", count=100)
    assert scrobbling._send(MediaRef.movie({"trakt": movie}), Action(PAUSE, 40.0, time.time()))
    rig.sandbox.clear_faults()
    (row,) = outbox(rig)
    assert row.kind == "scrobble_progress"
    assert not os.path.exists(str(tmp_path / "service" / "scrobble_outbox.json"))
    rig.sandbox.reset_requests()

    assert rig.sync().status == "ok"
    assert rig.sandbox.requests()["by_endpoint"].get("POST /scrobble/pause") == 1
    playback = [p for p in rig.truth()["playback"].values() if p["trakt_id"] == movie]
    assert [p["progress"] for p in playback] == [40.0]
    pulled = rig.db.in_progress()
    assert [(b["trakt_id"], b["progress"]) for b in pulled if b.get("trakt_id") == movie] == [
        (movie, 40.0)
    ]
    assert outbox(rig) == []
