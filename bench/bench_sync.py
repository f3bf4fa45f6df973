"""Benchmark of the Trakt mirror against the local sandbox (results go to docs/PERFORMANCE.md).

    python bench/bench_sync.py [--accounts small,medium,large] [--seed 1]
    python bench/bench_sync.py --soak 500 [--seed 1]

Per account: first full sync (wall time, requests split into list pages and show metadata,
the pagination minimum for the account, peak RSS of the syncing process), a nothing-changed sync
(requests, ms), a sync after one episode was watched (requests), the read queries (ms, median of
7) and the database size. Every sync runs in a child process (``--child``) so its peak RSS
(``VmHWM``; ``ru_maxrss`` would include the parent's size, see ``peak_rss_mb``) is the sync's own,
without the sandbox.

``--soak N``: N rounds of random sandbox mutations, injected faults and (forced or throttled)
syncs on one database; every 10 rounds and at the end a clean forced sync must make
``db.snapshot()`` equal the sandbox truth.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from resources.lib.database.trakt_sync import TraktSyncDatabase  # noqa: E402
from resources.lib.trakt.client import TraktClient  # noqa: E402
from resources.lib.trakt.tokens import Tokens, TokenStore  # noqa: E402
from sandbox import userlists  # noqa: E402


def _client(url: str, token_file: str) -> TraktClient:
    return TraktClient(
        "sandbox-client-id",
        "sandbox-client-secret",
        token_store=TokenStore(token_file),
        api_url=url,
        oauth_url=url,
        timeout=5.0,
        # The sandbox has no rate limit; the default budget (950 GETs / 5 min) would make the
        # soak wait for minutes.
        get_budget=1_000_000,
        retry_base=0.01,
        backoff_cap=0.05,
        retry_after_cap=0.05,
    )


# -- child: one sync in its own process ----------------------------------------------------------
def child(url: str, db_path: str, token_file: str) -> None:
    started = time.perf_counter()
    db = TraktSyncDatabase(db_path)
    opened = time.perf_counter()
    client = _client(url, token_file)
    result = db.sync_activities(client, force=True, trigger="bench")
    db.close()
    print(
        json.dumps(
            {
                "status": result.status,
                "error": result.error,
                "requests": result.requests,
                "sync_s": result.duration,
                "open_s": opened - started,
                "peak_rss_mb": peak_rss_mb(),
                "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            }
        )
    )


def peak_rss_mb() -> float:
    """Peak RSS of this process image.

    ``ru_maxrss`` survives fork+exec on Linux, so a child of the (large) benchmark process would
    report the parent's size; ``VmHWM`` belongs to the current address space only.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_child(url: str, db_path: str, token_file: str) -> Dict[str, Any]:
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", url, db_path, token_file],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- helpers ---------------------------------------------------------------------------------
def _start_sandbox(account: str, seed: int) -> Any:
    from sandbox import server as sandbox_server

    # The sandbox sends each answer in one write, so no Nagle workaround is needed (issue 13).
    return sandbox_server.Sandbox(account=account, seed=seed).start()


def pagination_minimum(sb: Any) -> Dict[str, int]:
    """Fewest list requests a complete mirror of this account can cost (limits 250 / 100)."""
    truth = sb.truth()
    state = sb.state
    catalog = state.catalog
    collected_shows = {
        catalog.episodes[t].show.trakt for t in state.collection if t in catalog.episodes
    }
    collected_movies = sum(1 for t in state.collection if t in catalog.movies)
    lists = userlists.of(state)
    sections = (
        "progress_watched",
        "progress_watched_reset",
        "progress_collected",
        "calendar",
        "dropped",
        "recommendations",
    )

    def pages(count: int, limit: int = 250) -> int:
        return max(1, math.ceil(count / limit))

    return {
        "activities+settings": 2,
        "watched movies": pages(len(truth["movies"])),
        "watched shows": pages(len(truth["episodes"]), 100),
        "watchlist": pages(len(truth["watchlist"])),
        "playback": pages(len(truth["playback"])),
        "hidden": sum(pages(sum(1 for h in truth["hidden"] if h[0] == s)) for s in sections),
        "collection": pages(collected_movies) + pages(len(collected_shows)),
        "ratings": pages(len(state.ratings)),
        # the personal lists (one unpaged request), the liked lists, and each list's items
        "lists": 1
        + pages(len(lists.liked_lists()))
        + sum(
            pages(len(found.entries))
            for found in list(lists.own.values()) + [row[1] for row in lists.liked_lists()]
        ),
    }


