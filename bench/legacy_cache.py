"""A 2.7.x legacy cache at Trakt's play cap, and the peak memory of importing it.

``python bench/legacy_cache.py DIR [--plays 100000]`` writes ``DIR/cache/`` (watched shows with
that many episode plays, 100 per show, each show with the extended fields a 2.7.x cache kept,
indented as 2.7.x wrote it) and prints its size. ``--measure`` then runs the import in a child
process and prints the child's own peak RSS (``VmHWM``) as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Any, Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# 7 plays per show (one season of 7 episodes) over 14,286 shows: each show carries the extended
# fields 2.7.x cached, which makes a 100K-play file about the 59 MB reported in issue 10.
EPISODES_PER_SEASON = 7
SEASONS_PER_SHOW = 1
WATCHED_SHOWS_NAME = "watched_shows_d996cf15c4ad944e7581457c23bd7f4b.json"
OVERVIEW = (
    "A chemistry teacher diagnosed with an inoperable lung cancer turns to manufacturing and "
    "selling methamphetamine with a former student in order to secure his family's future. "
) * 3


def _show(index: int, plays: int) -> Dict[str, Any]:
    trakt = 100000 + index
    seasons: List[Dict[str, Any]] = []
    left = plays
    for season in range(1, SEASONS_PER_SHOW + 1):
        episodes = []
        for number in range(1, EPISODES_PER_SEASON + 1):
            if left <= 0:
                break
            episodes.append(
                {
                    "number": number,
                    "plays": 1,
                    "last_watched_at": "2024-%02d-%02dT20:%02d:00.000Z"
                    % (1 + number % 12, 1 + season, number % 60),
                }
            )
            left -= 1
        if episodes:
            seasons.append({"number": season, "episodes": episodes})
    return {
        "plays": plays,
        "last_watched_at": "2024-02-11T22:00:00.000Z",
        "last_updated_at": "2024-02-11T22:00:00.000Z",
        "reset_at": None,
        "show": {
            "title": "Show number %d" % index,
            "year": 2000 + index % 25,
            "ids": {
                "trakt": trakt,
                "slug": "show-number-%d" % index,
                "tvdb": 70000 + index,
                "imdb": "tt%07d" % (900000 + index),
                "tmdb": 1000 + index,
                "tvrage": None,
            },
            "tagline": "Remember my name.",
            "overview": OVERVIEW,
            "first_aired": "2008-01-21T02:00:00.000Z",
            "airs": {"day": "Sunday", "time": "21:00", "timezone": "America/New_York"},
            "runtime": 45,
            "certification": "TV-MA",
            "network": "AMC",
            "country": "us",
            "trailer": None,
            "homepage": "http://www.amc.com/shows/breaking-bad",
            "status": "ended",
            "rating": 9.2,
            "votes": 100000,
            "comment_count": 300,
            "updated_at": "2024-01-01T00:00:00.000Z",
            "language": "en",
            "available_translations": ["en", "de", "fr", "es", "it", "nl", "pt", "ru"],
            "genres": ["drama", "crime", "thriller"],
            "aired_episodes": plays,
        },
        "seasons": seasons,
    }


def write_cache(data_dir: str, plays: int) -> str:
    """Write the cache; returns the watched-shows file's path."""
    cache = os.path.join(data_dir, "cache")
    os.makedirs(cache, exist_ok=True)
    per_show = EPISODES_PER_SEASON * SEASONS_PER_SHOW
    shows = [_show(i, min(per_show, plays - i * per_show)) for i in range(-(-plays // per_show))]
    path = os.path.join(cache, WATCHED_SHOWS_NAME)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(
            {
                "timestamp": 1767000000.0,
                "cache_type": "watched_shows",
                "identifier": "trakt",
                "data": shows,
            },
            handle,
            indent=4,
        )
    return path


def _child(data_dir: str) -> None:
    sys.path.insert(0, ROOT)
    from resources.lib.database.migration import run_migration

    result = run_migration(data_dir, os.path.join(data_dir, "trakt_sync.db"))
    with open("/proc/self/status", encoding="ascii") as handle:
        peak = next(int(line.split()[1]) for line in handle if line.startswith("VmHWM:"))
    print(
        json.dumps(
            {
                "peak_rss_mb": round(peak / 1024.0, 1),
                "counts": result.counts,
                "skipped": result.skipped,
                "error": result.error,
            }
        )
    )


def measure(data_dir: str) -> Dict[str, Any]:
    """Import ``data_dir``'s cache in a child process; its peak RSS and counts."""
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", data_dir],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data_dir")
    parser.add_argument("--plays", type=int, default=100000)
    parser.add_argument("--measure", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.data_dir)
        return
    path = write_cache(args.data_dir, args.plays)
    print("%s: %.1f MB" % (path, os.path.getsize(path) / 1e6))
    if args.measure:
        print(json.dumps(measure(args.data_dir)))


if __name__ == "__main__":
    main()
