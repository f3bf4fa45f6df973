"""The command line at its edges: option order, saved settings bound to the token's host, one-line
errors, a closed pipe, local times, foreign and private files. Subprocesses, local sandbox."""

from __future__ import annotations

import datetime
import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from resources.lib.database.trakt_sync import TraktSyncDatabase
from sandbox.server import Sandbox
from tests.support.cli_run import ROOT
from tests.support.cli_run import authorise_into as _authorise
from tests.support.cli_run import cli_env as _env
from tests.support.cli_run import sandbox_control as _control

BASE = [sys.executable, "-m", "resources.lib.cli"]


@pytest.fixture
def sandbox():
    with Sandbox(account="small", seed=5, port=0, device_interval=0.2) as sb:
        yield sb


def run(args, env, **kwargs):
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.run(
        BASE + [str(a) for a in args], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, timeout=120, **kwargs,
    )  # fmt: skip


def one_line_error(proc):
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_global_options_may_follow_the_command(sandbox, tmp_path):
    _authorise(sandbox, tmp_path)
    proc = run(["sync", "--force", "--data-dir", tmp_path, "--api-url", sandbox.url],
               _env(sandbox))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("sync ok:")
    info = run(["info", "--data-dir", tmp_path, "-v"], _env(sandbox))
    assert info.returncode == 0, info.stderr
    assert info.stdout.startswith(f"database: {tmp_path / 'trakt_sync.db'}")


def _auth_through_device_flow(sandbox, data_dir):
    proc = subprocess.Popen(
        BASE + ["auth", "--data-dir", str(data_dir), "--api-url", sandbox.url],
        cwd=ROOT, env=_env(sandbox), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    first = proc.stdout.readline()
    assert "enter the code:" in first, first + proc.stderr.read()
    assert _control(sandbox, "approve", {"user_code": first.rsplit(":", 1)[1].strip()}) == 200
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err


def test_auth_saves_its_settings_privately_and_binds_the_tokens_to_the_host(sandbox, tmp_path):
    data = tmp_path / "data"
    _auth_through_device_flow(sandbox, data)
    config = data / "cli_config.json"
    assert stat.S_IMODE(os.stat(str(config)).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(str(data)).st_mode) == 0o700
    bare = dict(_env(sandbox))
    del bare["AIOSTREAMS_TRAKT_CLIENT_ID"], bare["AIOSTREAMS_TRAKT_CLIENT_SECRET"]
    # no client id, secret or URL: what auth saved is used
    proc = run(["--data-dir", data, "sync"], bare)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("sync ok:")
    with Sandbox(account="small", seed=6, port=0) as other:
        other.reset_requests()
        proc = run(["--data-dir", data, "--api-url", other.url, "sync", "--force"], bare)
        assert proc.returncode == 2, proc.stderr
        line = one_line_error(proc)
        assert "issued by" in line and other.url in line
        assert other.requests()["total"] == 0  # the bearer token never left for that host


def test_a_file_where_the_data_folder_should_be_is_one_line(sandbox, tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("not a folder")
    for command in (["next-up"], ["sync"], ["info"]):
        proc = run(["--data-dir", blocker, "--api-url", sandbox.url] + command, _env(sandbox))
        assert proc.returncode == 1, (command, proc.stderr)
        assert "not a folder" in one_line_error(proc)
    nested = run(["--data-dir", blocker / "sub", "next-up"], _env(sandbox))
    assert nested.returncode == 1
    one_line_error(nested)
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999", "http://127.0.0.1:port", "ftp://x"])
def test_a_bad_api_url_is_a_usage_error_in_one_line(sandbox, tmp_path, url):
    _authorise(sandbox, tmp_path)
    proc = run(["--data-dir", tmp_path, "--api-url", url, "sync"], _env(sandbox))
    assert proc.returncode == 2, proc.stderr
    assert url in one_line_error(proc)


def test_a_closed_output_pipe_is_silent(sandbox, tmp_path):
    _authorise(sandbox, tmp_path)
    assert run(["--data-dir", tmp_path, "--api-url", sandbox.url, "sync"],
               _env(sandbox)).returncode == 0  # fmt: skip
    for command in ("next-up", "history", "watchlist", "info", "--help"):
        read_end, write_end = os.pipe()
        os.close(read_end)  # like `| head` that has already quit
        try:
            proc = run(["--data-dir", tmp_path, command], _env(sandbox), stdout=write_end)
        finally:
            os.close(write_end)
        assert proc.stderr == "", (command, proc.stderr)
        assert proc.returncode in (0, 141), (command, proc.returncode)


def test_history_shows_local_times(sandbox, tmp_path):
    _authorise(sandbox, tmp_path)
    env = dict(_env(sandbox), TZ="XYZ-05:45")  # a zone 5 h 45 min east of UTC
    assert run(["--data-dir", tmp_path, "--api-url", sandbox.url, "sync"], env).returncode == 0
    with TraktSyncDatabase(str(tmp_path / "trakt_sync.db")) as db:
        started = db.sync_history(1)[0]["started_at"]
    utc = datetime.datetime.strptime(started[:19], "%Y-%m-%dT%H:%M:%S")
    local = (utc + datetime.timedelta(hours=5, minutes=45)).strftime("%Y-%m-%d %H:%M:%S")
    proc = run(["--data-dir", tmp_path, "history"], env)
    assert proc.returncode == 0, proc.stderr
    assert f"  {local}  manual" in proc.stdout, (local, proc.stdout)


def _foreign_database(path, wal=False):
    conn = sqlite3.connect(str(path))
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.execute("INSERT INTO recipes VALUES ('bread')")
    conn.commit()
    conn.close()
    return path.read_bytes()


@pytest.mark.parametrize("command", [["next-up"], ["info"], ["history"], ["sync"], ["vacuum"],
                                     ["clear", "--yes"]])  # fmt: skip
def test_a_foreign_database_is_refused_and_never_written(sandbox, tmp_path, command):
    _authorise(sandbox, tmp_path)
    db_path = tmp_path / "trakt_sync.db"
    before = _foreign_database(db_path)
    proc = run(["--data-dir", tmp_path, "--api-url", sandbox.url] + command, _env(sandbox))
    assert proc.returncode == 1, proc.stderr
    assert "another program" in one_line_error(proc)
    assert db_path.read_bytes() == before  # no tables, no stamp, journal mode unchanged
    assert sorted(n for n in os.listdir(str(tmp_path)) if n.startswith("trakt_sync")) == [
        "trakt_sync.db"
    ]


def test_a_symlinked_database_is_refused_and_its_target_untouched(sandbox, tmp_path):
    _authorise(sandbox, tmp_path)
    target = tmp_path / "elsewhere.db"
    before = _foreign_database(target)
    os.symlink(str(target), str(tmp_path / "trakt_sync.db"))
    for command in (["next-up"], ["sync"]):
        proc = run(["--data-dir", tmp_path, "--api-url", sandbox.url] + command, _env(sandbox))
        assert proc.returncode == 1, proc.stderr
        assert "symbolic link" in one_line_error(proc)
    assert os.path.islink(str(tmp_path / "trakt_sync.db"))
    assert target.read_bytes() == before
