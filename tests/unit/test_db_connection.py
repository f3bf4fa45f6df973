"""Opening the database: corruption is moved aside and recreated, never a crash loop."""

from __future__ import annotations

import os
import random
import sqlite3

import pytest

from resources.lib.database import connection
from resources.lib.database.trakt_sync import TraktSyncDatabase


def _make_db(path, rows=200):
    db = TraktSyncDatabase(str(path))
    conn = db.connection
    with connection.write_transaction(conn):
        conn.executemany(
            "INSERT INTO movies (trakt_id, title, plays) VALUES (?, ?, 1)",
            [(i, "Movie %d with a long enough title to fill pages" % i) for i in range(1, rows)],
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def _corrupt_copies(folder):
    return sorted(n for n in os.listdir(folder) if ".corrupt-" in n)


def _assert_recovered(path):
    db = TraktSyncDatabase(str(path))
    try:
        assert db.recovered is not None
        assert os.path.exists(db.recovered)
        assert db.counts()["movies"] == 0
        assert db.schema_version() >= 1
    finally:
        db.close()
    again = TraktSyncDatabase(str(path))  # the recreated file is fine: no second recovery
    assert again.recovered is None
    again.close()


def test_healthy_database_is_not_recovered(tmp_path):
    path = tmp_path / "trakt_sync.db"
    _make_db(path)
    db = TraktSyncDatabase(str(path))
    assert db.recovered is None
    assert db.counts()["movies"] == 199
    db.close()


def test_random_bytes_are_moved_aside(tmp_path):
    path = tmp_path / "trakt_sync.db"
    path.write_bytes(bytes(random.Random(1).getrandbits(8) for _ in range(8192)))
    _assert_recovered(path)
    assert len(_corrupt_copies(tmp_path)) == 1


def test_zero_length_file_is_moved_aside(tmp_path):
    path = tmp_path / "trakt_sync.db"
    path.write_bytes(b"")
    _assert_recovered(path)


def test_truncated_file_is_moved_aside(tmp_path):
    path = tmp_path / "trakt_sync.db"
    _make_db(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 100])
    _assert_recovered(path)


def _damage_pages(path):
    _make_db(path, rows=2000)
    conn = sqlite3.connect(str(path))
    (last_root,) = conn.execute("SELECT MAX(rootpage) FROM sqlite_master").fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    page = 4096
    # Pages past every table's and index's root: the movies rows. Damage in a root page would
    # make every open fail (the schema is read), before any read could meet it.
    for offset in range(last_root * page + page, len(data) - page, page * 3):
        data[offset + 8 : offset + 200] = b"\xff" * 192
    path.write_bytes(bytes(data))


def test_damaged_pages_fail_quick_check_and_are_moved_aside(tmp_path):
    path = tmp_path / "trakt_sync.db"
    _damage_pages(path)
    moved = connection.check_integrity(str(path))  # the service's check
    assert moved is not None and os.path.exists(moved)
    assert not path.exists()
    assert _corrupt_copies(tmp_path) == [os.path.basename(moved)]
    db = TraktSyncDatabase(str(path))
    assert db.recovered is None and db.counts()["movies"] == 0
    db.close()
    assert connection.check_integrity(str(path)) is None  # a sound file stays where it is
    assert path.exists()


