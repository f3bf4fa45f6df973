"""Benchmark of the browse core against the AIOStreams sandbox (figures for docs/PERFORMANCE.md).

    python bench/bench_browse.py [--movies 5000] [--shows 1000] [--runs 7]

Prints, for issue 11's budgets:
- a catalog page, a show page and a season page built from the cache in a NEW process: CPU
  seconds of the whole process (interpreter start, imports, opening both databases, the page),
  median and max of ``--runs``, and the AIOStreams requests it sent (must be 0);
- the same pages not cached: requests each (must be exactly 1);
- artwork for the large Trakt account (the Trakt sandbox's ``large`` profile: its first 1,000
  shows and 5,000 movies with an IMDb id): meta requests of a first prefetch (at most one per
  item), of a second one within the expiry (must be 0), the cache's size on disk (budget 50 MB),
  and the time a list of 1,000 items takes to read its art from the cache.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from aiostreams_sandbox.server import AIOStreamsSandbox  # noqa: E402
from resources.lib.aiostreams.catalog_client import StremioResources  # noqa: E402
from resources.lib.aiostreams.http import RequestSpacer  # noqa: E402
from resources.lib.browse import artwork  # noqa: E402
from resources.lib.browse.browser import Browser  # noqa: E402
from resources.lib.database.meta_cache import FILE_NAME, MetaCache, file_bytes  # noqa: E402
from sandbox import accounts  # noqa: E402
from tests.support.browse_mirror import seed_mirror  # noqa: E402

# Runs in a fresh interpreter: argv = root, data_dir, manifest_url, page kind.
CHILD = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
from resources.lib.browse.browser import open_browser
from resources.lib.database.trakt_sync import TraktSyncDatabase
data_dir, url, kind, show = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
imported = time.process_time()
mirror = TraktSyncDatabase(os.path.join(data_dir, "trakt_sync.db"))
browser = open_browser(data_dir, url, mirror)
opened = time.process_time()
if kind == "catalog":
    page = browser.catalog_page("movie", "c1.top", skip=50, page_size=50)
elif kind == "show":
    page = browser.show_page(show)
else:
    page = browser.season_page(show, 1)
print(json.dumps({"cpu": time.process_time(), "imported": imported, "opened": opened,
                  "status": page.status.value, "from_cache": page.from_cache}))
"""


def run_child(data_dir: str, url: str, kind: str, show: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, ROOT, data_dir, url, kind, show],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def count_requests(sb: AIOStreamsSandbox, resource: str) -> int:
    return sum(1 for r in sb.requests() if f"/{resource}/" in r["path"])


