"""Crash safety: SIGKILL real syncs, migrations and token refreshes at random points."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time

from resources.lib.database import migration
from resources.lib.trakt.tokens import TokenStore
from sandbox.server import Sandbox
from tests.reliability.conftest import (
    ROOT,
    assert_no_secrets,
    authorise,
    integrity,
    runner_args,
    sub_env,
)
from tests.reliability.killer import KillHarness

CI_KILLS = 50
LEGACY_CACHE = os.path.join(ROOT, "tests", "fixtures", "legacy_cache", "upgrade_2_7", "cache")


def test_sigkill_during_sync_never_corrupts_and_next_sync_converges(tmp_path):
    rng = random.Random(20240501)
    with Sandbox(account="small", seed=21, port=0) as sb:
        # 40 ms a request: the sync (four metadata fetches at a time) must still be running when
        # the random-time kill lands, 0.12-0.6 s after its start.
        harness = KillHarness(sb, str(tmp_path), rng, delay=0.04)
        harness.setup()
        started = time.monotonic()
        while harness.stats["kills"] < CI_KILLS:
            harness.cycle()
            assert harness.stats["cycles"] < CI_KILLS * 2, harness.stats
        elapsed = time.monotonic() - started
    print("kills:", harness.stats, harness.points, "%.1fs" % elapsed)
    assert harness.stats["kills"] >= CI_KILLS
    # the kill points are reached: a sync that ends before its signal tests nothing (markers
    # missing from the unit transactions once let half the cycles end unkilled)
    assert harness.stats["finished_before_kill"] <= CI_KILLS // 5, harness.stats
    # the random points really covered the interesting places
    assert harness.points.get("inside transaction", 0) >= 5, harness.points
    assert harness.points.get("at commit", 0) >= 5, harness.points
    assert harness.points.get("random time", 0) >= 5, harness.points
    assert harness.stats["changed_units_seen"] > 0  # some kills landed between two units


def _migration_tables(db_path):
    conn = sqlite3.connect(db_path)
    try:
        present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if "movies" not in present:  # killed before the schema was created
            return dict.fromkeys(("movies", "shows", "episodes", "watchlist", "hidden",
                                  "collection"), 0)  # fmt: skip
        return {
            table: conn.execute("SELECT COUNT(*) FROM " + table).fetchone()[0]  # noqa: S608
            for table in ("movies", "shows", "episodes", "watchlist", "hidden", "collection")
        }
    finally:
        conn.close()


def test_sigkill_during_legacy_migration_leaves_all_or_nothing(tmp_path):
    reference = tmp_path / "reference"
    shutil.copytree(LEGACY_CACHE, str(reference / "cache"))
    assert migration.run_migration(str(reference), str(reference / "trakt_sync.db")).flag_written
    expected = _migration_tables(str(reference / "trakt_sync.db"))
    assert sum(expected.values()) > 0
    rng = random.Random(7)
    kills = 0
    for attempt in range(8):
        data = tmp_path / ("run%d" % attempt)
        shutil.copytree(LEGACY_CACHE, str(data / "cache"))
        proc = subprocess.Popen(
            runner_args("migrate", data, "--tx-sleep", 0.3), cwd=ROOT, env=sub_env(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        if attempt % 2:
            time.sleep(rng.uniform(0.05, 0.4))  # anywhere: reading the cache or the transaction
        else:
            for line in proc.stdout:
                if line.startswith("TX"):
                    time.sleep(rng.uniform(0, 0.25))
                    break
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        out, err = proc.communicate(timeout=30)
        assert_no_secrets(out, err)
        db_path = str(data / "trakt_sync.db")
        flag = os.path.exists(migration.flag_path(str(data)))
        if os.path.exists(db_path):
            assert integrity(db_path) == "ok"
            counts = _migration_tables(db_path)
            assert counts in (expected, dict.fromkeys(expected, 0)), counts
            if flag:
                assert counts == expected
        else:
            assert not flag
        # the next start finishes the job
        result = migration.run_migration(str(data), db_path)
        assert result.flag_written or result.already_done
        assert _migration_tables(db_path) == expected
    assert kills >= 6


def test_sigkill_during_token_refresh_keeps_old_or_new_pair(tmp_path):
    rng = random.Random(3)
    outcomes = {"old": 0, "new": 0}
    with Sandbox(account="small", seed=2, port=0) as sb:
        store = TokenStore(str(tmp_path / "trakt_tokens.json"))
        for _ in range(8):
            old = authorise(sb, tmp_path)
            sb.add_fault("slow", path="^/oauth/token", count=1, delay=0.3)
            proc = subprocess.Popen(
                runner_args("refresh", tmp_path, sb.url), cwd=ROOT, env=sub_env(sb),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert proc.stdout.readline().strip() == "REFRESH"
            time.sleep(rng.uniform(0.0, 0.5))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            out, err = proc.communicate(timeout=30)
            sb.clear_faults()
            assert_no_secrets(out, err)
            with open(store.path, encoding="utf-8") as handle:
                raw = json.load(handle)  # always a whole JSON document
            current = store.load()
            assert current is not None, raw.keys()
            if current.access_token == old.access_token:
                assert current.refresh_token == old.refresh_token  # never a mix
                outcomes["old"] += 1
            else:
                assert current.refresh_token != old.refresh_token
                outcomes["new"] += 1
            leftovers = [n for n in os.listdir(str(tmp_path)) if n.endswith(".tmp")]
            assert len(leftovers) <= 1  # a kill between mkstemp and replace leaves one temp file
            for name in leftovers:
                os.remove(str(tmp_path / name))
    assert outcomes["old"] and outcomes["new"], outcomes