def _time_query(fn: Any) -> float:
    samples = []
    for _ in range(7):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def bench_account(account: str, seed: int) -> Dict[str, Any]:
    sb = _start_sandbox(account, seed)
    folder = tempfile.mkdtemp(prefix="bench-sync-")
    try:
        token_file = os.path.join(folder, "tokens.json")
        TokenStore(token_file).save(Tokens.from_response(sb.issue_tokens()))
        db_path = os.path.join(folder, "trakt_sync.db")
        row: Dict[str, Any] = {"account": account}
        minimum = pagination_minimum(sb)
        row["pagination_min"] = sum(minimum.values())

        sb.reset_requests()
        first = run_child(sb.url, db_path, token_file)
        log = sb.requests()["by_endpoint"]
        row["first_status"] = first["status"]
        row["first_s"] = first["sync_s"]
        row["first_requests"] = first["requests"]
        row["metadata_requests"] = log.get("GET /shows/{id}/seasons", 0)
        row["list_requests"] = first["requests"] - row["metadata_requests"]
        row["peak_rss_mb"] = first["peak_rss_mb"]
        db = TraktSyncDatabase(db_path)
        row["equals_truth"] = db.snapshot() == sb.truth()
        db.close()

        runs = []
        for _ in range(3):  # median of three child processes: one sample is too noisy
            sb.reset_requests()
            runs.append(run_child(sb.url, db_path, token_file))
            row["nochange_requests"] = max(row.get("nochange_requests", 0), sb.requests()["total"])
        row["nochange_ms"] = statistics.median(r["sync_s"] for r in runs) * 1000
        row["open_ms"] = statistics.median(r["open_s"] for r in runs) * 1000

        truth = sb.truth()
        db = TraktSyncDatabase(db_path)
        with_metadata = {str(r["show_trakt_id"]) for r in db.next_up()}
        db.close()
        show_id = next(s for s in sorted(truth["next_up"], key=int) if s in with_metadata)
        sb.mutate("watch_episode", show=int(show_id), **truth["next_up"][show_id])
        sb.reset_requests()
        one = run_child(sb.url, db_path, token_file)
        row["one_episode_requests"] = sb.requests()["total"]
        row["one_episode_ms"] = one["sync_s"] * 1000

        db = TraktSyncDatabase(db_path)
        row["next_up_ms"] = _time_query(db.next_up)
        row["next_up_rows"] = len(db.next_up())
        row["in_progress_ms"] = _time_query(db.in_progress)
        row["watchlist_ms"] = _time_query(lambda: db.watchlist("movie") + db.watchlist("show"))
        row["equals_truth_after"] = db.snapshot() == sb.truth()
        db.close()
        row["db_mb"] = sum(
            os.path.getsize(db_path + suffix)
            for suffix in ("", "-wal")
            if os.path.exists(db_path + suffix)
        ) / (1024.0 * 1024.0)
        row["minimum_detail"] = minimum
        return row
    finally:
        sb.stop()
        shutil.rmtree(folder, ignore_errors=True)


def machine_info() -> str:
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "nproc=%d, CPU: %s, Python %s, SQLite %s, %s" % (
        os.cpu_count() or 0,
        model,
        platform.python_version(),
        __import__("sqlite3").sqlite_version,
        platform.platform(),
    )


def print_table(rows: List[Dict[str, Any]]) -> None:
    columns = [
        ("account", "account", "%s"),
        ("first sync s", "first_s", "%.2f"),
        ("requests", "first_requests", "%d"),
        ("list/min", None, None),
        ("metadata", "metadata_requests", "%d"),
        ("peak RSS MB", "peak_rss_mb", "%.1f"),
        ("no-change req", "nochange_requests", "%d"),
        ("no-change ms", "nochange_ms", "%.1f"),
        ("1 episode req", "one_episode_requests", "%d"),
        ("Next Up ms", "next_up_ms", "%.1f"),
        ("In Progress ms", "in_progress_ms", "%.2f"),
        ("Watchlist ms", "watchlist_ms", "%.2f"),
        ("open ms", "open_ms", "%.1f"),
        ("DB MB", "db_mb", "%.1f"),
        ("== truth", "equals_truth_after", "%s"),
    ]
    header = "| " + " | ".join(name for name, _, _ in columns) + " |"
    print(header)
    print("|" + "---|" * len(columns))
    for row in rows:
        cells = []
        for _, key, fmt in columns:
            if key is None:
                cells.append("%d/%d" % (row["list_requests"], row["pagination_min"]))
            else:
                cells.append(fmt % row[key])
        print("| " + " | ".join(cells) + " |")


# -- soak ------------------------------------------------------------------------------------
FAULT_PATHS = (
    "^/sync/watched/shows",
    "^/sync/watched/movies",
    "^/sync/watchlist",
    "^/sync/playback",
    "^/users/hidden",
    "^/shows/[0-9]+/seasons",
    "^/sync/last_activities",
)
FAULT_KINDS = ("500", "502", "badjson", "truncate", "drop", "429")


