"""CPU of one plugin list call in a new process (issue 13 section 4: lists in 100 ms).

    python bench/bench_plugin.py [--account large] [--runs 15] [--data DIR] [--root REPO]
                                 [--action next_up] [--json]

What it does:
1. a data folder with the account synced once from the Trakt sandbox (``--data DIR`` keeps and
   reuses it: the sync runs only when ``DIR/trakt_sync.db`` is missing);
2. ``--runs`` fresh ``python -c`` processes, each running the REAL ``addon.py`` of ``--root``
   (default: this checkout) with ``sys.argv = [plugin://plugin.video.aiostreams/, 1,
   ?action=<action>]`` over the minimal Kodi modules in ``bench/kodi_stubs`` (they do nothing,
   as Kodi's C++ side costs the add-on nothing);
3. the same number of bare ``python -c pass`` processes;
4. the same number of processes that only import the mirror, open it and read Next Up (the
   core's share of the call);
5. CPU = user + sys of each child (``getrusage(RUSAGE_CHILDREN)`` around it); prints the median
   and max of the plugin call, of the bare interpreter, and of the difference (the add-on's own
   share, the issue's budget: 100 ms);
6. one run under ``-X importtime``: the add-on's imports (microseconds, total minus a bare
   interpreter's) and which modules a list view should not import are present;
7. one run under cProfile: the read query, the item building and ``urlencode``'s share of it;
8. (``--root`` = this checkout) in this process: the Next Up read from the stored table and the
   full query, the plugin's cheap open and the service's ``quick_check`` (medians, ms).
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import re
import resource
import statistics
import subprocess
import sys
import tempfile
from typing import Any, Dict, List, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STUBS = os.path.join(ROOT, "bench", "kodi_stubs")
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# Modules a list view must not import (issue 13 section 4): the sync engine, the play route,
# the player and the scrobble stack.
NOT_FOR_LISTS = (
    "resources.lib.database.trakt_sync.engine",
    "resources.lib.database.trakt_sync.runner",
    "resources.lib.database.trakt_sync.outbox_push",
    "resources.lib.database.trakt_sync.metadata",
    "resources.lib.plugin.play",
    "resources.lib.kodi.player",
    "resources.lib.scrobble",
    "resources.lib.trakt.client",
)

# The child: Kodi's plugin call, reduced to what Kodi does (argv, then run addon.py).
ENTRY = r"""
import sys
sys.path[:0] = [{stubs!r}, {root!r}]
sys.argv = ["plugin://plugin.video.aiostreams/", "1", "?action={action}", "resume:false"]
path = {root!r} + "/addon.py"
exec(compile(open(path).read(), path, "exec"), {{"__name__": "__main__"}})
"""
REPORT = r"""
import json, xbmcplugin
print(json.dumps({"items": len(xbmcplugin.ADDED),
                  "modules": sorted(m for m in sys.modules if m.startswith("resources"))}))
"""
# The core's share of the same call: import the mirror, open it, read Next Up (no Kodi, no items).
CORE = r"""
import os, sys
sys.path.insert(0, {root!r})
from resources.lib.database.trakt_sync import TraktSyncDatabase
db = TraktSyncDatabase(os.path.join(os.environ["AIOS_BENCH_DATA"], "trakt_sync.db"))
rows = db.next_up()
db.close()
"""
PROFILED = r"""
import cProfile, sys
sys.path[:0] = [{stubs!r}, {root!r}]
sys.argv = ["plugin://plugin.video.aiostreams/", "1", "?action={action}", "resume:false"]
path = {root!r} + "/addon.py"
code = compile(open(path).read(), path, "exec")
cProfile.run("exec(code, {{'__name__': '__main__'}})", {out!r})
"""


def sync_data_folder(folder: str, account: str, seed: int) -> Dict[str, Any]:
    """Sync ``account`` from the sandbox into ``folder/trakt_sync.db`` (once)."""
    from resources.lib.database.trakt_sync import TraktSyncDatabase
    from resources.lib.trakt.client import TraktClient
    from resources.lib.trakt.tokens import Tokens, TokenStore
    from sandbox.server import Sandbox

    os.makedirs(folder, exist_ok=True)
    sb = Sandbox(account=account, seed=seed).start()
    try:
        token_file = os.path.join(folder, "trakt_tokens.json")
        TokenStore(token_file).save(Tokens.from_response(sb.issue_tokens()))
        client = TraktClient(
            "sandbox-client-id", "sandbox-client-secret", token_store=TokenStore(token_file),
            api_url=sb.url, oauth_url=sb.url, timeout=10.0,
        )  # fmt: skip
        with TraktSyncDatabase(os.path.join(folder, "trakt_sync.db")) as db:
            result = db.sync_activities(client, force=True, trigger="bench")
            equal = db.snapshot() == sb.truth()
        client.close()
        return {"status": result.status, "requests": result.requests, "equals_truth": equal}
    finally:
        sb.stop()


def _child_cpu(args: List[str], env: Dict[str, str]) -> Tuple[float, str, str]:
    """(user + sys seconds, stdout, stderr) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(args, env=env, capture_output=True, text=True, cwd=tempfile.gettempdir())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError("child failed (%d): %s" % (done.returncode, done.stderr[-2000:]))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, done.stdout, done.stderr


