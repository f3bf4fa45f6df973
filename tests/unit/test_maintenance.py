"""Database info, clear and vacuum (resources/lib/database/maintenance.py) without a network."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time

import pytest

from resources.lib.database import maintenance
from resources.lib.database.connection import open_database
from resources.lib.database.maintenance import (
    DatabaseBusy,
    MaintenanceError,
    clear_database,
    database_info,
    vacuum_database,
)
from resources.lib.database.migration import run_migration
from resources.lib.database.schema import LATEST_VERSION, migrate
from resources.lib.database.trakt_sync import lease

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "legacy_cache", "upgrade_2_7")
SYNCED_AT = "2026-03-01T10:00:00.000Z"


@pytest.fixture
def db_path(tmp_path):
    """A mirror holding the legacy fixture's data plus synced activities and a last sync time."""
    data_dir = tmp_path / "data"
    shutil.copytree(FIXTURE, str(data_dir))
    path = str(data_dir / "trakt_sync.db")
    assert run_migration(str(data_dir), path).flag_written
    conn, _ = open_database(path)
    conn.execute(
        "INSERT INTO activities (category, cursor, synced_at) VALUES "
        "('watched_movies', '{\"movies.watched_at\": \"2026-03-01T09:00:00.000Z\"}', ?), "
        "('watchlist', '{\"movies.watchlisted_at\": \"2026-02-01T09:00:00.000Z\"}', ?)",
        (SYNCED_AT, SYNCED_AT),
    )
    conn.execute("INSERT INTO meta (key, value) VALUES ('last_sync_at', ?)", (SYNCED_AT,))
    conn.execute(
        "INSERT INTO bookmarks (playback_id, media_type, trakt_id, progress) "
        "VALUES (1, 'movie', 7, 40)"
    )
    conn.close()
    return path


def _count(path, table):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM " + table).fetchone()[0]
    finally:
        conn.close()


def _hold_lease(path, owner="other-process"):
    conn, _ = open_database(path)
    assert lease.acquire(conn, owner)
    return conn


def test_info_counts_every_mirror_table(db_path):
    reader, _ = open_database(db_path)  # another process keeps the -wal file alive
    reader.execute("INSERT INTO meta (key, value) VALUES ('note', 'x')")
    try:
        info = database_info(db_path)
        wal = os.path.getsize(db_path + "-wal")
    finally:
        reader.close()

    assert info["counts"] == {
        "shows": 3, "episodes": 74, "movies": 3, "watchlist": 5, "bookmarks": 1, "hidden": 2,
        "collection": 1, "ratings": 0,
    }  # fmt: skip
    assert info["last_sync_ts"] == 1772359200.0  # 2026-03-01T10:00:00Z
    assert info["schema_version"] == LATEST_VERSION
    assert wal > 0 and info["wal_bytes"] == wal
    assert info["size_bytes"] == info["db_bytes"] + wal
    assert info["sync_running"] is False


def test_info_counts_only_tables_that_exist(tmp_path):
    path = str(tmp_path / "old.db")
    conn, _ = open_database(path)
    migrate(conn, target=1)  # before collection and ratings existed
    conn.close()

    info = database_info(path)

    assert "collection" not in info["counts"] and "ratings" not in info["counts"]
    assert info["counts"]["shows"] == 0 and info["schema_version"] == 1
    assert info["last_sync_ts"] is None


def test_info_on_a_missing_database_creates_nothing(tmp_path):
    path = str(tmp_path / "none.db")

    info = database_info(path)

    assert info["exists"] is False and info["counts"] == {} and info["size_bytes"] == 0
    assert not os.path.exists(path)


def test_clear_deletes_data_but_keeps_activity_timestamps(db_path):
    deleted = clear_database(db_path)

    assert deleted["episodes"] == 74 and deleted["movies"] == 3 and deleted["bookmarks"] == 1
    for table in maintenance.DATA_TABLES:
        assert _count(db_path, table) == 0
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT category, cursor, synced_at FROM activities ORDER BY 1").fetchall()
    last = conn.execute("SELECT value FROM meta WHERE key = 'last_sync_at'").fetchone()
    conn.close()
    # Timestamps kept for display; cursors emptied so the engine re-fetches every unit.
    assert rows == [("watched_movies", "{}", SYNCED_AT), ("watchlist", "{}", SYNCED_AT)]
    assert last == (SYNCED_AT,)
    assert database_info(db_path)["last_sync_ts"] == 1772359200.0


def test_clear_refuses_while_a_sync_holds_the_lease(db_path):
    holder = _hold_lease(db_path)
    try:
        with pytest.raises(DatabaseBusy, match="a sync is running"):
            clear_database(db_path)
    finally:
        holder.close()
    assert _count(db_path, "episodes") == 74


def test_clear_that_fails_midway_changes_nothing(db_path):
    conn = sqlite3.connect(db_path)
    conn.execute(
        "CREATE TRIGGER no_delete BEFORE DELETE ON watchlist BEGIN SELECT RAISE(ABORT, 'disk'); END"
    )
    conn.commit()
    conn.close()

    with pytest.raises(MaintenanceError, match="cannot clear the database"):
        clear_database(db_path)

    assert _count(db_path, "episodes") == 74 and _count(db_path, "movies") == 3
    assert _count(db_path, "sync_lease") == 0  # the maintenance lease was released


def test_vacuum_reports_sizes_and_shrinks_a_database_with_free_pages(tmp_path):
    path = str(tmp_path / "big.db")
    conn, _ = open_database(path)
    migrate(conn)
    conn.executemany(
        "INSERT INTO movies (trakt_id, title, plays) VALUES (?, ?, 1)",
        [(i, "x" * 500) for i in range(1, 5001)],
    )
    conn.execute("DELETE FROM movies")
    conn.close()

    before, after = vacuum_database(path)

    assert before > 2_000_000
    assert after < before / 4
    assert after == os.path.getsize(path) + (
        os.path.getsize(path + "-wal") if os.path.exists(path + "-wal") else 0
    )
    assert _count(path, "sync_lease") == 0


def test_vacuum_refuses_politely_while_a_sync_holds_the_lease(db_path):
    holder = _hold_lease(db_path)
    started = time.monotonic()
    try:
        with pytest.raises(DatabaseBusy) as caught:
            vacuum_database(db_path)
    finally:
        holder.close()
    assert time.monotonic() - started < 2
    assert "sync is running" in str(caught.value)


def test_vacuum_gives_up_on_a_locked_database_instead_of_hanging(db_path, monkeypatch):
    monkeypatch.setattr(maintenance, "BUSY_TIMEOUT_SECONDS", 0.3)
    writer = sqlite3.connect(db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    try:
        with pytest.raises(DatabaseBusy, match="locked"):
            vacuum_database(db_path)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert time.monotonic() - started < 3


def test_vacuum_of_a_missing_database_is_a_clear_error(tmp_path):
    with pytest.raises(MaintenanceError, match="no database"):
        vacuum_database(str(tmp_path / "missing.db"))


def test_an_expired_lease_does_not_block_maintenance(db_path):
    conn, _ = open_database(db_path)
    assert lease.acquire(conn, "dead-process", seconds=-1)
    conn.close()

    assert clear_database(db_path)["movies"] == 3
