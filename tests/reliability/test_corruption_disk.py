"""Corrupt databases, bad token files, a read-only data folder and a full disk."""

from __future__ import annotations

import dataclasses
import os
import random
import re
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest

from resources.lib.database import storage
from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.kodi import service as service_module
from resources.lib.kodi.log import setup_logging
from resources.lib.kodi.paths import get_paths
from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.tokens import TokenStore
from tests.reliability.conftest import (
    authorise,
    cli_args,
    core,
    groups,
    integrity,
    run,
    snapshot,
    sub_env,
)
from tests.support.kodi_doubles import point_at_sandbox
from tests.support.service_rig import NoPlayback


@pytest.fixture
def kodi(kodi, small_sandbox):
    return point_at_sandbox(kodi, small_sandbox)


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
            service.state = dataclasses.replace(service.state, next_check_at=0, last_sync_at=None)
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
    """A 3 MB tmpfs of its own. Mounting needs root: without it the test fails and says so (a
    skip would hide that the real full-disk and read-only paths went untested; the page-cap
    test below is the no-root disk-full check)."""
    folder = tmp_path / "small_disk"
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.fail(
            "this test mounts a tmpfs, which needs root (CI runs as root); without root, "
            "deselect it with -k 'not read_only_data_folder and not full_disk_fails' and rely on "
            "test_disk_full_mid_sync_without_root_is_recorded_and_frees_the_lease",
            pytrace=False,
        )
    if not _mount(folder, "-t", "tmpfs", "-o", "size=3m", "tmpfs"):
        pytest.fail("mount -t tmpfs failed although running as root", pytrace=False)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=10)


PROGRESS_LINE = re.compile(r"^ *[0-9]+% ")  # the progress bar on a stderr that is not a terminal
READ_COMMANDS = (("next-up",), ("info",), ("history",), ("in-progress",), ("watchlist",))
WRITE_COMMANDS = (("sync", "--force"), ("vacuum",), ("clear", "--yes"))


def _read_only_folder_works_for_reads(folder, sb, as_user=()):
    """The read commands answer from the mirror, the writing ones fail in one line, and the
    folder holds exactly what it held (nothing created, moved or changed). ``as_user``: a
    command prefix that runs the CLI as another user."""
    listing = sorted(os.listdir(str(folder)))
    db_path = str(folder / "trakt_sync.db")
    with open(db_path, "rb") as handle:
        before_bytes = handle.read()
    env = sub_env(sb)
    for command in READ_COMMANDS:
        proc = run([*as_user, *cli_args(sb, folder, *command)], env)
        assert proc.returncode == 0, (command, proc.stderr)
        assert proc.stderr == "", (command, proc.stderr)
        assert proc.stdout.strip(), command
    next_up = run([*as_user, *cli_args(sb, folder, "next-up")], env).stdout
    assert next_up.startswith("Next Up (") and "nothing" not in next_up
    for command in WRITE_COMMANDS:
        proc = run([*as_user, *cli_args(sb, folder, *command)], env)
        assert proc.returncode == 1, (command, proc.stderr)
        lines = proc.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), (command, proc.stderr)
        assert "read-only" in lines[0] or "cannot be written" in lines[0], lines
    assert sorted(os.listdir(str(folder))) == listing
    with open(db_path, "rb") as handle:
        assert handle.read() == before_bytes


def test_read_only_data_folder_still_reads_and_keeps_data(tmpfs, small_sandbox):
    authorise(small_sandbox, tmpfs)
    assert _sync(small_sandbox, str(tmpfs)).status == "ok"
    before = snapshot(str(tmpfs / "trakt_sync.db"))
    assert _mount(tmpfs, "-o", "remount,ro")
    small_sandbox.mutate("watch_movie", movie=sorted(small_sandbox.state.catalog.movies)[3])
    _read_only_folder_works_for_reads(tmpfs, small_sandbox)
    assert _mount(tmpfs, "-o", "remount,rw")
    assert snapshot(str(tmpfs / "trakt_sync.db")) == before  # nothing moved aside or lost
    assert _sync(small_sandbox, str(tmpfs)).status == "ok"
    assert snapshot(str(tmpfs / "trakt_sync.db")) == small_sandbox.truth()


NOBODY = 65534