def _import_us(stderr: str) -> Tuple[int, Dict[str, int]]:
    """Total self time of ``-X importtime`` and cumulative time per top-level module."""
    total = 0
    cumulative: Dict[str, int] = {}
    for line in stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not match:
            continue
        total += int(match.group(1))
        if not match.group(3).strip(" ") and len(match.group(3)) <= 1:
            cumulative[match.group(4)] = int(match.group(2))
    return total, cumulative


def _profile(root: str, action: str, env: Dict[str, str]) -> Dict[str, Any]:
    out = os.path.join(tempfile.mkdtemp(prefix="bench-plugin-prof-"), "entry.prof")
    code = PROFILED.format(stubs=STUBS, root=root, action=action, out=out)
    _child_cpu([sys.executable, "-c", code], env)
    stats = pstats.Stats(out)
    total = 0.0
    found: Dict[str, Dict[str, float]] = {}
    for (filename, _line, name), (_cc, calls, _tt, cumtime, _callers) in stats.stats.items():
        if name == "<module>" and filename.endswith("addon.py"):
            total = max(total, cumtime)
        key = None
        if name == "urlencode" and filename.endswith("parse.py"):
            key = "urlencode"
        elif name == "next_up" and "database" in filename:
            key = "next_up_read"
        elif name == "_view_items" and "plugin" in filename:
            key = "_view_items"
        elif name in ("url_for", "play_url") and filename.endswith("urls.py"):
            key = "url_building"  # every plugin URL of the list (items and context entries)
        elif name == "menu_entries" and "context_menu" in filename:
            key = "context_entries"
        elif name == "build_listitem" and "directory" in filename:
            key = "build_listitem"
        if key:
            entry = found.setdefault(key, {"calls": 0, "ms": 0.0})
            entry["calls"] += calls
            entry["ms"] = max(entry["ms"], cumtime * 1000)
            if key in ("url_building", "context_entries", "build_listitem"):
                entry["ms"] = entry.get("sum", 0.0) + cumtime * 1000  # two functions: a sum
                entry["sum"] = entry["ms"]
    result: Dict[str, Any] = {"entry_ms": round(total * 1000, 1)}
    result.update({k: {"calls": v["calls"], "ms": round(v["ms"], 1)} for k, v in found.items()})
    items_ms = found.get("_view_items", {}).get("ms", 0.0) - found.get("next_up_read", {}).get(
        "ms", 0.0
    )
    if items_ms > 0 and "urlencode" in found:
        result["items_ms"] = round(items_ms, 1)
        result["urlencode_share_of_items"] = round(found["urlencode"]["ms"] / items_ms, 2)
    if items_ms > 0 and "url_building" in found:
        result["items_ms"] = round(items_ms, 1)
        result["url_building_share_of_items"] = round(found["url_building"]["ms"] / items_ms, 2)
    return result


