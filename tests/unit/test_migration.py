"""The legacy 2.7.x JSON cache import (resources/lib/database/migration.py)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3

import pytest

from resources.lib.database import migration
from resources.lib.database.migration import FLAG_NAME, run_migration

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "legacy_cache", "upgrade_2_7")
TABLES = ("movies", "shows", "episodes", "watchlist", "hidden", "collection", "activities", "meta")


@pytest.fixture
def data_dir(tmp_path):
    target = tmp_path / "addon_data"
    shutil.copytree(FIXTURE, str(target))
    return str(target)


def _db(data_dir):
    return os.path.join(data_dir, "trakt_sync.db")


def _dump(db_path):
    conn = sqlite3.connect(db_path)
    try:
        return {t: sorted(conn.execute("SELECT * FROM " + t).fetchall(), key=repr) for t in TABLES}
    finally:
        conn.close()


def _query(db_path, sql, params=()):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_realistic_cache_is_imported_in_one_run(data_dir):
    result = run_migration(data_dir, _db(data_dir))

    assert result.error is None and result.flag_written
    assert result.counts["watchlist_movies"] == 3
    assert result.counts["watchlist_shows"] == 2
    assert result.counts["watched_movies"] == 3  # the entry without ids is skipped
    assert result.counts["items_skipped"] == 1
    assert result.counts["watched_shows"] == 3
    assert result.counts["watched_episodes"] == 62 + 12
    assert result.counts["hidden_shows"] == 2
    db = _db(data_dir)
    assert _query(db, "SELECT trakt_id, plays FROM movies ORDER BY trakt_id") == [
        (124, 1), (5221, 1), (16662, 3)
    ]  # fmt: skip
    assert _query(db, "SELECT title FROM movies WHERE trakt_id = 124") == [
        ("Le Fabuleux Destin d'Amélie Poulain",)
    ]
    assert _query(
        db, "SELECT media_type, trakt_id, rank, notes FROM watchlist ORDER BY media_type, rank"
    ) == [
        ("movie", 614093, 1, None),
        ("movie", 96, 2, "with the kids"),
        ("movie", 207703, 3, None),
        ("show", 158914, 1, None),
        ("show", 118581, 2, None),
    ]
    # Severance: S1 complete, S2E1 watched twice; aired count from the show itself.
    assert _query(
        db, "SELECT plays FROM episodes WHERE show_id = 154574 AND season = 2 AND number = 1"
    ) == [(2,)]
    assert _query(
        db,
        "SELECT trakt_id, aired_episodes, completed_episodes, has_metadata FROM shows "
        "ORDER BY trakt_id",
    ) == [(1388, 62, 62, 0), (118581, None, 0, 0), (154574, 19, 12, 0)]
    assert _query(db, "SELECT section, media_type, trakt_id, title FROM hidden ORDER BY 3") == [
        ("progress_watched", "show", 1388, "Breaking Bad"),
        ("progress_watched", "show", 99999, None),
    ]
    assert _query(db, "SELECT media_type, trakt_id FROM collection") == [("movie", 16662)]


def test_migrated_rows_set_no_sync_cursor(data_dir):
    run_migration(data_dir, _db(data_dir))

    assert _query(_db(data_dir), "SELECT * FROM activities") == []
    assert _query(_db(data_dir), "SELECT * FROM meta WHERE key = 'last_sync_at'") == []
    assert _query(_db(data_dir), "SELECT * FROM sync_runs") == []


def test_bad_files_are_skipped_with_one_log_line_each(data_dir, caplog):
    with open(os.path.join(data_dir, "cache", "notes.json"), "w") as f:
        f.write("{}")
    caplog.set_level(logging.INFO, logger=migration.__name__)

    result = run_migration(data_dir, _db(data_dir))

    reasons = dict(result.skipped)
    assert reasons.pop("notes.json") == "unknown cache file"
    assert reasons.pop("recommendations_movies_7ff340b770a02e9801035b5c4fd47603.json") == (
        "unknown cache file"
    )
    assert reasons.pop("show_progress_trakt_118581_3c5875fe2a75d9632f465faf16ec007b.json") == (
        "old cache format (no data field)"
    )
    assert reasons.pop("watched_movies_586481e3d26d4844e7dcab1703547cb4.json") == (
        "old cache format (no wrapper object)"
    )
    truncated = reasons.pop("show_progress_trakt_1388_31f449e718386328d8fee37b7b046723.json")
    assert truncated.startswith("corrupt or truncated JSON")
    assert reasons.pop("show_progress_tt5753856_e3d33808768854cf2ec3d81083bf9790.json") == (
        "corrupt or truncated JSON (Expecting value)"
    )
    assert reasons == {}
    skip_lines = [r for r in caplog.records if "legacy cache: skipped" in r.getMessage()]
    assert len(skip_lines) == len(result.skipped) == 6
    # AIOStreams caches (manifest, catalog, headers, metadata) are ignored without a word.
    assert result.ignored == 5
    assert not [r for r in caplog.records if "manifest" in r.getMessage()]
    # The rest of the cache is still imported.
    assert result.counts["watched_episodes"] == 74
    summary = [r.getMessage() for r in caplog.records if "Legacy cache migrated" in r.getMessage()]
    assert summary and "74 watched episodes" in summary[0] and "file(s) skipped" in summary[0]


def test_running_twice_gives_the_same_rows(data_dir):
    db = _db(data_dir)
    run_migration(data_dir, db)
    first = _dump(db)
    os.remove(os.path.join(data_dir, FLAG_NAME))

    again = run_migration(data_dir, db)

    assert again.flag_written and again.counts["watched_episodes"] == 74
    assert _dump(db) == first


def test_flag_prevents_a_second_run(data_dir):
    db = _db(data_dir)
    run_migration(data_dir, db)
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM movies")

    result = run_migration(data_dir, db)

    assert result.already_done and not result.flag_written
    assert _query(db, "SELECT COUNT(*) FROM movies") == [(0,)]


def test_no_cache_writes_the_flag_and_logs_the_transition(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger=migration.__name__)

    result = run_migration(str(tmp_path), str(tmp_path / "trakt_sync.db"))

    assert result.flag_written and not result.cache_found
    assert (tmp_path / FLAG_NAME).exists()
    assert "Legacy cache not found; nothing to migrate" in caplog.text
    assert not (tmp_path / "trakt_sync.db").exists()


class _FailingCommit:
    """A connection whose COMMIT fails, as on a full disk."""

    def __init__(self, conn):
        self._conn = conn

    def execute(self, sql, *args):
        if sql.strip().upper() == "COMMIT":
            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def test_failed_commit_writes_no_flag_and_no_rows(data_dir, monkeypatch):
    real_open = migration._open
    monkeypatch.setattr(migration, "_open", lambda path: _FailingCommit(real_open(path)))

    result = run_migration(data_dir, _db(data_dir))

    assert not result.flag_written and "disk is full" in result.error
    assert not os.path.exists(os.path.join(data_dir, FLAG_NAME))
    assert [n for n in os.listdir(data_dir) if n.startswith(FLAG_NAME)] == []
    assert _query(_db(data_dir), "SELECT COUNT(*) FROM episodes") == [(0,)]
    assert result.counts["watched_episodes"] == 0
    # The next start tries again and succeeds.
    monkeypatch.undo()
    assert run_migration(data_dir, _db(data_dir)).counts["watched_episodes"] == 74


def test_unwritable_database_leaves_the_flag_unwritten(data_dir):
    db = os.path.join(data_dir, "is_a_folder.db")
    os.makedirs(db)

    result = run_migration(data_dir, db)

    assert result.error and not result.flag_written


def test_a_synced_mirror_is_not_overwritten_by_the_cache(data_dir):
    db = _db(data_dir)
    with sqlite3.connect(db) as conn:
        from resources.lib.database.schema import migrate

        migrate(conn)
        conn.execute(
            "INSERT INTO activities (category, cursor, synced_at) VALUES ('watched_movies', "
            "'{}', '2026-01-01T00:00:00.000Z')"
        )

    result = run_migration(data_dir, db)

    assert result.flag_written
    assert _query(db, "SELECT COUNT(*) FROM movies") == [(0,)]


def test_tens_of_thousands_of_episodes_import_in_one_run(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    shows = []
    for show in range(1, 401):
        seasons = [
            {
                "number": s,
                "episodes": [
                    {"number": e, "plays": 1, "last_watched_at": "2025-01-02T03:04:05.000Z"}
                    for e in range(1, 21)
                ],
            }
            for s in range(1, 6)
        ]
        shows.append(
            {"plays": 100, "show": {"title": f"Show {show}", "ids": {"trakt": show}},
             "seasons": seasons}
        )  # fmt: skip
    wrapper = {"timestamp": 1.0, "cache_type": "watched_shows", "identifier": "trakt",
               "data": shows}  # fmt: skip
    (cache / ("watched_shows_" + "a" * 32 + ".json")).write_text(json.dumps(wrapper))
    result = run_migration(str(tmp_path), str(tmp_path / "trakt_sync.db"))

    assert result.counts["watched_episodes"] == 40000
    assert _query(str(tmp_path / "trakt_sync.db"), "SELECT SUM(completed_episodes) FROM shows") == [
        (40000,)
    ]


def test_play_count_beyond_sqlite_range_skips_only_that_item(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    movies = [
        {"plays": 2**63, "movie": {"title": "Too many", "ids": {"trakt": 1}}},
        {"plays": 2, "movie": {"title": "Fine", "ids": {"trakt": 2}}},
    ]
    wrapper = {"timestamp": 1.0, "cache_type": "watched_movies", "identifier": "trakt",
               "data": movies}  # fmt: skip
    (cache / ("watched_movies_" + "b" * 32 + ".json")).write_text(json.dumps(wrapper))

    result = run_migration(str(tmp_path), str(tmp_path / "trakt_sync.db"))

    assert result.flag_written
    assert _query(str(tmp_path / "trakt_sync.db"), "SELECT trakt_id, plays FROM movies") == [(2, 2)]
