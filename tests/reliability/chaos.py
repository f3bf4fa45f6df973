"""Random sandbox mutations and faults, shared by the kill tests and bench/bench_reliability.py."""

from __future__ import annotations

import random
from typing import Any, Dict, List

FAULT_KINDS = (
    "429", "429_bare", "500", "502", "503", "520", "drop", "truncate", "badjson", "slow",
)  # fmt: skip


def random_mutations(sb: Any, rng: random.Random, count: int) -> List[str]:
    """Apply ``count`` random user actions to the sandbox; returns the op names applied."""
    catalog = sb.state.catalog
    movies = sorted(catalog.movies)
    shows = sorted(catalog.shows)
    applied = []
    for _ in range(count):
        truth = sb.truth()
        op = rng.choice(
            ("watch_movie", "unwatch_movie", "watch_episode", "unwatch_episode", "watchlist_add",
             "watchlist_remove", "playback_set", "playback_remove", "hide", "unhide")
        )  # fmt: skip
        try:
            if op == "watch_movie":
                sb.mutate(op, movie=rng.choice(movies))
            elif op == "unwatch_movie" and truth["movies"]:
                sb.mutate(op, movie=int(rng.choice(sorted(truth["movies"]))))
            elif op == "watch_episode" and truth["next_up"]:
                show = rng.choice(sorted(truth["next_up"]))
                step = truth["next_up"][show]
                sb.mutate(op, show=int(show), season=step["season"], number=step["number"])
            elif op == "unwatch_episode" and truth["episodes"]:
                show = rng.choice(sorted(truth["episodes"]))
                season, number = rng.choice(sorted(truth["episodes"][show])).split(":")
                sb.mutate(op, show=int(show), season=int(season), number=int(number))
            elif op == "watchlist_add":
                kind = rng.choice(("movie", "show"))
                sb.mutate(op, type=kind, id=rng.choice(movies if kind == "movie" else shows))
            elif op == "watchlist_remove" and truth["watchlist"]:
                kind, item = rng.choice(truth["watchlist"])
                sb.mutate(op, type=kind, id=item)
            elif op == "playback_set":
                sb.mutate(op, type="movie", movie=rng.choice(movies),
                          progress=round(rng.uniform(2, 79), 2))  # fmt: skip
            elif op == "playback_remove" and truth["playback"]:
                sb.mutate(op, id=int(rng.choice(sorted(truth["playback"]))))
            elif op == "hide":
                sb.mutate(op, section="progress_watched", type="show", id=rng.choice(shows))
            elif op == "unhide" and truth["hidden"]:
                section, kind, item = rng.choice(truth["hidden"])
                sb.mutate(op, section=section, type=kind, id=item)
            else:
                continue
        except Exception:  # noqa: S112 - a refused mutation (e.g. nothing to remove) is skipped
            continue
        applied.append(op)
    return applied


def random_fault(sb: Any, rng: random.Random, counts: Dict[str, int]) -> str:
    """Inject one random fault on a random sync path; counts it by kind."""
    kind = rng.choice(FAULT_KINDS)
    path = rng.choice(
        ("/sync/last_activities", "/sync/watched", "/sync/watchlist", "/sync/playback",
         "/users/hidden", "/sync/", "/shows/")
    )  # fmt: skip
    options: Dict[str, Any] = {}
    if kind in ("429", "429_bare", "503"):
        options["retry_after"] = 0
    if kind == "slow":
        options["delay"] = 0.05
    sb.add_fault(kind, path=path, count=rng.randint(1, 2), **options)
    counts[kind] = counts.get(kind, 0) + 1
    return kind