def bench(root: str, data: str, action: str, runs: int) -> Dict[str, Any]:
    env = dict(os.environ, AIOS_BENCH_DATA=data, AIOS_BENCH_ROOT=root, PYTHONDONTWRITEBYTECODE="")
    env.pop("PYTHONPATH", None)
    entry = ENTRY.format(stubs=STUBS, root=root, action=action)
    # Warm-up (compiles .pyc files, fills the page cache) and the item/module report.
    _cpu, out, _err = _child_cpu([sys.executable, "-c", entry + REPORT], env)
    report = json.loads(out.strip().splitlines()[-1])
    core_code = CORE.format(root=root)
    plugin: List[float] = []
    bare: List[float] = []
    core: List[float] = []
    for _ in range(runs):  # interleaved, so load changes hit every series alike
        plugin.append(_child_cpu([sys.executable, "-c", entry], env)[0])
        bare.append(_child_cpu([sys.executable, "-c", "pass"], env)[0])
        core.append(_child_cpu([sys.executable, "-c", core_code], env)[0])
    _cpu, _out, err = _child_cpu([sys.executable, "-X", "importtime", "-c", entry], env)
    imports_total, by_module = _import_us(err)
    _cpu, _out, bare_err = _child_cpu([sys.executable, "-X", "importtime", "-c", "pass"], env)
    bare_imports, bare_modules = _import_us(bare_err)
    own_ms = [(p - b) * 1000 for p, b in zip(plugin, bare)]
    own_modules = {k: v for k, v in by_module.items() if k not in bare_modules}
    heaviest = sorted(own_modules.items(), key=lambda kv: -kv[1])[:8]
    return {
        "action": action,
        "runs": runs,
        "items": report["items"],
        "plugin_cpu_ms": {"median": _ms(statistics.median(plugin)), "max": _ms(max(plugin))},
        "bare_cpu_ms": {"median": _ms(statistics.median(bare)), "max": _ms(max(bare))},
        "own_cpu_ms": {
            "median": round(statistics.median(own_ms), 1),
            "max": round(max(own_ms), 1),
            "median_of_medians": round(
                (statistics.median(plugin) - statistics.median(bare)) * 1000, 1
            ),
        },
        "core_cpu_ms": {
            "median": round(statistics.median([(c - b) * 1000 for c, b in zip(core, bare)]), 1),
            "max": round(max((c - b) * 1000 for c, b in zip(core, bare)), 1),
        },
        "own_import_ms": round((imports_total - bare_imports) / 1000.0, 1),
        "heaviest_imports_ms": {name: round(us / 1000.0, 1) for name, us in heaviest},
        "modules_not_for_lists": [
            m for m in report["modules"] if any(m.startswith(bad) for bad in NOT_FOR_LISTS)
        ],
        "resources_modules": len(report["modules"]),
        "profile": _profile(root, action, env),
    }


def time_reads(data: str, runs: int) -> Dict[str, Any]:
    """In this process: the Next Up read from the stored table (what a list runs) and the full
    query (the rule computed for every show, the read before issue 13), the cheap open of a
    plugin call and the service's ``quick_check``; medians of ``runs`` calls, in ms."""
    import time

    from resources.lib.database import connection
    from resources.lib.database.trakt_sync import TraktSyncDatabase, queries

    path = os.path.join(data, "trakt_sync.db")

    def median_ms(call: Any) -> float:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        return round(statistics.median(times) * 1000, 2)

    def cheap_open() -> None:
        conn, _moved = connection.open_database(path)
        conn.close()

    with TraktSyncDatabase(path) as db:
        db.next_up()  # stores the answers once (a new schema)
        conn = db.connection
        result = {
            "next_up_table_ms": median_ms(db.next_up),
            "next_up_full_query_ms": median_ms(lambda: queries.next_up(conn, now=time.time())),
            "rows": len(db.next_up()),
            "quick_check_ms": median_ms(lambda: connection.integrity_problem(conn)),
        }
    result["open_ms"] = median_ms(cheap_open)
    return result


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--account", default="large")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--data", default="", help="data folder (kept; synced once)")
    parser.add_argument("--root", default=ROOT, help="checkout whose addon.py runs")
    parser.add_argument("--action", default="next_up")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    data = args.data or tempfile.mkdtemp(prefix="bench-plugin-")
    synced = None
    if not os.path.exists(os.path.join(data, "trakt_sync.db")):
        synced = sync_data_folder(data, args.account, args.seed)
    result = bench(os.path.abspath(args.root), data, args.action, args.runs)
    result["sync"] = synced
    if os.path.abspath(args.root) == ROOT:
        result["reads"] = time_reads(data, args.runs)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    own = result["own_cpu_ms"]
    print("%s on %s (%d items), %d runs each:" % (
        args.action, args.account, result["items"], args.runs))  # fmt: skip
    print("  plugin call CPU ms: median %(median)s, max %(max)s" % result["plugin_cpu_ms"])
    print("  bare interpreter CPU ms: median %(median)s, max %(max)s" % result["bare_cpu_ms"])
    print("  ADD-ON'S OWN CPU ms (budget 100): median %s, max %s" % (own["median"], own["max"]))
    print("  of which the mirror (import, open, Next Up read) ms: median %(median)s, max %(max)s"
          % result["core_cpu_ms"])  # fmt: skip
    print("  own imports ms (-X importtime): %s; heaviest: %s" % (
        result["own_import_ms"], result["heaviest_imports_ms"]))  # fmt: skip
    print("  modules a list must not import, present: %s" % result["modules_not_for_lists"])
    print("  profile: %s" % json.dumps(result["profile"]))
    if "reads" in result:
        print("  in process, ms: %s" % json.dumps(result["reads"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
