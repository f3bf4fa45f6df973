"""Property: whatever happens on Trakt and whenever we sync (forced or not, with faults injected),
one final successful sync makes ``db.snapshot()`` equal the sandbox's truth.

One sandbox serves every example; each example starts a fresh account (``switch_user`` with the
example's seed) and a fresh database file. ``SYNC_PROPERTY_EXAMPLES`` overrides the example count
(the soak variant is ``bench/bench_sync.py --soak N``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.trakt.tokens import Tokens, TokenStore
from sandbox.server import Sandbox
from tests.support.sync_rig import comparable_truth, make_client

EXAMPLES = int(os.environ.get("SYNC_PROPERTY_EXAMPLES", "200"))
FAULT_PATHS = (
    "^/sync/last_activities",
    "^/sync/watched/shows",
    "^/sync/watched/movies",
    "^/sync/watchlist",
    "^/sync/playback",
    "^/users/hidden/progress_watched",
    "^/shows/[0-9]+/seasons",
    "^/sync/history",
    "^/users/me/stats",
    "^/users/settings",
)
FAULT_KINDS = ("500", "502", "badjson", "truncate", "drop", "429")
HIDE_SECTIONS = ("progress_watched", "calendar", "dropped", "recommendations")

index = st.integers(min_value=0, max_value=10_000)
operation = st.one_of(
    st.tuples(
        st.just("watch_episode"), index, index, st.sampled_from([None, "now-3d", "now-400d"])
    ),
    st.tuples(st.just("unwatch_episode"), index, index),
    st.tuples(st.just("watch_movie"), index, st.sampled_from([None, "now-10d"])),
    st.tuples(st.just("unwatch_movie"), index),
    st.tuples(st.just("watchlist_add"), st.sampled_from(["movie", "show"]), index),
    st.tuples(st.just("watchlist_remove"), index),
    st.tuples(
        st.just("playback_set"),
        st.sampled_from(["movie", "episode"]),
        index,
        index,
        st.floats(min_value=1, max_value=95, allow_nan=False),
    ),  # fmt: skip
    st.tuples(st.just("playback_remove"), index),
    st.tuples(st.just("hide"), st.sampled_from(HIDE_SECTIONS), index),
    st.tuples(st.just("unhide"), index),
    st.tuples(st.just("reset_show"), index),
    st.tuples(st.just("sync"), st.booleans()),
    st.tuples(
        st.just("fault"),
        st.sampled_from(FAULT_KINDS),
        st.sampled_from(FAULT_PATHS),
        st.integers(min_value=1, max_value=6),
    ),  # fmt: skip
)


@pytest.fixture(scope="module")
def sandbox():
    sb = Sandbox(account="small", seed=1).start()
    yield sb
    sb.stop()


def _pick(items, i):
    items = sorted(items)
    return items[i % len(items)] if items else None


def _apply(sb, op):
    """Translate a drawn operation into a sandbox mutation on the current account."""
    state = sb.state
    catalog = state.catalog
    name = op[0]
    if name in ("watch_episode", "unwatch_episode", "playback_set") and (
        name != "playback_set" or op[1] == "episode"
    ):
        shows = sorted(catalog.shows)
        watched = sorted({catalog.episodes[t].show.trakt for t in state.plays
                          if t in catalog.episodes})  # fmt: skip
        pool = watched if name == "unwatch_episode" and watched else shows
        show = catalog.shows[_pick(pool, op[2] if name == "playback_set" else op[1])]
        # playback_set: op = (name, kind, show index, episode index, progress)
        episodes = [
            e
            for s in sorted(show.seasons)
            for e in (show.seasons[s].episodes[n] for n in sorted(show.seasons[s].episodes))
        ]
        if name == "unwatch_episode":
            episodes = [e for e in episodes if e.trakt in state.plays] or episodes
        if name == "watch_episode":
            # Trakt's POST /sync/history only records aired episodes (the control API does not
            # check): the mirror may rely on that, so the property only watches aired ones.
            now = time.time() * 1000
            episodes = [e for e in episodes if e.first_aired and e.first_aired <= now] or episodes
        episode = episodes[(op[3] if name == "playback_set" else op[2]) % len(episodes)]
        target = dict(show=show.trakt, season=episode.season, number=episode.number)
        if name == "watch_episode":
            return (
                sb.mutate(name, watched_at=op[3], **target) if op[3] else sb.mutate(name, **target)
            )
        if name == "playback_set":
            return sb.mutate(name, type="episode", progress=round(op[4], 2), **target)
        return sb.mutate(name, **target)
    if name == "playback_set":
        return sb.mutate(name, type="movie", movie=_pick(catalog.movies, op[2]),
                         progress=round(op[4], 2))  # fmt: skip
    if name == "watch_movie":
        movie = _pick(catalog.movies, op[1])
        return (
            sb.mutate(name, movie=movie, watched_at=op[2])
            if op[2]
            else sb.mutate(name, movie=movie)
        )
    if name == "unwatch_movie":
        watched = [t for t in state.plays if t in catalog.movies]
        return sb.mutate(name, movie=_pick(watched or catalog.movies, op[1]))
    if name == "watchlist_add":
        table = catalog.movies if op[1] == "movie" else catalog.shows
        return sb.mutate(name, type=op[1], id=_pick(table, op[2]))
    if name == "watchlist_remove":
        entries = sorted((type(e.item).__name__.lower(), t) for t, e in state.watchlist.items())
        if entries:
            kind, trakt = entries[op[1] % len(entries)]
            return sb.mutate(name, type=kind, id=trakt)
        return None
    if name == "playback_remove":
        ids = sorted(state.playback)
        return sb.mutate(name, id=ids[op[1] % len(ids)]) if ids else None
    if name == "hide":
        return sb.mutate(name, section=op[1], type="show", id=_pick(catalog.shows, op[2]))
    if name == "unhide":
        hidden = sorted(state.hidden)
        if hidden:
            section, kind, trakt = hidden[op[1] % len(hidden)]
            return sb.mutate(name, section=section, type=kind, id=trakt)
        return None
    if name == "reset_show":
        watched = sorted({catalog.episodes[t].show.trakt for t in state.plays
                          if t in catalog.episodes})  # fmt: skip
        return sb.mutate(name, show=_pick(watched, op[1])) if watched else None
    raise AssertionError(name)


# -- fixed counter-examples (issue 13 section 3) -------------------------------------------------
# Each defeats a cheap "what changed" check: a reset plus a watch looks like a plain watch in the
# history and the stats, and an unwatch plus a back-dated play on the same show keeps its play
# count and its last_watched_at. The final sync must still make the mirror equal the truth.


def _two_watched_episodes(sb):
    state, catalog = sb.state, sb.state.catalog
    by_show = {}
    for trakt in sorted(state.plays):
        episode = catalog.episodes.get(trakt)
        if episode is not None and episode.season > 0:
            by_show.setdefault(episode.show.trakt, []).append(episode)
    show = next(show for show in sorted(by_show) if len(by_show[show]) >= 2)
    return show, sorted(by_show[show], key=lambda e: (e.season, e.number))


def _reset_then_watch(sb):
    show, episodes = _two_watched_episodes(sb)
    sb.mutate("reset_show", show=show)
    first = episodes[0]
    sb.mutate("watch_episode", show=show, season=first.season, number=first.number)
    return show


def _unwatch_then_back_dated_play(sb):
    show, episodes = _two_watched_episodes(sb)
    gone, again = episodes[-1], episodes[0]
    sb.mutate("unwatch_episode", show=show, season=gone.season, number=gone.number)
    sb.mutate("watch_episode", show=show, season=again.season, number=again.number,
              watched_at="now-400d")  # fmt: skip
    return show


@pytest.mark.parametrize("story", [_reset_then_watch, _unwatch_then_back_dated_play],
                         ids=lambda story: story.__name__.strip("_"))  # fmt: skip
def test_fixed_counter_examples_of_a_cheap_delta(sandbox, tmp_path, story):
    sandbox.clear_faults()
    sandbox.mutate("switch_user", username="delta-user", account="small", seed=3)
    store = TokenStore(str(tmp_path / "tokens.json"))
    store.save(Tokens.from_response(sandbox.issue_tokens()))
    client = make_client(sandbox, store)
    db = TraktSyncDatabase(str(tmp_path / "trakt_sync.db"))
    try:
        assert db.sync_activities(client, force=True).status == "ok"
        before = db.snapshot()
        show = str(story(sandbox))
        truth = comparable_truth(sandbox.truth())
        assert truth["episodes"].get(show) != before["episodes"].get(show)  # the story changed it
        result = db.sync_activities(client, force=True)
        assert result.status == "ok", result
        assert db.snapshot() == truth
    finally:
        db.close()
        client.close()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=1, max_value=50), ops=st.lists(operation, max_size=12))
def test_final_sync_makes_the_mirror_equal_truth(sandbox, seed, ops):
    sandbox.clear_faults()
    sandbox.mutate("switch_user", username="prop-user", account="small", seed=seed)
    folder = tempfile.mkdtemp(prefix="sync-prop-")
    try:
        store = TokenStore(os.path.join(folder, "tokens.json"))
        store.save(Tokens.from_response(sandbox.issue_tokens()))
        client = make_client(sandbox, store, max_retries=1, max_rate_limit_retries=1)
        db = TraktSyncDatabase(os.path.join(folder, "trakt_sync.db"))
        try:
            for op in ops:
                if op[0] == "sync":
                    result = db.sync_activities(client, force=op[1])
                    assert result.status in ("ok", "partial", "error", "throttled"), result
                elif op[0] == "fault":
                    sandbox.add_fault(op[1], path=op[2], count=op[3])
                else:
                    _apply(sandbox, op)
            sandbox.clear_faults()
            final = db.sync_activities(client, force=True)
            assert final.status == "ok", final
            assert db.snapshot() == comparable_truth(sandbox.truth())
        finally:
            db.close()
            client.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- fixed examples of Trakt's Next Up rule --------------------------------------------------
# Each one is a story on a fresh account, then one sync: the mirror must equal the truth AND both
# must give the answer Trakt's rule gives (equality alone would pass if both followed recency).


def _aired_regular(show):
    now = time.time() * 1000
    return [
        show.seasons[s].episodes[n]
        for s in sorted(show.seasons)
        if s > 0
        for n in sorted(show.seasons[s].episodes)
        if show.seasons[s].episodes[n].first_aired
        and show.seasons[s].episodes[n].first_aired <= now
    ]


def _show_with(sandbox, aired_at_least):
    """A show the account never watched, with at least ``aired_at_least`` aired episodes."""
    state = sandbox.state
    catalog = state.catalog
    watched = {catalog.episodes[t].show.trakt for t in state.plays if t in catalog.episodes}
    for trakt in sorted(set(catalog.shows) - watched):
        aired = _aired_regular(catalog.shows[trakt])
        if len(aired) >= aired_at_least:
            return catalog.shows[trakt], aired
    raise AssertionError("no unwatched show with %d aired episodes" % aired_at_least)


def _watch(sandbox, show, episode, watched_at):
    sandbox.mutate("watch_episode", show=show.trakt, season=episode.season,
                   number=episode.number, watched_at=watched_at)  # fmt: skip


def _back_dated_play_of_a_later_episode(sandbox):
    show, aired = _show_with(sandbox, 6)
    _watch(sandbox, show, aired[0], "now-3d")
    _watch(sandbox, show, aired[1], "now-2d")
    _watch(sandbox, show, aired[3], "now-400d")  # logged later, dated long before
    return show, aired[4]


def _rewatch_of_an_early_episode(sandbox):
    show, aired = _show_with(sandbox, 6)
    for index, when in ((0, "now-9d"), (1, "now-8d"), (3, "now-7d"), (4, "now-6d")):
        _watch(sandbox, show, aired[index], when)  # aired[2] never watched
    _watch(sandbox, show, aired[0], "now-1d")  # the pilot again
    return show, aired[5]


def _gap_before_the_last_aired_episode(sandbox):
    show, aired = _show_with(sandbox, 3)
    _watch(sandbox, show, aired[0], "now-5d")
    _watch(sandbox, show, aired[-1], "now-4d")
    return show, None


@pytest.mark.parametrize(
    "story",
    [
        _back_dated_play_of_a_later_episode,
        _rewatch_of_an_early_episode,
        _gap_before_the_last_aired_episode,
    ],
    ids=lambda story: story.__name__.strip("_"),
)
def test_fixed_next_up_examples_follow_trakts_rule(sandbox, tmp_path, story):
    sandbox.clear_faults()
    sandbox.mutate("switch_user", username="rule-user", account="small", seed=7)
    show, expected = story(sandbox)
    store = TokenStore(str(tmp_path / "tokens.json"))
    store.save(Tokens.from_response(sandbox.issue_tokens()))
    client = make_client(sandbox, store)
    db = TraktSyncDatabase(str(tmp_path / "trakt_sync.db"))
    try:
        assert db.sync_activities(client, force=True).status == "ok"
        truth = comparable_truth(sandbox.truth())
        assert db.snapshot() == truth
        want = None if expected is None else {"season": expected.season, "number": expected.number}
        assert truth["next_up"].get(str(show.trakt)) == want
    finally:
        db.close()
        client.close()
