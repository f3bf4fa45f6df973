"""First sync on a real network: the sandbox with latency and Trakt's rate limit.

    python bench/bench_network.py [--accounts small,medium,large] [--latency 150]
                                  [--get-limit 1000] [--with-500] [--cap] [--json]

For each account, at loopback (no latency, no limit) and at ``--latency`` ms with
``--get-limit`` GETs per 300 s (and 1 write per second), one first sync in a child process
(default client settings, as the add-on runs it) prints:

- requests (counted by the sandbox; metadata = ``GET /shows/{id}/seasons``), and the
  pagination minimum of the account's lists (see bench_sync.pagination_minimum);
- wall time of the sync, 429s the sandbox answered, peak RSS of the syncing process (VmHWM);
- "next50 s": seconds from the child's start until the Next Up view is right for the 50 most
  recently watched shows (polled every 0.2 s in the database the child writes; right = the
  sandbox truth's next episode for each of those shows, nothing for the ones the view leaves
  out);
- whether the finished mirror equals the sandbox truth.

``--with-500`` adds the large account at 500 GETs / 300 s (takes over 5 minutes: the sync must
wait for a second window). ``--cap`` adds an account at Trakt's 100K-play cap at loopback (peak
RSS budget 80 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from resources.lib.database.trakt_sync import TraktSyncDatabase, queries  # noqa: E402
from resources.lib.trakt.tokens import Tokens, TokenStore  # noqa: E402

# An account at Trakt's play cap (100K plays for free and VIP accounts alike):
# ~90K episode plays over 1,800 shows plus ~9.6K movie plays.
CAP_PROFILE = dict(
    shows=1800,
    movies=8600,
    plays=90000,
    watchlist=250,
    playback=100,
    hidden=200,
    extra=150,
    seasons=8,
)
RECENT_SHOWS = 50


# -- child: one first sync, default client settings ----------------------------------------
def child(url: str, db_path: str, token_file: str) -> None:
    from bench_sync import peak_rss_mb

    from resources.lib.trakt.client import TraktClient

    if os.environ.get("BENCH_PARALLEL"):  # compare with fewer connections (1 = one by one)
        from resources.lib.database.trakt_sync import metadata

        metadata.PARALLEL_FETCHES = int(os.environ["BENCH_PARALLEL"])
    started = time.perf_counter()
    db = TraktSyncDatabase(db_path)
    client = TraktClient(
        "sandbox-client-id",
        "sandbox-client-secret",
        token_store=TokenStore(token_file),
        api_url=url,
        oauth_url=url,
    )
    result = db.sync_activities(client, force=True, trigger="bench")
    db.close()
    print(
        json.dumps(
            {
                "status": result.status,
                "error": result.error,
                "requests": result.requests,
                "sync_s": result.duration,
                "wall_s": time.perf_counter() - started,
                "peak_rss_mb": peak_rss_mb(),
                "window_waits": client.limiter.window_waits,
            }
        )
    )


# -- parent ----------------------------------------------------------------------------------
def recent_expectation(sb: Any) -> Dict[int, Any]:
    """The next episodes the view may show for each of the 50 most recently watched shows."""
    state, truth = sb.state, sb.truth()
    catalog = state.catalog
    last: Dict[int, int] = {}
    for trakt, plays in state.plays.items():
        episode = catalog.episodes.get(trakt)
        if episode is not None and plays:
            show = episode.show.trakt
            last[show] = max(last.get(show, 0), max(plays.values()))
    recent = sorted(last, key=lambda show: (-last[show], show))[:RECENT_SHOWS]
    left_out = {
        int(item)
        for section, kind, item in truth["hidden"]
        if kind == "show" and section in ("progress_watched", "dropped")
    }
    out: Dict[int, Any] = {}
    for show in recent:
        nxt = truth["next_up"].get(str(show))
        want = None if nxt is None else (nxt["season"], nxt["number"])
        # The view leaves hidden/dropped shows out (dropped since issue 12): either is right.
        out[show] = (want, None) if show in left_out else (want,)
    return out


def _view(conn: sqlite3.Connection) -> Dict[int, Tuple[int, int]]:
    return {row["show_trakt_id"]: (row["season"], row["number"]) for row in queries.next_up(conn)}


def watch_next_up(
    db_path: str, expected: Dict[int, Any], started: float, stop: threading.Event
) -> Dict[str, Any]:
    """Poll the child's database until Next Up is right for ``expected`` (or ``stop``)."""
    found: Dict[str, Any] = {"next50_s": None}
    conn: Optional[sqlite3.Connection] = None
    while True:
        final = stop.is_set()  # one last look after the child ended
        try:
            if conn is None and os.path.exists(db_path):
                conn = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=1)
                conn.row_factory = sqlite3.Row
            if conn is not None:
                view = _view(conn)
                if all(view.get(show) in allowed for show, allowed in expected.items()):
                    found["next50_s"] = time.perf_counter() - started
                    break
        except sqlite3.Error:
            pass  # schema not there yet, or busy: try again
        if final:
            break
        stop.wait(0.2)
    if conn is not None:
        conn.close()
    return found


