"""Long reliability runs (figures in docs/RELIABILITY.md).

    python bench/bench_reliability.py --soak 1000        # sync cycles with mutations and faults
    python bench/bench_reliability.py --kills 500        # SIGKILLed syncs, checked after each
    python bench/bench_reliability.py --soak 200 --kills 100 --json out.json

Soak: one long-lived TraktClient + TraktSyncDatabase (as in the Kodi service) runs N forced
syncs against the sandbox; before each, random mutations and (with probability --fault-rate) a
random fault. Measured: RSS and open fds at start/end (after a warm-up of 20 cycles), DB and
WAL size (max and end), statuses, faults by kind, and divergence from the truth at the end
(after one clean sync).
Kills: tests/reliability/killer.py's KillHarness (integrity, per-unit atomicity, lease recovery,
convergence after every kill).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from resources.lib.database.trakt_sync import TraktSyncDatabase  # noqa: E402
from resources.lib.trakt.client import TraktClient  # noqa: E402
from resources.lib.trakt.tokens import TokenStore  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402
from tests.reliability import chaos  # noqa: E402
from tests.reliability.conftest import authorise  # noqa: E402
from tests.reliability.killer import KillHarness  # noqa: E402


def rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def sizes(db_path):
    def size(path):
        try:
            return os.path.getsize(path)
        except OSError:
            return 0

    return size(db_path), size(db_path + "-wal")


def soak(cycles: int, seed: int, fault_rate: float, account: str) -> dict:
    rng = random.Random(seed)
    data_dir = tempfile.mkdtemp(prefix="soak-")
    db_path = os.path.join(data_dir, "trakt_sync.db")
    faults = {}
    statuses = {}
    with Sandbox(account=account, seed=seed, port=0) as sb:
        authorise(sb, data_dir)
        client = TraktClient(
            sb.client_id,
            sb.client_secret,
            token_store=TokenStore(os.path.join(data_dir, "trakt_tokens.json")),
            api_url=sb.url,
            oauth_url=sb.url,
            retry_base=0.01,
            timeout=2.0,
            get_budget=10**9,  # the sandbox has no rate limit; the pacing is tested elsewhere
        )
        db = TraktSyncDatabase(db_path)
        max_db = max_wal = 0
        start = {}
        started = time.monotonic()
        for cycle in range(cycles):
            if cycle == min(20, cycles - 1):
                start = {"rss_kb": rss_kb(), "fds": open_fds()}
            chaos.random_mutations(sb, rng, rng.randint(0, 4))
            if rng.random() < fault_rate:
                chaos.random_fault(sb, rng, faults)
            if rng.random() < 0.02:  # now and then the token expires and is refreshed
                sb.add_fault("401", path="^/sync/last_activities$", count=1)
                faults["401"] = faults.get("401", 0) + 1
            result = db.sync_activities(client, force=True, trigger="auto")
            statuses[result.status] = statuses.get(result.status, 0) + 1
            sb.clear_faults()
            db_size, wal_size = sizes(db_path)
            max_db, max_wal = max(max_db, db_size), max(max_wal, wal_size)
        end = {"rss_kb": rss_kb(), "fds": open_fds()}
        final = db.sync_activities(client, force=True)
        divergence = sorted(k for k, v in sb.truth().items() if db.snapshot().get(k) != v)
        db.close()
        client.close()
    return {
        "cycles": cycles,
        "seconds": round(time.monotonic() - started, 1),
        "statuses": statuses,
        "faults": faults,
        "rss_kb_start": start.get("rss_kb"),
        "rss_kb_end": end["rss_kb"],
        "rss_growth_kb": end["rss_kb"] - start.get("rss_kb", end["rss_kb"]),
        "fds_start": start.get("fds"),
        "fds_end": end["fds"],
        "db_bytes_max": max_db,
        "wal_bytes_max": max_wal,
        "db_bytes_end": sizes(db_path)[0],
        "wal_bytes_end": sizes(db_path)[1],
        "final_status": final.status,
        "divergence": divergence,
    }


def kills(count: int, seed: int) -> dict:
    rng = random.Random(seed)
    data_dir = tempfile.mkdtemp(prefix="kills-")
    started = time.monotonic()
    with Sandbox(account="small", seed=seed, port=0) as sb:
        harness = KillHarness(sb, data_dir, rng, delay=0.01)
        harness.setup()
        while harness.stats["kills"] < count:
            harness.cycle()
    return dict(harness.stats, points=harness.points, seconds=round(time.monotonic() - started, 1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--soak", type=int, default=0, help="sync cycles (e.g. 1000)")
    parser.add_argument("--kills", type=int, default=0, help="SIGKILLed syncs (e.g. 500)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.3)
    parser.add_argument("--account", default="small")
    parser.add_argument("--json", default=None, help="write the figures here too")
    args = parser.parse_args(argv)
    if not args.soak and not args.kills:
        parser.error("give --soak N and/or --kills N")
    import logging

    logging.basicConfig(level=logging.CRITICAL)
    figures = {}
    ok = True
    if args.soak:
        figures["soak"] = result = soak(args.soak, args.seed, args.fault_rate, args.account)
        print(json.dumps({"soak": result}, indent=1, sort_keys=True), flush=True)
        ok = ok and not result["divergence"] and result["final_status"] == "ok"
        ok = ok and result["rss_growth_kb"] <= 5 * 1024 and result["fds_end"] <= result["fds_start"]
    if args.kills:
        figures["kills"] = result = kills(args.kills, args.seed)
        print(json.dumps({"kills": result}, indent=1, sort_keys=True), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=1, sort_keys=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
