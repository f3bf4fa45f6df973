"""The command line end to end, in subprocesses against the local Trakt sandbox."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from resources.lib.database.connection import open_database
from resources.lib.database.schema import migrate
from resources.lib.database.trakt_sync import lease
from resources.lib.trakt.tokens import TokenStore
from sandbox.server import Sandbox
from tests.support.cli_run import ROOT
from tests.support.cli_run import authorise_into as _authorise
from tests.support.cli_run import cli_env as _env
from tests.support.cli_run import sandbox_control as _control


@pytest.fixture
def sandbox():
    with Sandbox(account="small", seed=5, port=0, device_interval=0.2) as sb:
        yield sb


def _args(sandbox, data_dir, *command):
    return [sys.executable, "-m", "resources.lib.cli", "--data-dir", str(data_dir),
            "--api-url", sandbox.url] + list(command)  # fmt: skip


def cli(sandbox, data_dir, *command, stdin=subprocess.DEVNULL):
    return subprocess.run(
        _args(sandbox, data_dir, *command), cwd=ROOT, env=_env(sandbox), stdin=stdin,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _start_auth(sandbox, data_dir, *extra):
    proc = subprocess.Popen(
        _args(sandbox, data_dir, *extra, "auth"), cwd=ROOT, env=_env(sandbox),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    first = proc.stdout.readline()
    assert "enter the code:" in first, first + proc.stderr.read()
    return proc, first.rsplit(":", 1)[1].strip()


def test_auth_through_the_device_flow_never_prints_the_token(sandbox, tmp_path):
    proc, user_code = _start_auth(sandbox, tmp_path, "-v")
    assert _control(sandbox, "approve", {"user_code": user_code}) == 200
    out, err = proc.communicate(timeout=60)

    assert proc.returncode == 0, err
    assert "Authorised with Trakt as sandbox-" in out
    saved = TokenStore(str(tmp_path / "trakt_tokens.json")).load()
    assert saved is not None
    assert saved.access_token not in out + err and saved.refresh_token not in out + err


def test_auth_cancelled_with_ctrl_c_exits_130(sandbox, tmp_path):
    proc, _code = _start_auth(sandbox, tmp_path)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)

    assert proc.returncode == 130, err
    assert TokenStore(str(tmp_path / "trakt_tokens.json")).load() is None


def test_sync_info_next_up_and_lists(sandbox, tmp_path):
    _authorise(sandbox, tmp_path)

    synced = cli(sandbox, tmp_path, "sync")
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.startswith("sync ok:")

    info = cli(sandbox, tmp_path, "info")
    assert info.returncode == 0
    truth = sandbox.truth()
    assert f"movies:           {len(truth['movies'])}" in info.stdout
    assert "last sync:" in info.stdout and "never" not in info.stdout

    next_up = cli(sandbox, tmp_path, "next-up")
    assert next_up.returncode == 0
    hidden = {str(i) for section, kind, i in truth["hidden"] if section == "progress_watched"}
    visible = [show for show in truth["next_up"] if show not in hidden]
    assert visible
    assert next_up.stdout.splitlines()[0] == f"Next Up ({len(visible)}):"
    for command in ("watchlist", "in-progress", "history"):
        result = cli(sandbox, tmp_path, command)
        assert result.returncode == 0, (command, result.stderr)
        assert result.stdout.strip()
    history = cli(sandbox, tmp_path, "history").stdout
    assert "manual" in history and " ok " in history


def test_second_sync_is_throttled_with_exit_4_unless_forced(sandbox, tmp_path):
    _authorise(sandbox, tmp_path)
    assert cli(sandbox, tmp_path, "sync").returncode == 0

    throttled = cli(sandbox, tmp_path, "sync")
    forced = cli(sandbox, tmp_path, "sync", "--force")

    assert throttled.returncode == 4 and "throttled" in throttled.stdout
    assert forced.returncode == 0


def test_not_authorised_exits_3_with_one_line(sandbox, tmp_path):
    result = cli(sandbox, tmp_path, "sync")

    assert result.returncode == 3
    assert result.stderr.strip().splitlines() == [
        "error: not authorised with Trakt: run the `auth` command"
    ]


def test_revoked_token_exits_3(sandbox, tmp_path):
    _authorise(sandbox, tmp_path)
    _control(sandbox, "faults", {"kind": "401", "path": ".*", "count": 50})

    result = cli(sandbox, tmp_path, "sync")

    assert result.returncode == 3, result.stdout + result.stderr


def test_a_failing_category_gives_a_partial_sync_exit_5(sandbox, tmp_path):
    _authorise(sandbox, tmp_path)
    _control(sandbox, "faults", {"kind": "423", "path": "^/sync/watchlist", "count": 100})

    result = cli(sandbox, tmp_path, "sync")

    assert result.returncode == 5, result.stdout + result.stderr
    assert result.stdout.startswith("sync partial:")


def test_busy_database_exits_4_for_sync_and_vacuum(sandbox, tmp_path):
    _authorise(sandbox, tmp_path)
    conn, _ = open_database(str(tmp_path / "trakt_sync.db"))
    migrate(conn)
    assert lease.acquire(conn, "another-process")
    try:
        synced = cli(sandbox, tmp_path, "sync")
        vacuum = cli(sandbox, tmp_path, "vacuum")
    finally:
        conn.close()

    assert synced.returncode == 4 and "sync busy" in synced.stdout
    assert vacuum.returncode == 4
    assert (
        vacuum.stderr.strip()
        == "error: cannot optimize the database now: a sync is running, try again shortly"
    )


def test_clear_needs_yes_when_not_interactive_and_then_keeps_timestamps(sandbox, tmp_path):
    _authorise(sandbox, tmp_path)
    assert cli(sandbox, tmp_path, "sync").returncode == 0

    refused = cli(sandbox, tmp_path, "clear")
    cleared = cli(sandbox, tmp_path, "clear", "--yes")
    info = cli(sandbox, tmp_path, "info").stdout

    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert cleared.returncode == 0 and "next sync fetches everything" in cleared.stdout
    assert "movies:           0" in info and "never" not in info


def test_rebuild_vacuum_and_migrate(sandbox, tmp_path):
    _authorise(sandbox, tmp_path)

    rebuilt = cli(sandbox, tmp_path, "rebuild", "--yes")
    vacuum = cli(sandbox, tmp_path, "vacuum")
    migrated = cli(sandbox, tmp_path, "migrate")
    again = cli(sandbox, tmp_path, "migrate")

    assert rebuilt.returncode == 0 and rebuilt.stdout.startswith("sync ok:"), rebuilt.stderr
    assert vacuum.returncode == 0 and "KB ->" in vacuum.stdout
    assert migrated.returncode == 0 and "legacy cache not found" in migrated.stdout
    assert again.returncode == 0 and "already done" in again.stdout


def test_usage_errors_exit_2(sandbox, tmp_path):
    assert cli(sandbox, tmp_path, "frobnicate").returncode == 2
    env = _env(sandbox)
    del env["AIOSTREAMS_TRAKT_CLIENT_ID"]
    missing = subprocess.run(
        _args(sandbox, tmp_path, "sync"), cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert missing.returncode == 2 and "client id" in missing.stderr


def test_help_documents_the_exit_codes(sandbox, tmp_path):
    result = cli(sandbox, tmp_path, "--help")

    assert result.returncode == 0
    for code in ("0 ", "1 ", "2 ", "3 ", "4 ", "5 ", "130"):
        assert code in result.stdout


def test_database_stays_consistent_after_cli_session(sandbox, tmp_path):
    _authorise(sandbox, tmp_path)
    assert cli(sandbox, tmp_path, "sync").returncode == 0
    started = time.monotonic()
    conn = sqlite3.connect(str(tmp_path / "trakt_sync.db"))
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT COUNT(*) FROM sync_lease").fetchone() == (0,)
    finally:
        conn.close()
    assert time.monotonic() - started < 5