def run(account: str, latency: float, get_limit: Optional[int], seed: int = 1) -> Dict[str, Any]:
    from bench_sync import pagination_minimum

    from sandbox.server import Sandbox

    sb = Sandbox(
        account=account,
        seed=seed,
        latency_ms=latency,
        get_limit=get_limit,
        write_limit=1 if get_limit else None,
    ).start()
    folder = tempfile.mkdtemp(prefix="bench-net-")
    try:
        token_file = os.path.join(folder, "tokens.json")
        TokenStore(token_file).save(Tokens.from_response(sb.issue_tokens()))
        db_path = os.path.join(folder, "trakt_sync.db")
        expected = recent_expectation(sb)
        minimum = sum(pagination_minimum(sb).values())
        sb.reset_requests()
        stop = threading.Event()
        started = time.perf_counter()
        box: Dict[str, Any] = {}
        watcher = threading.Thread(
            target=lambda: box.update(watch_next_up(db_path, expected, started, stop))
        )
        watcher.start()
        proc = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--child", sb.url, db_path, token_file],
            check=True,
            capture_output=True,
            text=True,
            cwd=os.path.dirname(os.path.abspath(__file__)),
        )
        stop.set()
        watcher.join()
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        log = sb.requests()
        db = TraktSyncDatabase(db_path)
        mirror, truth = db.snapshot(), sb.truth()
        db.close()
        equal = mirror == truth
        differs = sorted(key for key in truth if mirror.get(key) != truth[key])
        metadata = log["by_endpoint"].get("GET /shows/{id}/seasons", 0)
        return {
            "account": account,
            "network": "loopback" if not latency else "%g ms" % latency,
            "limit": "%d/300s" % get_limit if get_limit else "none",
            "status": out["status"],
            "requests": log["total"],
            "list_requests": log["total"] - metadata,
            "pagination_min": minimum,
            "metadata_requests": metadata,
            "sync_s": round(out["sync_s"], 2),
            "rate_limited_429": sb.rate_limited,
            "window_waits": out["window_waits"],
            "peak_rss_mb": round(out["peak_rss_mb"], 1),
            "next50_s": None if box.get("next50_s") is None else round(box["next50_s"], 2),
            "equals_truth": equal if equal else "no: " + ",".join(differs),
        }
    finally:
        sb.stop()
        shutil.rmtree(folder, ignore_errors=True)


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")),
                cpu,
            )
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return "nproc=%d, CPU: %s, Python %s, load %.1f" % (
        os.cpu_count() or 0,
        cpu,
        platform.python_version(),
        load,
    )


COLUMNS = (
    "account",
    "network",
    "limit",
    "status",
    "requests",
    "list_requests",
    "pagination_min",
    "metadata_requests",
    "sync_s",
    "rate_limited_429",
    "peak_rss_mb",
    "next50_s",
    "equals_truth",
)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", default="small,medium,large")
    parser.add_argument("--latency", type=float, default=150.0, help="ms per response")
    parser.add_argument("--get-limit", type=int, default=1000, help="GETs per 300 s")
    parser.add_argument("--no-loopback", action="store_true", help="only the network runs")
    parser.add_argument("--with-500", action="store_true", help="large at 500 GETs / 300 s too")
    parser.add_argument("--cap", action="store_true", help="an account at the 100K-play cap")
    parser.add_argument(
        "--parallel", type=int, default=None, help="season fetches in flight (default: 4)"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("URL", "DB", "TOKENS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    if args.parallel is not None:
        os.environ["BENCH_PARALLEL"] = str(max(1, args.parallel))
    print(machine(), flush=True)
    plan: List[Tuple[str, float, Optional[int]]] = []
    for account in [a for a in args.accounts.split(",") if a]:
        if not args.no_loopback:
            plan.append((account, 0.0, None))
        plan.append((account, args.latency, args.get_limit))
    if args.with_500:
        plan.append(("large", args.latency, 500))
    if args.cap:
        from sandbox import accounts

        accounts.PROFILES["cap100k"] = CAP_PROFILE
        plan.append(("cap100k", 0.0, None))
    rows = []
    print(" | ".join(COLUMNS), flush=True)
    for account, latency, limit in plan:
        row = run(account, latency, limit)
        rows.append(row)
        print(" | ".join(str(row[c]) for c in COLUMNS), flush=True)
    if args.json:
        print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main())
