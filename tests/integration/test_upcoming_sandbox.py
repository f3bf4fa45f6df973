"""Upcoming and Recently Watched after a real sync with the Trakt sandbox: the facade's lists
equal what the sandbox's own state says (its generated accounts have episodes airing in the
coming days), hiding a show on Trakt takes it out, and the command line prints both."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from resources.lib.database.trakt_sync import metadata
from resources.lib.database.trakt_sync.items import now_iso
from tests.support.cli_run import ROOT
from tests.support.sync_rig import SyncRig, hidden_progress_shows

DAY_MS = 86_400_000


@pytest.fixture(params=["small", "medium"])
def rig(tmp_path, request):
    rig = SyncRig(str(tmp_path), request.param)
    assert rig.sync().status == "ok"
    yield rig
    rig.close()


def _expected_upcoming(rig, now):
    """From the sandbox's catalogue: episodes of watched, not hidden/dropped shows airing in
    (now, now + 14 days], for the shows whose episode list the sync keeps (the rule README and
    metadata.py state): watched in the last FOLLOWING_DAYS days, or with an episode left to
    watch (Next Up needs the list). A show caught up and last watched longer ago is not listed
    until its next episode has aired; the generated accounts follow the date, so some days they
    hold such a show with an episode in the window."""
    truth = rig.truth()
    left_out = hidden_progress_shows(truth)
    state = rig.sandbox.state
    catalog = state.catalog
    now_ms = int(now * 1000)
    since_ms = now_ms - metadata.FOLLOWING_DAYS * DAY_MS
    last_watched = {str(show.trakt): last for show, _, last, _ in state.watched_shows()}
    wanted = set()
    for show_id in truth["episodes"]:
        if show_id in left_out:
            continue
        if show_id not in truth["next_up"] and last_watched.get(show_id, 0) < since_ms:
            continue
        for episode in catalog.shows[int(show_id)].ordered_episodes(specials=True):
            aired = episode.first_aired
            if aired is not None and now_ms < aired <= now_ms + 14 * DAY_MS:
                wanted.add((int(show_id), episode.season, episode.number))
    return wanted


def _keys(rows):
    return {(row["show_trakt_id"], row["season"], row["number"]) for row in rows}


def test_upcoming_equals_the_sandbox_episodes_of_the_next_fourteen_days(rig):
    now = time.time()
    rows = rig.db.upcoming(now=now)
    wanted = _expected_upcoming(rig, now)
    assert len(wanted) >= 5, "the sandbox account should have episodes airing soon"
    assert _keys(rows) == wanted
    stamps = [row["first_aired"] for row in rows]
    assert stamps == sorted(stamps) and all(now_iso(now) < stamp for stamp in stamps)


def test_hiding_a_show_on_trakt_takes_it_out_of_upcoming(rig):
    show_id = sorted(_expected_upcoming(rig, time.time()))[0][0]
    rig.sandbox.mutate("hide", section="dropped", type="show", id=show_id)
    assert rig.sync().status == "ok"
    now = time.time()
    assert show_id not in {key[0] for key in _keys(rig.db.upcoming(now=now))}
    assert _keys(rig.db.upcoming(now=now)) == _expected_upcoming(rig, now)


def _latest_plays(rig):
    """item -> its latest play (epoch ms), from the sandbox's history. An episode is named by
    show and numbers: the mirror knows an episode's own Trakt id only with its show's metadata."""
    latest = {}
    for entry in rig.sandbox.state.history.values():
        item = entry.item
        key = ("movie", item.trakt) if not hasattr(item, "season") else (
            "episode", item.show.trakt, item.season, item.number)  # fmt: skip
        latest[key] = max(latest.get(key, 0), entry.watched_at)
    return latest


def _key(row):
    if row["type"] == "movie":
        return ("movie", row["trakt_id"])
    return ("episode", row["show_trakt_id"], row["season"], row["number"])


def test_recently_watched_are_the_fifty_latest_plays_of_the_sandbox(rig):
    rows = rig.db.recently_watched()
    latest = _latest_plays(rig)
    newest = sorted(latest.values(), reverse=True)[:50]
    assert len(rows) == 50
    assert [row["last_watched_at"] for row in rows] == [now_iso(ms / 1000.0) for ms in newest]
    for row in rows:
        assert now_iso(latest[_key(row)] / 1000.0) == row["last_watched_at"]
        if row["type"] == "episode":
            assert row["show_title"] and row["season"] is not None


def test_a_new_play_comes_first(rig):
    show_id, season, number = sorted(_expected_upcoming(rig, time.time()))[0]
    rig.sandbox.mutate("watch_episode", show=show_id, season=1, number=1)
    assert rig.sync().status == "ok"
    first = rig.db.recently_watched()[0]
    assert (first["show_trakt_id"], first["season"], first["number"]) == (show_id, 1, 1)


def _cli(rig, command, zone):
    env = dict(os.environ, TZ=zone)
    folder = os.path.dirname(rig.db_path)
    return subprocess.run(
        [sys.executable, "-m", "resources.lib.cli", "--data-dir", folder, command],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_command_line_prints_both_lists(rig):
    rows = rig.db.upcoming()
    out = _cli(rig, "upcoming", "UTC")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "Upcoming (%d):" % len(rows)
    episode_lines = [line for line in lines if line.startswith("    ")]
    assert len(episode_lines) == len(rows)
    day_lines = [line for line in lines[1:] if not line.startswith("    ")]
    assert day_lines and len(day_lines) <= 15
    first = rows[0]
    code = "S%02dE%02d" % (first["season"], first["number"])
    assert first["first_aired"][11:16] in episode_lines[0] and code in episode_lines[0]
    recent = _cli(rig, "recent", "UTC")
    assert recent.returncode == 0, recent.stderr
    recent_lines = recent.stdout.splitlines()
    assert recent_lines[0] == "Recently watched (50):" and len(recent_lines) == 51
    newest = rig.db.recently_watched()[0]
    assert recent_lines[1].startswith("  " + newest["last_watched_at"][:10])