def page_budgets(sb: AIOStreamsSandbox, data_dir: str, runs: int) -> None:
    """Pages in the data folder that already holds the large account's metas."""
    print("== pages (new process each; meta cache holding the large account) ==")
    bare = [
        float(
            subprocess.run(
                [sys.executable, "-c", "import time; print(time.process_time())"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(runs)
    ]
    print(
        f"python start alone (for reference) -> CPU median {statistics.median(bare) * 1000:.0f} ms"
    )
    pages = (
        ("catalog", "catalog", ""),
        ("show", "meta", "tt0903747"),
        ("season", "meta", "tt5753856"),
    )
    for kind, resource, show in pages:
        before = count_requests(sb, resource)
        cold = run_child(data_dir, sb.manifest_url, kind, show)
        cold_requests = count_requests(sb, resource) - before
        before = count_requests(sb, resource)
        warm = [run_child(data_dir, sb.manifest_url, kind, show) for _ in range(runs)]
        cpu = [run["cpu"] for run in warm]
        start = statistics.median(run["imported"] for run in warm) * 1000
        parts = {
            name: statistics.median(run[b] - run[a] for run in warm) * 1000
            for name, a, b in (("open", "imported", "opened"), ("page", "opened", "cpu"))
        }
        warm_requests = count_requests(sb, resource) - before
        print(
            f"{kind} page not cached -> {cold_requests} AIOStreams request(s) "
            f"(status {cold['status']})"
        )
        median = statistics.median(cpu) * 1000
        print(
            f"{kind} page cached, new process -> CPU median {median:.0f} ms, "
            f"max {max(cpu) * 1000:.0f} ms over {runs} runs, {warm_requests} requests "
            f"(budget 150 ms, 0 requests): interpreter start and imports {start:.0f} ms, "
            f"opening both databases {parts['open']:.0f} ms, building the page "
            f"{parts['page']:.0f} ms"
        )


def large_account_keys(movies: int, shows: int) -> list:
    state = accounts.generate("large", seed=1)
    movie_keys = [("movie", m.imdb) for m in list(state.catalog.movies.values())[:movies] if m.imdb]
    show_keys = [("series", s.imdb) for s in list(state.catalog.shows.values())[:shows] if s.imdb]
    return list(dict.fromkeys(show_keys + movie_keys))


def artwork_budget(sb: AIOStreamsSandbox, data_dir: str, movies: int, shows: int) -> None:
    print(f"== artwork for the large account ({shows} shows, {movies} movies) ==")
    keys = large_account_keys(movies, shows)
    path = os.path.join(data_dir, FILE_NAME)
    cache = MetaCache(path)
    browser = Browser(cache, StremioResources(sb.manifest_url, spacer=RequestSpacer(0.0)))
    started = time.monotonic()
    first = artwork.prefetch(browser, keys)
    elapsed = time.monotonic() - started
    second = artwork.prefetch(browser, keys)
    first_payload = cache.total_bytes()
    cache.close()  # checkpoints the WAL into the file
    size = file_bytes(path)
    print(
        f"first prefetch of {len(keys)} items with an IMDb id -> {first.requests} meta requests "
        f"({first.fetched} metas, {first.missing} without meta) in {elapsed:.1f} s locally; "
        f"at the default spacing of 0.35 s: {first.requests * 0.35 / 60:.0f} min"
    )
    print(f"second prefetch within the expiry -> {second.requests} requests ({second.fresh} fresh)")
    print(
        f"meta cache on disk -> {size / 1024 / 1024:.1f} MB for "
        f"{first_payload / 1024 / 1024:.1f} MB of metas (budget 50 MB)"
    )
    cache = MetaCache(path)
    sample = keys[:1000]
    timings = []
    for _ in range(5):
        started = time.process_time()
        details = artwork.cached_details(cache, sample)
        timings.append(time.process_time() - started)
    print(
        f"a list of {len(sample)} items reads its art from the cache -> "
        f"{statistics.median(timings) * 1000:.0f} ms CPU, {len(details)} with art, 0 requests"
    )
    cache.close()


def size_bound(work: str, factor: float) -> None:
    """Fill a cache with real series metas to ``factor`` x its bound: the file stays bounded."""
    print(f"== size bound (metas worth {factor:.1f} x the bound written) ==")
    from aiostreams_sandbox.metas import meta_for
    from resources.lib.aiostreams.meta import parse_meta

    path = os.path.join(work, "bound", FILE_NAME)
    cache = MetaCache(path)
    written = n = 0
    while written < cache.max_bytes * factor:
        n += 1
        payload = parse_meta(meta_for("series", f"tt6{n:06d}")[1]).to_dict()
        cache.put("meta", f"series:tt6{n:06d}", payload, ttl=86400)
        written += len(json.dumps(payload, ensure_ascii=False))
    kept = len(cache.get_many("meta", [f"series:tt6{i:06d}" for i in range(1, n + 1)]))
    payload_bytes = cache.total_bytes()
    cache.close()
    print(
        f"{n} metas written ({written / 1024 / 1024:.0f} MB) -> {kept} kept, newest first; "
        f"{payload_bytes / 1024 / 1024:.1f} MB of metas, "
        f"{file_bytes(path) / 1024 / 1024:.1f} MB on disk (budget 50 MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--movies", type=int, default=5000)
    parser.add_argument("--shows", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--bound-factor", type=float, default=1.5)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench-browse-")
    try:
        data_dir = os.path.join(work, "data")
        os.makedirs(data_dir)
        seed_mirror(os.path.join(data_dir, "trakt_sync.db")).close()
        with AIOStreamsSandbox() as sb:
            artwork_budget(sb, data_dir, args.movies, args.shows)
            page_budgets(sb, data_dir, args.runs)
        size_bound(work, args.bound_factor)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
