"""Sandbox accounts: deterministic generators (``small``, ``medium``, ``large``) and a loader for
hand-written JSON accounts (format in ``sandbox/README.md``).

Generated air dates are relative to the current day (UTC midnight), so every account has
episodes that have not aired yet; everything else depends only on the seed.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any, Dict, List, Optional

from .catalog import Catalog, Episode, Movie, Season, Show
from .state import HIDDEN_SECTIONS, State
from .timeutil import parse_time

DAY = 86_400_000
HOUR = 3_600_000

PROFILES: Dict[str, Dict[str, int]] = {
    "small": dict(
        shows=20, movies=50, plays=400, watchlist=12, playback=6, hidden=8, extra=6, seasons=4
    ),
    "medium": dict(
        shows=200,
        movies=1000,
        plays=5000,
        watchlist=80,
        playback=30,
        hidden=50,
        extra=40,
        seasons=5,
    ),
    "large": dict(
        shows=1000,
        movies=5000,
        plays=50000,
        watchlist=250,
        playback=100,
        hidden=200,
        extra=150,
        seasons=6,
    ),
}

_WORDS = (
    "Shadow River Crown Night Signal Harbor Glass Echo Winter Garden Iron Ember Silent "
    "Paper North Velvet Hollow Static Copper Atlas Orbit Lantern Wild Falcon Salt Meridian"
).split()
_UNICODE = (
    "Café",
    "Straße",
    "東京",
    "Ζωή",
    "Ñandú",
    "Москва",
    "Smörgås",
    "Łódź",
    "Ça Va",
    "Déjà Vu",
    "Ünter",
    "서울",
    "Crème",
)


def _title(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.15:
        words.insert(rng.randrange(len(words) + 1), rng.choice(_UNICODE))
    if rng.random() < 0.1:
        words.insert(0, "The")
    return " ".join(words)


def _slugify(text: str) -> str:
    out = "".join(c if c.isascii() and c.isalnum() else "-" for c in text.lower())
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


class _Ids:
    """Allocates unique, increasing trakt ids with small gaps."""

    def __init__(self, rng: random.Random, start: int) -> None:
        self.rng, self.value = rng, start

    def next(self) -> int:
        self.value += 1 + (self.rng.random() < 0.2) * self.rng.randint(1, 5)
        return self.value


def generate(profile: str = "small", seed: int = 1, now: Optional[int] = None) -> State:
    """Build a deterministic account for ``profile`` (small|medium|large) and ``seed``."""
    sizes = PROFILES[profile]
    rng = random.Random(f"{profile}:{seed}")
    now = int(time.time() * 1000) if now is None else now
    today = now - now % DAY
    catalog = Catalog()
    ids = _Ids(rng, 1000 + rng.randint(0, 500))
    slugs: Dict[str, int] = {}

    def unique_slug(title: str, year: int) -> str:
        base = _slugify(title) or "title"
        slug = base if base not in slugs else f"{base}-{year}"
        while slug in slugs:
            slug = f"{base}-{ids.value + len(slugs)}"
        slugs[slug] = 1
        return slug

    movies: List[Movie] = []
    for _ in range(sizes["movies"] + sizes["extra"]):
        title = _title(rng)
        released = today - rng.randint(30, 15000) * DAY
        year = time.gmtime(released // 1000).tm_year
        movies.append(
            catalog.add_movie(
                Movie(
                    ids.next(),
                    title,
                    year,
                    unique_slug(title, year),
                    imdb=None if rng.random() < 0.08 else f"tt{rng.randint(100000, 9999999):07d}",
                    tmdb=None if rng.random() < 0.05 else rng.randint(1000, 999999),
                    runtime=rng.randint(80, 170),
                    released=released,
                )
            )
        )
    shows: List[Show] = [
        _make_show(catalog, rng, ids, today, unique_slug, sizes["seasons"])
        for _ in range(sizes["shows"] + sizes["extra"])
    ]

    state = State(catalog, username=f"sandbox-{profile}-{seed}")
    watched_movies = movies[: sizes["movies"]]
    unwatched_movies = movies[sizes["movies"] :]
    for movie in watched_movies:
        first = max(movie.released or 0, now - 3000 * DAY) + rng.randint(1, 400 * DAY)
        first = min(first, now - rng.randint(1, 200) * HOUR)
        state.add_play(movie, first, rng.choice(("watch", "scrobble", "scrobble", "checkin")))
        if rng.random() < 0.12:
            state.add_play(movie, min(first + rng.randint(1, 30) * DAY, now - HOUR), "watch")
    _watch_shows(state, rng, shows[: sizes["shows"]], sizes["plays"], now)

    unwatched_shows = shows[sizes["shows"] :]
    listable: List[Any] = unwatched_movies + unwatched_shows + shows[: sizes["shows"] // 10]
    rng.shuffle(listable)
    for item in listable[: sizes["watchlist"]]:
        state.put_watchlist(item, now - rng.randint(2, 900) * HOUR, rng.choice((None, "later")))

    candidates: List[Any] = list(unwatched_movies) + [
        e for s in shows[: sizes["shows"]] for e in s.aired_episodes(now)[-2:]
    ]
    rng.shuffle(candidates)
    for item in candidates[: sizes["playback"]]:
        state.put_playback(item, round(rng.uniform(2, 79), 2), now - rng.randint(1, 2000) * HOUR)

    hidden_pool = [
        (section, kind)
        for section, kind in (
            ("progress_watched", "show"),
            ("calendar", "show"),
            ("calendar", "movie"),
            ("recommendations", "movie"),
            ("recommendations", "show"),
            ("dropped", "show"),
            ("progress_collected", "show"),
            ("progress_watched_reset", "show"),
        )
        if section in HIDDEN_SECTIONS
    ]
    while len(state.hidden) < sizes["hidden"]:
        section, kind = rng.choice(hidden_pool)
        item = rng.choice(movies if kind == "movie" else shows)
        state.hidden[(section, kind, item.trakt)] = now - rng.randint(2, 5000) * HOUR

    for movie in rng.sample(movies, len(movies) // 3):
        state.collection[movie.trakt] = now - rng.randint(2, 9000) * HOUR
    for show in rng.sample(shows, max(1, len(shows) // 10)):
        stamp = now - rng.randint(2, 9000) * HOUR
        for episode in show.aired_episodes(now):
            state.collection[episode.trakt] = stamp
    for item in rng.sample(movies, len(movies) // 10) + rng.sample(shows, len(shows) // 10):
        state.ratings[item.trakt] = (rng.randint(1, 10), now - rng.randint(2, 9000) * HOUR)
    state.finish_loading()
    return state


def _make_show(
    catalog: Catalog, rng: random.Random, ids: _Ids, today: int, unique_slug: Any, max_seasons: int
) -> Show:
    returning = rng.random() < 0.35
    title = _title(rng)
    season_count = rng.randint(1, max_seasons)
    lengths = [rng.choice((6, 8, 10, 10, 12, 13, 13, 22)) for _ in range(season_count)]
    hour = rng.randint(0, 23) * HOUR
    if returning:
        aired_in_last = rng.randint(0, lengths[-1] - 1)
        last_start = today + (2 + rng.randint(0, 12) - 7 * aired_in_last) * DAY
    else:
        last_start = today - (rng.randint(40, 4000) + 7 * lengths[-1]) * DAY
    first_start = last_start - 365 * DAY * (season_count - 1)
    year = time.gmtime(max(first_start, 0) // 1000).tm_year
    show = catalog.add_show(
        Show(
            ids.next(),
            title,
            year,
            unique_slug(title, year),
            imdb=None if rng.random() < 0.1 else f"tt{rng.randint(100000, 9999999):07d}",
            tmdb=None if rng.random() < 0.06 else rng.randint(1000, 999999),
            tvdb=None if rng.random() < 0.06 else rng.randint(70000, 999999),
            status="returning series" if returning else "ended",
            runtime=rng.choice((22, 30, 45, 60)),
        )
    )
    numbers = ([0] if rng.random() < 0.25 else []) + list(range(1, season_count + 1))
    for number in numbers:
        catalog.add_season(
            Season(ids.next(), number, show, tvdb=rng.randint(10000, 999999), tmdb=None)
        )
        count = rng.randint(1, 4) if number == 0 else lengths[number - 1]
        start = first_start + 365 * DAY * max(number - 1, 0) + hour
        for n in range(1, count + 1):
            aired = start + (n - 1) * 7 * DAY
            if number == 0:
                aired = first_start + rng.randint(30, 400 * season_count) * DAY
            if returning and number == season_count and n > count - 2 and rng.random() < 0.5:
                aired = None  # not announced yet
            catalog.add_episode(
                Episode(
                    ids.next(),
                    show,
                    number,
                    n,
                    title=f"Épisode {n}" if rng.random() < 0.05 else f"Episode {n}",
                    first_aired=aired,
                    runtime=show.runtime,
                    imdb=None if rng.random() < 0.3 else f"tt{rng.randint(100000, 9999999):07d}",
                    tmdb=rng.randint(100000, 9999999),
                    tvdb=None if rng.random() < 0.05 else rng.randint(100000, 9999999),
                )
            )
    return show


def _watch_shows(
    state: State, rng: random.Random, shows: List[Show], target: int, now: int
) -> None:
    """Give ``shows`` exactly ``target`` episode plays with realistic patterns."""
    plans = []
    for show in shows:
        aired = show.aired_episodes(now)
        if not aired:
            continue
        pattern = rng.random()
        if pattern < 0.3:
            count = len(aired)
        elif pattern < 0.85:
            count = max(1, int(len(aired) * rng.uniform(0.1, 0.95)))
        else:
            count = rng.randint(1, min(3, len(aired)))
        plans.append([show, aired, count])
    total = sum(p[2] for p in plans)
    if total > target and plans:
        scale = target / total
        for plan in plans:
            plan[2] = max(1, int(plan[2] * scale))
        total = sum(p[2] for p in plans)
    while total > target:
        plan = rng.choice(plans)
        if plan[2] > 1:
            plan[2] -= 1
            total -= 1
    watched: List[Any] = []
    resets = 0
    for show, aired, count in plans:
        clock = max(aired[0].first_aired + rng.randint(1, 900) * HOUR, now - 3000 * DAY)
        for episode in aired[:count]:
            clock = max(clock + rng.randint(1, 72) * HOUR // 3, episode.first_aired + HOUR)
            clock = min(clock, now - rng.randint(1, 48) * 60_000)
            state.add_play(episode, clock, "scrobble" if rng.random() < 0.7 else "watch")
            watched.append((episode, clock))
        if count >= 3 and resets < max(1, len(plans) // 20) and rng.random() < 0.1:
            resets += 1
            state.reset_at[show.trakt] = min(clock + DAY, now - HOUR)
    remaining = target - total
    for show in rng.sample(shows, max(1, len(shows) // 8)):
        special = show.seasons.get(0)
        for episode in special.episodes.values() if special else ():
            if remaining > 0 and episode.first_aired < now and rng.random() < 0.5:
                stamp = max(episode.first_aired + HOUR, now - rng.randint(2, 3000) * HOUR)
                state.add_play(episode, min(stamp, now - 60_000), "watch")
                remaining -= 1
    while remaining > 0 and watched:
        episode, first = rng.choice(watched)
        later = rng.randint(first, max(first, now - HOUR))
        state.add_play(episode, later, "watch")
        remaining -= 1


# -- JSON accounts -----------------------------------------------------------------------------
def _time(value: Any, now: int) -> Optional[int]:
    return None if value is None else parse_time(value, now)


def load(path: str, now: Optional[int] = None) -> State:
    """Load a JSON account file (see sandbox/README.md)."""
    with open(path, encoding="utf-8") as handle:
        return from_dict(json.load(handle), now)


def from_dict(data: Dict[str, Any], now: Optional[int] = None) -> State:
    now = int(time.time() * 1000) if now is None else now
    catalog = Catalog()
    for m in data.get("movies", []):
        catalog.add_movie(
            Movie(
                int(m["trakt"]),
                m["title"],
                m.get("year"),
                m.get("slug") or _slugify(m["title"]) or str(m["trakt"]),
                imdb=m.get("imdb"),
                tmdb=m.get("tmdb"),
                runtime=m.get("runtime"),
                released=_time(m.get("released"), now),
            )
        )
    for s in data.get("shows", []):
        show = catalog.add_show(
            Show(
                int(s["trakt"]),
                s["title"],
                s.get("year"),
                s.get("slug") or _slugify(s["title"]) or str(s["trakt"]),
                imdb=s.get("imdb"),
                tmdb=s.get("tmdb"),
                tvdb=s.get("tvdb"),
                status=s.get("status"),
                runtime=s.get("runtime"),
            )
        )
        for se in s.get("seasons", []):
            catalog.add_season(
                Season(int(se["trakt"]), int(se["number"]), show, tvdb=se.get("tvdb"))
            )
            for e in se.get("episodes", []):
                catalog.add_episode(
                    Episode(
                        int(e["trakt"]),
                        show,
                        int(se["number"]),
                        int(e["number"]),
                        title=e.get("title"),
                        first_aired=_time(e.get("first_aired"), now),
                        runtime=e.get("runtime"),
                        imdb=e.get("imdb"),
                        tmdb=e.get("tmdb"),
                        tvdb=e.get("tvdb"),
                    )
                )
    user = data.get("user") or {}
    state = State(catalog, username=user.get("username", "sandbox-user"))
    if user.get("slug"):
        state.user["slug"] = user["slug"]
    state.user["vip"] = bool(user.get("vip", False))

    def item_of(entry: Dict[str, Any]) -> Any:
        if "movie" in entry:
            return catalog.movies[int(entry["movie"])]
        if "episode" in entry:
            return catalog.episodes[int(entry["episode"])]
        if "season" in entry and "number" in entry:
            show = catalog.shows[int(entry["show"])]
            found = catalog.episode_at(show, entry["season"], entry["number"])
            if found is None:
                raise ValueError(f"no episode {entry!r}")
            return found
        kind, trakt = entry["type"], int(entry["id"])
        return getattr(catalog, kind + "s")[trakt]

    for h in data.get("history", []):
        state.add_play(
            item_of(h), parse_time(h["watched_at"], now), h.get("action", "watch"), h.get("id")
        )
    for show_id, stamp in (data.get("reset_at") or {}).items():
        state.reset_at[int(show_id)] = parse_time(stamp, now)
    for w in data.get("watchlist", []):
        state.put_watchlist(item_of(w), _time(w.get("listed_at", "now-1d"), now), w.get("notes"))
    for p in data.get("playback", []):
        state.put_playback(
            item_of(p), p["progress"], _time(p.get("paused_at", "now-1h"), now), p.get("id")
        )
    for h in data.get("hidden", []):
        item = item_of(h)
        state.hidden[(h["section"], h["type"], item.trakt)] = _time(
            h.get("hidden_at", "now-1d"), now
        )
    for c in data.get("collection", []):
        state.collection[item_of(c).trakt] = _time(c.get("collected_at", "now-1d"), now)
    for r in data.get("ratings", []):
        state.ratings[item_of(r).trakt] = (
            int(r["rating"]),
            _time(r.get("rated_at", "now-1d"), now),
        )
    state.finish_loading()
    return state


def build(account: str, seed: int = 1, now: Optional[int] = None) -> State:
    """``small|medium|large`` are generated from ``seed``; anything else is a JSON file path."""
    if account in PROFILES:
        return generate(account, seed, now)
    return load(account, now)
