"""Corrupt databases, bad token files, a read-only data folder and a full disk."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "doubles"))

import pytest  # noqa: E402

from resources.lib.database.trakt_sync import TraktSyncDatabase  # noqa: E402
from resources.lib.kodi import service as service_module  # noqa: E402
from resources.lib.kodi.log import setup_logging  # noqa: E402
from resources.lib.kodi.paths import get_paths  # noqa: E402
from resources.lib.trakt.client import TraktClient  # noqa: E402
from resources.lib.trakt.tokens import TokenStore  # noqa: E402
from tests.reliability.conftest import (  # noqa: E402
    authorise,
    cli_args,
    core,
    groups,
    integrity,
    kodi_state_for,
    run,
    snapshot,
    sub_env,
)


class NoPlayback:
    def start(self):
        pass

    def stop(self):
        pass

    def tick(self, online=True, now=None):
        pass


@pytest.fixture
def kodi(small_sandbox):
    yield from kodi_state_for(small_sandbox)


def _client(sb, data_dir):
    return TraktClient(
        sb.client_id, sb.client_secret,
        token_store=TokenStore(os.path.join(data_dir, "trakt_tokens.json")),
        api_url=sb.url, oauth_url=sb.url, retry_base=0.01,
    )  # fmt: skip


def _sync(sb, data_dir):
    client = _client(sb, data_dir)
    with TraktSyncDatabase(os.path.join(data_dir, "trakt_sync.db")) as db:
        result = db.sync_activities(client, force=True)
    client.close()
    return result


def _other_wal(tmp_path):
    """A -wal file of another database (same page size, valid WAL magic)."""
    other = str(tmp_path / "other.db")
    conn = sqlite3.connect(other)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE junk (x BLOB)")
    for _ in range(40):
        conn.execute("INSERT INTO junk VALUES (randomblob(3000))")
    conn.commit()
    with open(other + "-wal", "rb") as handle:
        data = handle.read()
    conn.close()
    return data


def _corrupt(kind, db_path, tmp_path):
    rng = random.Random(kind)
    size = os.path.getsize(db_path)
    if kind == "random_bytes":
        with open(db_path, "wb") as handle:
            handle.write(bytes(rng.getrandbits(8) for _ in range(size)))
    elif kind == "truncated":
        with open(db_path, "r+b") as handle:
            handle.truncate(size // 3 + 100)
    elif kind == "zero_length":
        open(db_path, "wb").close()
    elif kind == "foreign_wal":
        wal = _other_wal(tmp_path)
        with open(db_path + "-wal", "wb") as handle:
            handle.write(wal)
    else:
        raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["random_bytes", "truncated", "zero_length", "foreign_wal"])
def test_corrupt_database_is_moved_aside_refilled_and_notified_once(kind, kodi, small_sandbox,
                                                                    tmp_path):  # fmt: skip
    paths = get_paths()
    authorise(small_sandbox, paths.data_dir)
    assert _sync(small_sandbox, paths.data_dir).status == "ok"
    _corrupt(kind, paths.db_path, tmp_path)

    notes_before = len(kodi.dialog_calls("notification"))
    for restart in range(2):  # a restarted service must not recover (or notify) again
        service = service_module.AIOStreamsService(playback_factory=lambda ctx: NoPlayback())
        setup_logging(service=True)
        service._start()
        for _ in range(3):  # more ticks: no crash loop, no repeated notification
            service.tick()
            service.next_check_at = 0
            service.last_sync_at = None
        assert service.sync_count >= 1
        service._shutdown()
        if restart == 0:
            moved = [n for n in os.listdir(paths.data_dir) if ".corrupt-" in n]
            assert moved, os.listdir(paths.data_dir)
    notes = kodi.dialog_calls("notification")[notes_before:]
    texts = [args[1] for args, _ in notes]
    assert len(texts) == 1, texts
    assert "damaged" in texts[0].lower(), texts
    assert integrity(paths.db_path) == "ok"
    assert snapshot(paths.db_path) == small_sandbox.truth()
    assert not kodi.log_lines(level=3), kodi.log_lines(level=3)


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b"\xff\xfe\x00garbage", b"[]", b'{"access_token": 5}', b"null"],
)
def test_corrupt_token_file_means_not_authorised(content, tmp_path, small_sandbox):
    path = tmp_path / "trakt_tokens.json"
    path.write_bytes(content)
    store = TokenStore(str(path))
    assert store.load() is None
    assert not store.needs_reauth()
    client = _client(small_sandbox, str(tmp_path))
    assert not client.is_authorized()
    proc = run(cli_args(small_sandbox, tmp_path, "sync"), sub_env(small_sandbox))
    assert proc.returncode == 3, proc.stderr
    assert "not authorised" in proc.stderr and "Traceback" not in proc.stderr


def test_unreadable_token_file_means_not_authorised(tmp_path, small_sandbox):
    # root ignores file modes, so "unreadable" is a directory where the file should be
    os.makedirs(str(tmp_path / "trakt_tokens.json"))
    assert TokenStore(str(tmp_path / "trakt_tokens.json")).load() is None
    proc = run(cli_args(small_sandbox, tmp_path, "sync"), sub_env(small_sandbox))
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr


def test_token_save_on_full_disk_keeps_the_old_pair(tmp_path, monkeypatch, small_sandbox):
    old = authorise(small_sandbox, tmp_path)
    store = TokenStore(str(tmp_path / "trakt_tokens.json"))
    import json as json_module

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(json_module, "dump", full)
    with pytest.raises(OSError):
        store.save(old)
    monkeypatch.undo()
    assert store.load() == old
    assert [n for n in os.listdir(str(tmp_path)) if n.endswith(".tmp")] == []


# ---- read-only folder and full disk on a real tmpfs ----------------------------------------------


def _mount(path, *options):
    try:
        subprocess.run(["mount", *options, str(path)], check=True, capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


@pytest.fixture
def tmpfs(tmp_path):
    folder = tmp_path / "small_disk"
    folder.mkdir()
    if os.geteuid() != 0 or not _mount(folder, "-t", "tmpfs", "-o", "size=3m", "tmpfs"):
        pytest.skip("tmpfs mounts need root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=10)


def test_read_only_data_folder_fails_clearly_and_keeps_data(tmpfs, small_sandbox):
    authorise(small_sandbox, tmpfs)
    assert _sync(small_sandbox, str(tmpfs)).status == "ok"
    before = snapshot(str(tmpfs / "trakt_sync.db"))
    assert _mount(tmpfs, "-o", "remount,ro")
    small_sandbox.mutate("watch_movie", movie=sorted(small_sandbox.state.catalog.movies)[3])
    env = sub_env(small_sandbox)
    for command in (("sync", "--force"), ("next-up",), ("vacuum",), ("clear", "--yes")):
        proc = run(cli_args(small_sandbox, tmpfs, *command), env)
        assert proc.returncode == 1, (command, proc.stderr)
        assert proc.stderr.startswith("error:") and "Traceback" not in proc.stderr
        assert "unable to open database file" in proc.stderr or "read" in proc.stderr.lower()
    assert sorted(os.listdir(str(tmpfs))) == ["trakt_sync.db", "trakt_tokens.json"]
    assert _mount(tmpfs, "-o", "remount,rw")
    assert snapshot(str(tmpfs / "trakt_sync.db")) == before  # nothing moved aside or lost
    assert _sync(small_sandbox, str(tmpfs)).status == "ok"
    assert snapshot(str(tmpfs / "trakt_sync.db")) == small_sandbox.truth()


def _fill(folder):
    # unbuffered: a partial last write cannot leave bytes for close() to fail on
    with open(os.path.join(str(folder), "filler"), "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 16384)
                handle.flush()
        except OSError:
            pass


def test_full_disk_fails_clearly_and_keeps_data(tmpfs, small_sandbox):
    authorise(small_sandbox, tmpfs)
    db_path = str(tmpfs / "trakt_sync.db")
    assert _sync(small_sandbox, str(tmpfs)).status == "ok"
    before = snapshot(db_path)
    # a new process cannot even open the database (no room for -wal/-shm): clear error
    _fill(tmpfs)
    proc = run(cli_args(small_sandbox, tmpfs, "sync", "--force"), sub_env(small_sandbox))
    assert proc.returncode == 1 and proc.stderr.startswith("error:"), proc.stderr
    assert "Traceback" not in proc.stderr
    os.remove(str(tmpfs / "filler"))
    # an open database whose writes hit ENOSPC mid-sync: the category fails, data intact
    client = _client(small_sandbox, str(tmpfs))
    db = TraktSyncDatabase(db_path)
    try:
        truth_before = small_sandbox.truth()
        for movie in sorted(small_sandbox.state.catalog.movies)[:40]:
            small_sandbox.mutate("watch_movie", movie=movie)
        db.connection.execute("UPDATE activities SET cursor = '{}'")
        db.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _fill(tmpfs)
        result = db.sync_activities(client, force=True)
        assert result.status in ("error", "partial"), result
        assert "full" in (result.error or "") or "disk" in (result.error or ""), result.error
    finally:
        db.close()
        client.close()
    os.remove(str(tmpfs / "filler"))
    after = groups(snapshot(db_path))
    old, new = groups(before), groups(small_sandbox.truth())
    assert core(before) == core(truth_before)
    for name, value in after.items():
        assert value in (old[name], new[name]), name
    assert integrity(db_path) == "ok"
    assert _sync(small_sandbox, str(tmpfs)).status == "ok"
    assert snapshot(db_path) == small_sandbox.truth()
