"""Schema migrations: each version upgrades a database created by the previous one, keeping data."""

from __future__ import annotations

import sqlite3

import pytest

from resources.lib.database import schema
from resources.lib.database.connection import open_database
from resources.lib.database.trakt_sync import TraktSyncDatabase


def _open(path):
    conn, recovered = open_database(str(path))
    assert recovered is None
    return conn


def _fill_v1(conn):
    conn.execute("INSERT INTO meta (key, value) VALUES ('trakt_user', 'alice')")
    conn.execute("INSERT INTO shows (trakt_id, title) VALUES (1, 'Show')")
    conn.execute(
        "INSERT INTO episodes (show_id, season, number, plays, last_watched_at) "
        "VALUES (1, 1, 1, 2, '2020-01-01T00:00:00.000Z')"
    )
    conn.execute("INSERT INTO movies (trakt_id, title, plays) VALUES (5, 'Movie', 1)")
    conn.execute("INSERT INTO watchlist (media_type, trakt_id, rank) VALUES ('movie', 6, 1)")
    conn.execute(
        "INSERT INTO bookmarks (playback_id, media_type, trakt_id, progress) "
        "VALUES (9, 'movie', 5, 50)"
    )
    conn.execute(
        "INSERT INTO hidden (section, media_type, trakt_id) VALUES ('progress_watched', 'show', 1)"
    )
    conn.execute(
        "INSERT INTO activities (category, cursor, synced_at) VALUES ('watched_movies', '{}', 'x')"
    )


def _user_rows(conn):
    tables = ("meta", "shows", "episodes", "movies", "watchlist", "bookmarks", "hidden",
              "activities")  # fmt: skip
    return {
        t: [dict(r) for r in conn.execute("SELECT * FROM " + t + " ORDER BY 1")] for t in tables
    }


def _same_data(before, after):
    """Every old row is still there with the same values (new columns may be added)."""
    for table, rows in before.items():
        assert len(after[table]) == len(rows), table
        for old, new in zip(rows, after[table]):
            assert {k: new[k] for k in old} == old, table


def test_migrations_are_named_and_ordered():
    versions = [version for version, _, _ in schema.MIGRATIONS]
    assert versions == sorted(versions) == list(range(1, len(versions) + 1))
    assert len({name for _, name, _ in schema.MIGRATIONS}) == len(versions)
    assert schema.LATEST_VERSION >= 2


def test_new_database_is_at_latest_version_with_every_migration_recorded(tmp_path):
    db = TraktSyncDatabase(str(tmp_path / "t.db"))
    assert db.schema_version() == schema.LATEST_VERSION
    rows = db.connection.execute("SELECT version, name FROM schema_migrations ORDER BY 1")
    assert [tuple(r) for r in rows] == [(v, n) for v, n, _ in schema.MIGRATIONS]
    db.close()


@pytest.mark.parametrize("start", range(1, schema.LATEST_VERSION))
def test_upgrade_from_each_previous_version_keeps_user_data(tmp_path, start):
    path = tmp_path / "t.db"
    conn = _open(path)
    assert schema.migrate(conn, target=start) == start
    _fill_v1(conn)
    before = _user_rows(conn)
    for version in range(start + 1, schema.LATEST_VERSION + 1):
        assert schema.migrate(conn, target=version) == version
        _same_data(before, _user_rows(conn))
    conn.close()
    db = TraktSyncDatabase(str(path))  # re-open: nothing left to apply
    assert db.schema_version() == schema.LATEST_VERSION
    assert db.counts()["movies"] == 1
    db.close()


def test_version_two_adds_collection_and_ratings(tmp_path):
    conn = _open(tmp_path / "t.db")
    schema.migrate(conn, target=1)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "collection" not in names
    schema.migrate(conn, target=2)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"collection", "ratings"} <= names
    conn.close()


def test_version_four_marks_shows_without_metadata_pending(tmp_path):
    conn = _open(tmp_path / "t.db")
    schema.migrate(conn, target=3)
    conn.execute("INSERT INTO shows (trakt_id, title, metadata_checked_ts) VALUES (1, 'a', 5)")
    conn.execute("INSERT INTO shows (trakt_id, title, has_metadata) VALUES (2, 'b', 1)")
    schema.migrate(conn, target=4)
    rows = conn.execute("SELECT trakt_id, title, metadata_pending FROM shows ORDER BY 1")
    assert [tuple(r) for r in rows] == [(1, "a", 1), (2, "b", 0)]
    conn.close()


def test_version_three_adds_read_indexes(tmp_path):
    conn = _open(tmp_path / "t.db")
    schema.migrate(conn)
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"episodes_watched", "watchlist_by_rank", "bookmarks_by_paused"} <= indexes
    conn.close()


def test_failed_migration_leaves_previous_version(tmp_path, monkeypatch):
    conn = _open(tmp_path / "t.db")
    schema.migrate(conn, target=1)
    broken = schema.MIGRATIONS[:1] + ((2, "broken", ("CREATE TABLE ratings (x)", "NOT SQL")),)
    monkeypatch.setattr(schema, "MIGRATIONS", broken)
    with pytest.raises(sqlite3.Error):
        schema.migrate(conn, target=2)
    assert schema.current_version(conn) == 1
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "ratings" not in names
    conn.close()


def test_newer_database_is_left_alone(tmp_path):
    conn = _open(tmp_path / "t.db")
    schema.migrate(conn)
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'x')")
    assert schema.migrate(conn) == 99
    conn.close()


def test_pragmas(tmp_path):
    db = TraktSyncDatabase(str(tmp_path / "t.db"))
    conn = db.connection
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
    db.close()
