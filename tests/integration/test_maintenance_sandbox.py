"""Clear, rebuild and the legacy migration against the local Trakt sandbox."""

from __future__ import annotations

import json
import os

import pytest

from resources.lib.database.maintenance import clear_database, database_info, rebuild_database
from resources.lib.database.migration import run_migration
from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.tokens import Tokens, TokenStore
from sandbox.server import Sandbox


@pytest.fixture
def sandbox():
    with Sandbox(account="small", seed=3, port=0) as sb:
        yield sb


@pytest.fixture
def client(sandbox, tmp_path):
    store = TokenStore(str(tmp_path / "trakt_tokens.json"))
    store.save(Tokens.from_response(sandbox.issue_tokens()))
    with TraktClient(
        sandbox.client_id, sandbox.client_secret, token_store=store,
        api_url=sandbox.url, oauth_url=sandbox.url, retry_base=0.01, backoff_cap=0.05,
    ) as trakt:  # fmt: skip
        yield trakt


def _sync(db_path, client, **kwargs):
    with TraktSyncDatabase(db_path) as db:
        return db.sync_activities(client, **kwargs)


def _snapshot(db_path):
    with TraktSyncDatabase(db_path) as db:
        return db.snapshot()


def _mirror_matches(db_path, sandbox):
    snap, truth = _snapshot(db_path), sandbox.truth()
    for key in ("movies", "episodes", "watchlist", "playback", "hidden", "next_up"):
        assert snap[key] == truth[key], key
    return snap


def test_clear_keeps_the_timestamps_and_the_next_sync_refills_everything(sandbox, client, tmp_path):
    db_path = str(tmp_path / "trakt_sync.db")
    assert _sync(db_path, client).status == "ok"
    before = database_info(db_path)
    assert before["counts"]["episodes"] > 0

    clear_database(db_path)

    cleared = database_info(db_path)
    assert cleared["counts"]["episodes"] == 0 and cleared["counts"]["movies"] == 0
    assert cleared["last_sync_ts"] == before["last_sync_ts"]
    # Nothing changed on Trakt, yet the next sync (forced past the 5-minute throttle, as the
    # next scheduled one would be later) fetches every category again.
    result = _sync(db_path, client, force=True)
    assert result.status == "ok"
    assert database_info(db_path)["counts"] == before["counts"]
    _mirror_matches(db_path, sandbox)


def test_the_next_sync_after_clear_runs_at_once(sandbox, client, tmp_path):
    # Issue 10 (and the README): Clear makes the next sync run at once (it used to stay
    # throttled for the rest of the 5 minutes, leaving the lists empty).
    db_path = str(tmp_path / "trakt_sync.db")
    assert _sync(db_path, client).status == "ok"
    assert _sync(db_path, client).status == "throttled"

    clear_database(db_path)

    assert _sync(db_path, client).status == "ok"
    assert _sync(db_path, client).status == "throttled"


def test_rebuild_deletes_everything_and_syncs_at_once(sandbox, client, tmp_path):
    db_path = str(tmp_path / "trakt_sync.db")
    assert _sync(db_path, client).status == "ok"
    sandbox.mutate("watch_movie", movie=int(next(iter(sandbox.truth()["movies"]))))
    progress = []

    result = rebuild_database(db_path, client, on_progress=lambda p, label: progress.append(p))

    assert result.status == "ok"
    assert progress and progress[-1] == 100
    _mirror_matches(db_path, sandbox)
    with TraktSyncDatabase(db_path) as db:
        assert db.sync_history(limit=1)[0]["trigger"] == "manual"


def test_rebuild_without_network_leaves_a_clear_status(sandbox, client, tmp_path):
    db_path = str(tmp_path / "trakt_sync.db")
    sandbox.add_fault("500", path=".*", count=1000)

    result = rebuild_database(db_path, client)

    assert result.status in ("error", "partial") and result.error


def test_migrated_legacy_data_is_corrected_by_the_first_sync(sandbox, client, tmp_path):
    truth = sandbox.truth()
    watched = [
        {"plays": plays, "movie": {"title": "m", "ids": {"trakt": int(movie)}}}
        for movie, plays in truth["movies"].items()
    ]
    stale = {"plays": 4, "movie": {"title": "Unwatched since", "ids": {"trakt": 987654321}}}
    cache = tmp_path / "cache"
    cache.mkdir()
    body = {"timestamp": 1.0, "cache_type": "watched_movies", "identifier": "trakt",
            "data": watched + [stale]}  # fmt: skip
    (cache / ("watched_movies_" + "b" * 32 + ".json")).write_text(json.dumps(body))
    db_path = str(tmp_path / "trakt_sync.db")

    migrated = run_migration(str(tmp_path), db_path)

    assert migrated.counts["watched_movies"] == len(truth["movies"]) + 1
    assert "987654321" in _snapshot(db_path)["movies"]
    assert _sync(db_path, client, trigger="auto").status == "ok"
    snap = _mirror_matches(db_path, sandbox)
    assert "987654321" not in snap["movies"]
    assert os.path.exists(str(tmp_path / ".migration_complete"))