def _random_mutation(sb: Any, rng: random.Random) -> None:
    state = sb.state
    catalog = state.catalog
    now = time.time() * 1000
    op = rng.choice(
        (
            "watch_episode",
            "unwatch_episode",
            "watch_movie",
            "unwatch_movie",
            "watchlist_add",
            "watchlist_remove",
            "playback_set",
            "playback_remove",
            "hide",
            "unhide",
            "reset_show",
        )
    )
    show = catalog.shows[rng.choice(sorted(catalog.shows))]
    episodes = [e for e in show.ordered_episodes() if e.first_aired and e.first_aired <= now]
    if op == "watch_episode" and episodes:
        episode = rng.choice(episodes)
        when = rng.choice((None, None, "now-3d"))
        extra = {"watched_at": when} if when else {}
        sb.mutate(op, show=show.trakt, season=episode.season, number=episode.number, **extra)
    elif op == "unwatch_episode":
        watched = [t for t in state.plays if t in catalog.episodes]
        if watched:
            episode = catalog.episodes[rng.choice(sorted(watched))]
            sb.mutate(op, show=episode.show.trakt, season=episode.season, number=episode.number)
    elif op == "watch_movie":
        sb.mutate(op, movie=rng.choice(sorted(catalog.movies)))
    elif op == "unwatch_movie":
        watched = sorted(t for t in state.plays if t in catalog.movies)
        if watched:
            sb.mutate(op, movie=rng.choice(watched))
    elif op == "watchlist_add":
        kind = rng.choice(("movie", "show"))
        table = catalog.movies if kind == "movie" else catalog.shows
        sb.mutate(op, type=kind, id=rng.choice(sorted(table)))
    elif op == "watchlist_remove" and state.watchlist:
        trakt = rng.choice(sorted(state.watchlist))
        kind = "movie" if trakt in catalog.movies else "show"
        sb.mutate(op, type=kind, id=trakt)
    elif op == "playback_set":
        sb.mutate(
            op,
            type="movie",
            movie=rng.choice(sorted(catalog.movies)),
            progress=round(rng.uniform(1, 95), 2),
        )
    elif op == "playback_remove" and state.playback:
        sb.mutate(op, id=rng.choice(sorted(state.playback)))
    elif op == "hide":
        section = rng.choice(("progress_watched", "calendar", "dropped"))
        sb.mutate(op, section=section, type="show", id=show.trakt)
    elif op == "unhide" and state.hidden:
        section, kind, trakt = rng.choice(sorted(state.hidden))
        sb.mutate(op, section=section, type=kind, id=trakt)
    elif op == "reset_show":
        # Only shows with plays: Trakt reports reset_at through /sync/watched/shows, which lists
        # watched shows only (the sandbox truth also lists resets of unwatched shows).
        watched = sorted(
            {catalog.episodes[t].show.trakt for t in state.plays if t in catalog.episodes}
        )
        if watched:
            sb.mutate(op, show=rng.choice(watched))


def soak(rounds: int, seed: int) -> int:
    rng = random.Random(seed)
    sb = _start_sandbox("small", seed)
    folder = tempfile.mkdtemp(prefix="soak-sync-")
    failures = 0
    try:
        token_file = os.path.join(folder, "tokens.json")
        TokenStore(token_file).save(Tokens.from_response(sb.issue_tokens()))
        client = _client(sb.url, token_file)
        db = TraktSyncDatabase(os.path.join(folder, "trakt_sync.db"))
        statuses: Dict[str, int] = {}
        started = time.time()
        for number in range(1, rounds + 1):
            for _ in range(rng.randint(0, 4)):
                _random_mutation(sb, rng)
            if rng.random() < 0.3:
                sb.add_fault(
                    rng.choice(FAULT_KINDS), path=rng.choice(FAULT_PATHS), count=rng.randint(1, 6)
                )
            result = db.sync_activities(client, force=rng.random() < 0.8, trigger="soak")
            statuses[result.status] = statuses.get(result.status, 0) + 1
            if number % 10 == 0 or number == rounds:
                sb.clear_faults()
                final = db.sync_activities(client, force=True, trigger="soak-check")
                snap, truth = db.snapshot(), sb.truth()
                # Resets of shows whose plays were all removed cannot be mirrored: Trakt reports
                # reset_at only for watched shows (see tests/support/sync_rig.py).
                truth["reset_at"] = {
                    k: v for k, v in truth["reset_at"].items() if k in truth["episodes"]
                }
                differ = sorted(key for key in truth if snap.get(key) != truth[key])
                if final.status != "ok" or differ:
                    failures += 1
                    print(
                        "round %d: status %s (%s), differs: %s"
                        % (number, final.status, final.error, differ)
                    )
        print(
            "soak: %d rounds in %.1f s, statuses %s, failed checks %d"
            % (rounds, time.time() - started, statuses, failures)
        )
        db.close()
    finally:
        sb.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failures else 0


def main(argv: List[str]) -> int:
    if argv[:1] == ["--child"]:
        child(*argv[1:4])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", default="small,medium,large")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--soak", type=int, default=0, metavar="N")
    parser.add_argument("--json", action="store_true", help="also print the raw rows as JSON")
    args = parser.parse_args(argv)
    if args.soak:
        return soak(args.soak, args.seed)
    print(machine_info())
    rows = [bench_account(account, args.seed) for account in args.accounts.split(",")]
    print_table(rows)
    for row in rows:
        print("%s pagination minimum: %s" % (row["account"], row["minimum_detail"]))
    if args.json:
        print(json.dumps(rows, indent=1, sort_keys=True))
    return 0 if all(r["equals_truth"] and r["equals_truth_after"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
