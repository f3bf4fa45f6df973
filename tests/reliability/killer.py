"""SIGKILL a real sync at random points and check what it left behind.

Shared by tests/reliability/test_crash_kill.py (CI, >= 50 kills) and bench/bench_reliability.py
(``--kills 500``). One :class:`KillHarness` owns a data folder synced against a sandbox; each
:meth:`KillHarness.cycle` mutates the sandbox, starts a sync in a subprocess, kills it, then
checks integrity, per-unit atomicity, lease recovery and convergence of the next sync.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from typing import Any, Dict, Optional

from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.tokens import TokenStore
from tests.reliability import chaos
from tests.reliability.conftest import (
    ROOT,
    assert_no_secrets,
    authorise,
    cli_args,
    groups,
    integrity,
    runner_args,
    snapshot,
    sub_env,
)

STRATEGIES = ("random", "transaction", "commit")


class KillHarness:
    def __init__(self, sb: Any, data_dir: str, rng: random.Random, delay: float = 0.01) -> None:
        self.sb = sb
        self.data_dir = str(data_dir)
        self.db_path = os.path.join(self.data_dir, "trakt_sync.db")
        self.rng = rng
        self.delay = delay
        self.env = sub_env(sb)
        self.stats: Dict[str, int] = dict.fromkeys(
            ("cycles", "kills", "finished_before_kill", "lease_left_by_victim",
             "changed_units_seen"), 0,
        )  # fmt: skip
        self.points: Dict[str, int] = {}

    # -- in-process sync (the "next sync" after a kill) ------------------------------------------
    def sync_now(self) -> Any:
        client = TraktClient(
            self.sb.client_id, self.sb.client_secret,
            token_store=TokenStore(os.path.join(self.data_dir, "trakt_tokens.json")),
            api_url=self.sb.url, oauth_url=self.sb.url, retry_base=0.01,
        )  # fmt: skip
        db = TraktSyncDatabase(self.db_path)
        try:
            assert db.recovered is None, "a killed sync left a database that looked corrupt"
            return db.sync_activities(client, force=True, trigger="manual")
        finally:
            db.close()
            client.close()

    def setup(self) -> None:
        authorise(self.sb, self.data_dir)
        result = self.sync_now()
        assert result.status == "ok", result

    # -- one kill --------------------------------------------------------------------------------
    def _start(self, strategy: str) -> subprocess.Popen:
        if strategy == "random":
            args = cli_args(self.sb, self.data_dir, "sync", "--force")
        else:
            sleep = 0.03 if strategy == "transaction" else 0.005
            args = runner_args("sync", self.data_dir, self.sb.url, "--force", "--tx-sleep", sleep)
        return subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL, text=True,
        )  # fmt: skip

    def _kill_when(self, proc: subprocess.Popen, strategy: str) -> Optional[str]:
        """Wait for the chosen point, SIGKILL; returns the point or None if it ended first."""
        if strategy == "random":
            time.sleep(self.rng.uniform(0.12, 0.6))
            point = "random time"
        else:
            want = "TX" if strategy == "transaction" else "COMMIT"
            target = self.rng.randint(1, 6)
            seen = 0
            point = None
            for line in proc.stdout:
                if line.startswith(want + " "):
                    seen += 1
                    if seen >= target:
                        if strategy == "transaction":
                            time.sleep(self.rng.uniform(0, 0.02))
                        point = "inside transaction" if want == "TX" else "at commit"
                        break
            if point is None:
                point = "after last " + want.lower()
        if proc.poll() is not None:
            return None
        proc.send_signal(signal.SIGKILL)
        return point

    def cycle(self, strategy: Optional[str] = None) -> Dict[str, Any]:
        strategy = strategy or self.rng.choice(STRATEGIES)
        self.stats["cycles"] += 1
        chaos.random_mutations(self.sb, self.rng, self.rng.randint(1, 6))
        if self.rng.random() < 0.5:  # make the victim refetch every unit (long, many pages)
            import sqlite3

            conn = sqlite3.connect(self.db_path, timeout=30)
            with conn:
                conn.execute("UPDATE activities SET cursor = '{}'")
            conn.close()
        old = groups(snapshot(self.db_path))
        new_truth = self.sb.truth()
        new = groups(new_truth)
        self.sb.set_slow(self.delay)
        proc = self._start(strategy)
        try:
            point = self._kill_when(proc, strategy)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            self.sb.set_slow(0)
        assert_no_secrets(out, err)
        if proc.returncode != -signal.SIGKILL:  # it finished before the signal landed
            point = None
            self.stats["finished_before_kill"] += 1
            assert proc.returncode in (0, 5), err
        else:
            self.stats["kills"] += 1
            self.points[point] = self.points.get(point, 0) + 1
        # 1. integrity
        assert integrity(self.db_path) == "ok"
        # 2. every unit fully old or fully new
        after = groups(snapshot(self.db_path))
        for name, value in after.items():
            assert value in (old[name], new[name]), "unit %s half-applied after kill at %s" % (
                name, point,
            )  # fmt: skip
            if old[name] != new[name] and value == new[name]:
                self.stats["changed_units_seen"] += 1
        # 3. the victim's lease is recovered at once (its pid is dead), 4. convergence
        if point is not None and self._lease_rows():
            self.stats["lease_left_by_victim"] += 1
        result = self.sync_now()
        assert result.status == "ok", (point, result)
        assert not self._lease_rows()
        final, truth = snapshot(self.db_path), self.sb.truth()
        diff = sorted(key for key in truth if final.get(key) != truth[key])
        assert not diff, "no convergence after kill at %s: %s differ (%s vs %s)" % (
            point, diff, [final.get(k) for k in diff][:1], [truth[k] for k in diff][:1],
        )  # fmt: skip
        return {"strategy": strategy, "point": point}

    def _lease_rows(self) -> int:
        import sqlite3

        conn = sqlite3.connect(self.db_path, timeout=30)
        try:
            return conn.execute("SELECT COUNT(*) FROM sync_lease").fetchone()[0]
        finally:
            conn.close()
