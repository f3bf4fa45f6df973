"""Helpers shared by the reliability tests: sandbox, subprocesses (stderr checked for secrets),
database snapshots per sync unit."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from typing import Any, Dict, List, Optional

import pytest

from resources.lib.database.trakt_sync import queries
from resources.lib.trakt.tokens import Tokens, TokenStore
from sandbox.server import Sandbox
from tests import conftest as suite

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNNER = os.path.join(ROOT, "tests", "reliability", "runner.py")
# Snapshot keys written by one sync unit (one transaction each): a kill leaves each group either
# as it was before the run or as the sandbox's truth, never a mix.
UNIT_GROUPS = {
    "watched_movies": ("movies",),
    "watched_shows": ("episodes", "reset_at"),
    "watchlist": ("watchlist",),
    "playback": ("playback",),
    "hidden": ("hidden",),
}


def assert_no_secrets(*texts: Optional[str]) -> None:
    """Fail when a subprocess's output carries a secret the sandbox issued in this process."""
    with suite._ISSUED_LOCK:
        issued = set(suite._ISSUED)
    leaks = suite.find_leaks([t for t in texts if t], issued)
    assert not leaks, "a secret reached subprocess output: %s" % leaks[0]


def sub_env(sb: Optional[Sandbox] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT
    env.pop("AIOSTREAMS_DATA_DIR", None)
    if sb is not None:
        env["AIOSTREAMS_TRAKT_CLIENT_ID"] = sb.client_id
        env["AIOSTREAMS_TRAKT_CLIENT_SECRET"] = sb.client_secret
    return env


def runner_args(*args: Any) -> List[str]:
    return [sys.executable, RUNNER] + [str(a) for a in args]


def cli_args(sb: Sandbox, data_dir: Any, *command: Any) -> List[str]:
    return [sys.executable, "-m", "resources.lib.cli", "--data-dir", str(data_dir),
            "--api-url", sb.url] + [str(c) for c in command]  # fmt: skip


def run(args: List[str], env: Dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert_no_secrets(proc.stdout, proc.stderr)
    return proc


def authorise(sb: Sandbox, data_dir: Any) -> Tokens:
    os.makedirs(str(data_dir), exist_ok=True)
    tokens = Tokens.from_response(sb.issue_tokens())
    TokenStore(os.path.join(str(data_dir), "trakt_tokens.json")).save(tokens)
    return tokens


def integrity(db_path: str) -> str:
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def snapshot(db_path: str) -> Dict[str, Any]:
    """The mirror in truth format, read with a plain connection (no recovery, no migration)."""
    conn = sqlite3.connect(db_path, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("BEGIN")
        try:
            return queries.snapshot(conn)
        finally:
            conn.execute("COMMIT")
    finally:
        conn.close()


def groups(state: Dict[str, Any]) -> Dict[str, Any]:
    return {name: [state.get(key) for key in keys] for name, keys in UNIT_GROUPS.items()}


def core(state: Dict[str, Any]) -> Dict[str, Any]:
    """The keys the sync must reproduce exactly (truth format, without derived next_up)."""
    return {key: state.get(key) for key in ("movies", "episodes", "reset_at", "watchlist",
                                            "playback", "hidden")}  # fmt: skip


@pytest.fixture(scope="module")
def small_sandbox():
    with Sandbox(account="small", seed=11, port=0) as sb:
        yield sb