def test_an_ordinary_open_makes_only_the_cheap_checks(tmp_path, monkeypatch):
    path = tmp_path / "trakt_sync.db"
    _make_db(path)
    statements = []
    real_connect = sqlite3.connect

    def traced_connect(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(connection.sqlite3, "connect", traced_connect)
    db = TraktSyncDatabase(str(path))
    db.next_up()
    db.close()
    assert any("application_id" in s for s in statements), statements
    assert not [s for s in statements if "quick_check" in s.lower()]


def test_a_read_that_meets_damage_asks_the_service_for_the_full_check(tmp_path):
    path = tmp_path / "trakt_sync.db"
    _damage_pages(path)
    assert not connection.integrity_check_wanted(str(path))
    try:
        db = TraktSyncDatabase(str(path))
    except sqlite3.DatabaseError:  # the damage may already show while migrating
        db = None
    else:
        with pytest.raises(sqlite3.DatabaseError):
            db.snapshot()
    assert connection.integrity_check_wanted(str(path))
    assert (tmp_path / connection.INTEGRITY_MARKER).exists()
    if db is not None:  # the service's own connection: it moves the file aside and goes on
        moved = db.check_integrity()
        assert moved is not None and db.recovered == moved and db.counts()["movies"] == 0
        db.close()
    else:
        assert connection.check_integrity(str(path)) is not None
    assert not connection.integrity_check_wanted(str(path))


def test_a_busy_database_is_not_reported_as_damaged(tmp_path):
    path = tmp_path / "trakt_sync.db"
    _make_db(path)
    db = TraktSyncDatabase(str(path))
    assert not connection.reports_damage(sqlite3.OperationalError("database is locked"))
    assert not connection.reports_damage(sqlite3.IntegrityError("UNIQUE constraint failed"))
    assert connection.reports_damage(sqlite3.DatabaseError("database disk image is malformed"))
    assert db.check_integrity() is None and db.counts()["movies"] == 199
    db.close()
    assert not connection.integrity_check_wanted(str(path))


def test_wal_from_another_database_is_moved_aside_with_it(tmp_path):
    path = tmp_path / "trakt_sync.db"
    _make_db(path)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(str(other))
    conn.execute("PRAGMA page_size = 1024")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE x (y)")
    conn.execute("INSERT INTO x VALUES (1)")
    foreign = (tmp_path / "other.db-wal").read_bytes()
    conn.close()
    (tmp_path / "trakt_sync.db-wal").write_bytes(foreign)
    db = TraktSyncDatabase(str(path))
    try:
        assert db.recovered is not None
        assert os.path.exists(db.recovered + "-wal")
    finally:
        db.close()


def test_garbage_wal_is_moved_aside(tmp_path):
    path = tmp_path / "trakt_sync.db"
    _make_db(path)
    (tmp_path / "trakt_sync.db-wal").write_bytes(b"garbage" * 100)
    _assert_recovered(path)


def test_only_a_few_corrupt_copies_are_kept(tmp_path):
    path = tmp_path / "trakt_sync.db"
    for _ in range(connection.KEEP_CORRUPT_COPIES + 3):
        path.write_bytes(b"not a database at all" * 50)
        TraktSyncDatabase(str(path)).close()
    assert len(_corrupt_copies(tmp_path)) == connection.KEEP_CORRUPT_COPIES


def test_unrecoverable_location_raises_once(tmp_path, monkeypatch):
    path = tmp_path / "trakt_sync.db"
    path.write_bytes(b"junk" * 100)

    def refuse(_path):
        raise sqlite3.DatabaseError("file is not a database")

    monkeypatch.setattr(connection, "_connect", refuse)
    with pytest.raises(connection.DatabaseUnavailable):
        connection.open_database(str(path))


def test_write_transaction_rolls_back(tmp_path):
    db = TraktSyncDatabase(str(tmp_path / "t.db"))
    conn = db.connection
    with pytest.raises(RuntimeError):
        with connection.write_transaction(conn):
            conn.execute("INSERT INTO movies (trakt_id, plays) VALUES (1, 1)")
            raise RuntimeError
    assert db.counts()["movies"] == 0
    db.close()


def test_replaced_on_disk_after_another_process_moves_the_file_aside(tmp_path):
    path = str(tmp_path / "trakt_sync.db")
    db = TraktSyncDatabase(path)
    assert db.replaced_on_disk() is False
    db.counts()  # using the connection changes nothing
    assert db.replaced_on_disk() is False
    connection.move_aside(path)  # what a plugin call does when it finds the file corrupt
    assert db.replaced_on_disk() is True  # a missing file counts as replaced
    other = TraktSyncDatabase(path)  # ... and the fresh database it creates
    assert db.replaced_on_disk() is True and other.replaced_on_disk() is False
    db.close()
    reopened = TraktSyncDatabase(path)
    assert reopened.replaced_on_disk() is False
    other.close()
    reopened.close()


def test_in_memory_database_is_never_replaced():
    db = TraktSyncDatabase(":memory:")
    assert db.replaced_on_disk() is False
    db.close()


def test_opening_again_in_the_same_process_keeps_the_other_connections_locks(tmp_path):
    """Kodi's interpreters share one process: a header read must not drop their POSIX locks,
    or another process closing the database deletes a -wal that is still in use."""
    import subprocess
    import sys

    from resources.lib.database.connection import open_database, write_transaction

    path = str(tmp_path / "trakt_sync.db")
    first, _ = open_database(path)
    with write_transaction(first):
        first.execute("CREATE TABLE kept (value INTEGER)")
        first.execute("INSERT INTO kept VALUES (1)")
    assert os.path.getsize(path + "-wal") > 0

    second, _ = open_database(path)  # reads the header again, as a plugin call would
    outside = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "c.execute('SELECT count(*) FROM kept').fetchall(); c.close()"
    )
    subprocess.run([sys.executable, "-c", outside, path], check=True, timeout=30)

    assert os.path.exists(path + "-wal"), "another process deleted the -wal still in use"
    assert [tuple(row) for row in first.execute("SELECT value FROM kept")] == [(1,)]
    second.close()
    first.close()