def test_read_only_by_permissions_still_reads(small_sandbox):
    """A 0555 data folder. Root ignores file modes, so as root (CI) the CLI runs as ``nobody``
    (setpriv) on a folder ``nobody`` owns; otherwise as the user running the tests."""
    folder = Path(tempfile.mkdtemp(prefix="aiostreams-read-only-"))  # in /tmp: nobody reaches it
    try:
        authorise(small_sandbox, folder)
        assert _sync(small_sandbox, str(folder)).status == "ok"
        as_user = ()
        if os.geteuid() == 0:
            as_user = ("setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups")
            for path in [folder, *folder.iterdir()]:
                os.chown(str(path), NOBODY, NOBODY)
        os.chmod(str(folder), 0o555)
        _read_only_folder_works_for_reads(folder, small_sandbox, as_user)
    finally:
        os.chmod(str(folder), 0o700)
        shutil.rmtree(str(folder), ignore_errors=True)


def _fill(folder, leave=0):
    """Fill the disk, then give back ``leave`` bytes (room for the first few transactions)."""
    path = os.path.join(str(folder), "filler")
    # unbuffered: a partial last write cannot leave bytes for close() to fail on
    with open(path, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 16384)
                handle.flush()
        except OSError:
            pass
    if leave:
        os.truncate(path, max(0, os.path.getsize(path) - leave))


# Room left when the sync starts: with these, the run's own writes fill the disk at different
# points, and for some of them recording the failed run needs the space reserve.
@pytest.mark.parametrize("leave_kb", [28, 32, 40, 64])
def test_full_disk_fails_clearly_and_keeps_data(tmpfs, small_sandbox, leave_kb):
    authorise(small_sandbox, tmpfs)
    db_path = str(tmpfs / "trakt_sync.db")
    assert _sync(small_sandbox, str(tmpfs)).status == "ok"
    before = snapshot(db_path)
    # a new process cannot even open the database (no room for -wal/-shm): one clear line
    _fill(tmpfs)
    proc = run(cli_args(small_sandbox, tmpfs, "sync", "--force"), sub_env(small_sandbox))
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "full" in lines[0], lines
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
    # a sync whose writes hit ENOSPC: one line, the run recorded as failed, the lease free
    for movie in sorted(small_sandbox.state.catalog.movies)[40:80]:
        small_sandbox.mutate("watch_movie", movie=movie)
    holder = TraktSyncDatabase(db_path)  # keeps -wal and -shm (and their room) in place
    try:
        holder.connection.execute("UPDATE activities SET cursor = '{}'")
        holder.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert os.path.exists(db_path + ".reserve")  # kept by the earlier syncs
        _fill(tmpfs, leave=leave_kb * 1024)  # the disk fills up during the sync
        proc = run(cli_args(small_sandbox, tmpfs, "sync", "--force"), sub_env(small_sandbox))
    finally:
        holder.close()
        os.remove(str(tmpfs / "filler"))
    assert proc.returncode == 1, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if not PROGRESS_LINE.match(line)]
    assert len(lines) == 1 and "disk is full" in lines[0], proc.stderr
    with TraktSyncDatabase(db_path) as db:
        last = db.sync_history(1)[0]
        assert last["status"] == "error" and last["error"].startswith("disk_full:"), last
        assert not db.sync_in_progress()
    assert integrity(db_path) == "ok"
    assert _sync(small_sandbox, str(tmpfs)).status == "ok"
    assert snapshot(db_path) == small_sandbox.truth()


def test_disk_full_mid_sync_without_root_is_recorded_and_frees_the_lease(small_sandbox, tmp_path):
    """SQLITE_FULL from a page cap (no root, no mount): the run stops at the first full write,
    is recorded as failed with the reason, and the lease is free for the next run."""
    authorise(small_sandbox, tmp_path)
    db_path = str(tmp_path / "trakt_sync.db")
    client = _client(small_sandbox, str(tmp_path))
    try:
        with TraktSyncDatabase(db_path) as db:
            pages = db.connection.execute("PRAGMA page_count").fetchone()[0]
            db.connection.execute("PRAGMA max_page_count = %d" % (pages + 3))
            result = db.sync_activities(client, force=True)
            assert result.status == "error", result
            assert storage.code_in(result.error) == "disk_full", result.error
            last = db.sync_history(1)[0]
            assert (last["status"], last["error"]) == ("error", result.error)
            assert not db.sync_in_progress()
            assert result.requests <= 4, result  # it stopped instead of trying every category
    finally:
        client.close()
    assert integrity(db_path) == "ok"
    assert _sync(small_sandbox, str(tmp_path)).status == "ok"
    assert snapshot(db_path) == small_sandbox.truth()
