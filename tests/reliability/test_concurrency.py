"""Everything at once against one database: scheduled syncs, a forced sync from the script entry,
a rebuild, VACUUM and four readers. No "database is locked" surfaces, one sync at a time, readers
never see a half-applied category."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import time

from sandbox.server import Sandbox
from tests.reliability.conftest import (
    ROOT,
    assert_no_secrets,
    authorise,
    cli_args,
    runner_args,
    snapshot,
    sub_env,
)

SECONDS = 12.0


def _popen(args, env):
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip


def _group_mutation(sb, rng, catalog):
    """Changes that keep the readers' invariants on complete categories: the watchlist moves by
    three items at once, movie plays by two."""
    with sb.lock:
        listed = {item for kind, item in sb.truth()["watchlist"] if kind == "movie"}
        if rng.random() < 0.5 and len(listed) >= 3:
            for movie in rng.sample(sorted(listed), 3):
                sb.mutate("watchlist_remove", type="movie", id=movie)
        else:
            free = sorted(set(catalog) - listed)
            for movie in rng.sample(free, 3):
                sb.mutate("watchlist_add", type="movie", id=movie)
        listed = {item for kind, item in sb.truth()["watchlist"] if kind == "movie"}
        # watching a listed movie would also remove it from the watchlist: pick others
        for movie in rng.sample(sorted(set(catalog) - listed), 2):
            sb.mutate("watch_movie", movie=movie)


def test_everything_at_once_against_one_database(tmp_path):
    rng = random.Random(5)
    profile = tmp_path / "profile"
    data_dir = profile / "addon_data" / "plugin.video.aiostreams"
    with Sandbox(account="small", seed=8, port=0) as sb:
        catalog = sorted(sb.state.catalog.movies)
        # start from a state that satisfies the invariants
        truth = sb.truth()
        watched = {item for kind, item in truth["watchlist"] if kind == "movie"}
        for movie in sorted(watched)[: len(truth["watchlist"]) % 3]:
            sb.mutate("watchlist_remove", type="movie", id=movie)
        parity = sum(sb.truth()["movies"].values()) % 2
        authorise(sb, data_dir)
        env = sub_env(sb)
        first = subprocess.run(cli_args(sb, data_dir, "sync"), cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=60)  # fmt: skip
        assert first.returncode == 0, first.stderr
        sb.set_slow(0.01)
        sb.reset_requests()
        procs = {
            "scheduled": _popen(
                runner_args("sync", data_dir, sb.url, "--trigger", "auto", "--force", "--loop", 12),
                env,
            ),  # fmt: skip
            "script": _popen(
                runner_args("script", profile, sb.url, "force_sync", "--loop", 6), env
            ),  # fmt: skip
        }
        for index in range(4):
            procs["reader%d" % index] = _popen(
                runner_args("reader", data_dir, SECONDS, 3, parity), env
            )
        maintenance = []
        deadline = time.monotonic() + SECONDS
        step = 0
        while time.monotonic() < deadline:
            _group_mutation(sb, rng, catalog)
            command = ("rebuild", "--yes") if step % 3 == 0 else ("vacuum",)
            maintenance.append((command[0], _popen(cli_args(sb, data_dir, *command), env)))
            time.sleep(rng.uniform(0.3, 0.9))
            step += 1
        outputs = {}
        for name, proc in list(procs.items()) + [
            ("%s%d" % (c, i), p) for i, (c, p) in enumerate(maintenance)
        ]:
            out, err = proc.communicate(timeout=120)
            assert_no_secrets(out, err)
            outputs[name] = (proc.returncode, out, err)
        sb.set_slow(0)
        log = sb.requests()["log"]

    for name, (code, out, err) in outputs.items():
        assert "locked" not in err.lower(), (name, err)
        assert "Traceback" not in err, (name, err)
        assert "ERROR" not in err and "KODI[3]" not in err, (name, err)
        if name.startswith("reader"):
            assert code == 0, (name, err)
            assert int(out.split()[-1]) > 20, out  # the readers really ran
        elif name.startswith("vacuum"):
            # VACUUM waits for its turn or is refused politely (exit 4: busy)
            assert code in (0, 4), (name, err)
            if code == 4:
                assert err.startswith("error:") and "sync" in err.lower(), err
        elif name.startswith("rebuild"):
            assert code in (0, 4), (name, err)
        else:
            assert code == 0, (name, err, out)
    statuses = [line.split()[1] for line in outputs["scheduled"][1].splitlines()
                if line.startswith("RESULT")]  # fmt: skip
    assert statuses and set(statuses) <= {"ok", "busy", "partial"}, statuses

    conn = sqlite3.connect(str(data_dir / "trakt_sync.db"))
    runs = conn.execute(
        "SELECT started_ts, started_ts + duration, status FROM sync_runs "
        "WHERE duration IS NOT NULL ORDER BY started_ts"
    ).fetchall()
    conn.close()
    ran = [run for run in runs if run[2] not in ("busy", "throttled")]
    assert len(ran) >= 5, runs
    for earlier, later in zip(ran, ran[1:]):
        assert earlier[1] <= later[0] + 0.01, ("two syncs overlapped", earlier, later)
    activities = [entry for entry in log if "/sync/last_activities" in str(entry.get("path"))]
    assert len(activities) >= len(ran) - 1  # every run after the first one asked Trakt
    # and the end state is right
    final = snapshot(str(data_dir / "trakt_sync.db"))
    assert len(final["watchlist"]) % 3 == 0
