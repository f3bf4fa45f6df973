"""Files of the mirror on disk: private modes, foreign and symlinked databases, read-only opens,
size caps and hostile contents of the token and scrobble outbox files."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat

import pytest

from resources.lib.database import connection, storage
from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.scrobble.legacy_outbox import migrate_legacy
from resources.lib.scrobble.queue import ScrobbleQueue
from resources.lib.trakt.tokens import MAX_FILE_BYTES, TokenStore


def mode(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


def test_new_database_and_its_side_files_are_private_in_a_private_folder(tmp_path):
    old_umask = os.umask(0o022)  # the usual umask: files 0644, folders 0755 unless we say so
    try:
        folder = tmp_path / "addon_data" / "plugin.video.aiostreams"
        db = TraktSyncDatabase(str(folder / "trakt_sync.db"))
        db.counts()
        names = sorted(n for n in os.listdir(str(folder)) if n.startswith("trakt_sync.db"))
        assert names == ["trakt_sync.db", "trakt_sync.db-shm", "trakt_sync.db-wal"]
        assert {name: mode(folder / name) for name in names} == {name: 0o600 for name in names}
        assert mode(folder) == 0o700
        db.close()
    finally:
        os.umask(old_umask)


def test_an_existing_database_of_ours_is_tightened_to_0600(tmp_path):
    path = tmp_path / "trakt_sync.db"
    TraktSyncDatabase(str(path)).close()
    os.chmod(str(path), 0o644)
    TraktSyncDatabase(str(path)).close()
    assert mode(path) == 0o600


def _foreign(path, application_id=0, wal=False):
    conn = sqlite3.connect(str(path))
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    if application_id:
        conn.execute("PRAGMA application_id = %d" % application_id)
    conn.execute("CREATE TABLE moz_places (url TEXT)")
    conn.execute("INSERT INTO moz_places VALUES ('https://example.org')")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("application_id", [0, 0x0F055112])
@pytest.mark.parametrize("wal", [False, True])
def test_a_foreign_sqlite_database_is_refused_untouched(tmp_path, application_id, wal):
    path = tmp_path / "trakt_sync.db"
    _foreign(path, application_id, wal)
    before = path.read_bytes()
    for read_only in (False, True):
        with pytest.raises(storage.ForeignDatabase) as raised:
            connection.open_database(str(path), read_only=read_only)
        assert raised.value.code == "foreign_database"
        assert "another program" in str(raised.value)
    with pytest.raises(storage.ForeignDatabase):
        TraktSyncDatabase(str(path))
    assert path.read_bytes() == before
    conn = sqlite3.connect(str(path))
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == ("wal" if wal else "delete")
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["moz_places"]
    conn.close()
    assert not [n for n in os.listdir(str(tmp_path)) if ".corrupt-" in n]


@pytest.mark.parametrize("target_kind", ["ours", "foreign", "missing"])
def test_a_symlinked_database_is_refused_and_never_followed(tmp_path, target_kind):
    target = tmp_path / "elsewhere.db"
    if target_kind == "ours":
        TraktSyncDatabase(str(target)).close()
    elif target_kind == "foreign":
        _foreign(target)
    before = target.read_bytes() if target.exists() else None
    link = tmp_path / "data" / "trakt_sync.db"
    link.parent.mkdir()
    os.symlink(str(target), str(link))
    with pytest.raises(storage.ForeignDatabase) as raised:
        connection.open_database(str(link))
    assert "symbolic link" in str(raised.value)
    assert os.path.islink(str(link))
    assert (target.read_bytes() if target.exists() else None) == before
    assert sorted(os.listdir(str(link.parent))) == ["trakt_sync.db"]


def test_a_read_only_open_changes_nothing_and_reads(tmp_path):
    path = tmp_path / "trakt_sync.db"
    with TraktSyncDatabase(str(path)) as db:
        db.connection.execute("INSERT INTO meta (key, value) VALUES ('trakt_user', 'ro')")
    before = path.read_bytes()
    conn, recovered = connection.open_database(str(path), read_only=True)
    try:
        assert recovered is None
        assert conn.execute("SELECT value FROM meta WHERE key = 'trakt_user'").fetchone()[0] == "ro"
        with pytest.raises(sqlite3.OperationalError) as raised:
            conn.execute("DELETE FROM meta")
        assert isinstance(storage.classify(raised.value), storage.ReadOnly)
    finally:
        conn.close()
    assert path.read_bytes() == before


def test_a_read_only_open_of_a_missing_database_creates_nothing(tmp_path):
    with pytest.raises(storage.ReadOnly):
        connection.open_database(str(tmp_path / "trakt_sync.db"), read_only=True)
    assert os.listdir(str(tmp_path)) == []


def test_a_file_where_the_folder_should_be_is_a_storage_error(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("x")
    with pytest.raises(storage.StorageError) as raised:
        connection.open_database(str(blocker / "trakt_sync.db"))
    assert "not a folder" in str(raised.value)


def test_token_file_above_the_cap_is_skipped_with_a_message(tmp_path, caplog):
    path = tmp_path / "trakt_tokens.json"
    padding = "x" * MAX_FILE_BYTES
    path.write_text(json.dumps({"access_token": "a", "refresh_token": "r", "expires_at": 1e12,
                                "created_at": 1.0, "pad": padding}))  # fmt: skip
    caplog.set_level(logging.WARNING)
    store = TokenStore(str(path))
    assert store.load() is None
    assert any("more than the" in r.getMessage() for r in caplog.records), caplog.text
    assert MAX_FILE_BYTES == 64 * 1024


def test_absurdly_nested_token_file_means_signed_out(tmp_path):
    path = tmp_path / "trakt_tokens.json"
    path.write_text("[" * 100000)
    assert TokenStore(str(path)).load() is None


@pytest.mark.parametrize(
    "content",
    [b"[" * 200000, b'{"pending": ' + b"[" * 100000, b"\xff\xfe", b'{"pending": [{"key": 1}]}',
     b'{"pending": 5}', b"null"],
    ids=["nested", "nested_pending", "not_utf8", "bad_item", "bad_list", "null"],
)  # fmt: skip
def test_a_corrupt_or_nested_scrobble_outbox_never_stops_scrobbling(tmp_path, caplog, content):
    path = tmp_path / "scrobble_outbox.json"
    path.write_bytes(content)
    caplog.set_level(logging.WARNING)
    with TraktSyncDatabase(str(tmp_path / "trakt_sync.db")) as db:
        queue = ScrobbleQueue(db)
        # Its migration at the service start: raised RecursionError, scrobbling was switched off.
        assert migrate_legacy(str(path), queue) == 0
        assert len(queue) == 0
        moved = [n for n in os.listdir(str(tmp_path)) if n.startswith("scrobble_outbox.json.corr")]
        assert len(moved) == 1 and (tmp_path / moved[0]).read_bytes() == content
        assert len(caplog.records) == 1
        caplog.clear()
        assert migrate_legacy(str(path), queue) == 0  # the next start: no file, no warning
        assert not caplog.records


def test_an_oversized_scrobble_outbox_is_set_aside_unread(tmp_path):
    from resources.lib.scrobble import legacy_outbox

    path = tmp_path / "scrobble_outbox.json"
    path.write_text(json.dumps({"pending": [], "done": ["k" * 100] * 50000}))
    assert os.path.getsize(str(path)) > legacy_outbox.MAX_FILE_BYTES
    with TraktSyncDatabase(str(tmp_path / "trakt_sync.db")) as db:
        assert migrate_legacy(str(path), ScrobbleQueue(db)) == 0
        assert db.outbox_rows() == []
    assert not path.exists()


@pytest.mark.parametrize("operation", ["clear", "vacuum", "info"])
def test_maintenance_refuses_a_foreign_database_with_a_code(tmp_path, operation):
    from resources.lib.database import maintenance

    path = tmp_path / "trakt_sync.db"
    _foreign(path)
    before = path.read_bytes()
    call = {
        "clear": maintenance.clear_database,
        "vacuum": maintenance.vacuum_database,
        "info": maintenance.database_info,
    }[operation]
    with pytest.raises(maintenance.MaintenanceError) as raised:
        call(str(path))
    assert raised.value.code == "foreign_database"
    assert path.read_bytes() == before


def test_an_in_memory_database_creates_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    db = TraktSyncDatabase(":memory:")
    db.counts()
    db.close()
    assert os.listdir(str(tmp_path)) == []
