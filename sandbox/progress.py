"""Watched progress of one show, as ``GET /shows/{id}/progress/watched`` reports it, and the
``truth`` document that tests compare with the client's mirror.

Rules (shared by the endpoint and ``truth.next_up`` so they can never disagree):
- only regular seasons count (season 0, specials, is ignored);
- only aired episodes count (``first_aired`` set and not in the future);
- plays watched before the show's ``reset_at`` do not count;
- ``last_episode`` is the counted episode watched most recently (ties: later in order);
- ``next_episode`` is the first aired episode after the *highest* counted one in (season, number)
  order, not after the most recent: rewatching or back-dating an older episode does not move the
  user back, and there is no wrap back to an earlier gap (None after the last aired episode).
  With no counted episode (say after a reset) it is the first aired episode.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from .catalog import Episode, Show, is_aired
from .state import State, kind_of
from .timeutil import iso


class ShowProgress:
    __slots__ = ("aired", "completed", "seasons", "last_episode", "next_episode", "last_at")

    def __init__(self) -> None:
        self.aired = 0
        self.completed = 0
        self.seasons: List[Dict[str, Any]] = []
        self.last_episode: Optional[Episode] = None
        self.next_episode: Optional[Episode] = None
        self.last_at: Optional[int] = None


def show_progress(state: State, show: Show, now: int) -> ShowProgress:
    reset = state.reset_at.get(show.trakt)
    result = ShowProgress()
    aired: List[Episode] = []
    watched: Dict[int, int] = {}  # episode id -> last counted watched_at
    for number in sorted(show.seasons):
        if number == 0:
            continue
        season = show.seasons[number]
        rows = []
        done = 0
        for n in sorted(season.episodes):
            episode = season.episodes[n]
            if not is_aired(episode, now):
                continue
            aired.append(episode)
            plays = [
                t
                for t in state.plays.get(episode.trakt, {}).values()
                if reset is None or t >= reset
            ]
            last = max(plays) if plays else None
            if last is not None:
                watched[episode.trakt] = last
                done += 1
            rows.append({"number": n, "completed": last is not None, "last_watched_at": iso(last)})
        if rows:
            result.seasons.append(
                {
                    "number": number,
                    "title": f"Season {number}",
                    "aired": len(rows),
                    "completed": done,
                    "episodes": rows,
                }
            )
    result.aired = len(aired)
    result.completed = len(watched)
    last_index = -1
    best = None
    for index, episode in enumerate(aired):
        stamp = watched.get(episode.trakt)
        if stamp is not None and (best is None or stamp >= best):
            best, last_index = stamp, index
    if last_index >= 0:
        result.last_episode = aired[last_index]
        result.last_at = best
    highest = max((i for i, e in enumerate(aired) if e.trakt in watched), default=-1)
    if highest + 1 < len(aired):
        result.next_episode = aired[highest + 1]
    return result


def truth(state: State, now: int, extra: bool = False) -> Dict[str, Any]:
    """The canonical state in the contract's ``GET /_sandbox/truth`` format."""
    catalog = state.catalog
    movies: Dict[str, int] = {}
    episodes: Dict[str, Dict[str, int]] = {}
    for trakt in sorted(state.plays):
        count = len(state.plays[trakt])
        if trakt in catalog.movies:
            movies[str(trakt)] = count
        else:
            episode = catalog.episodes[trakt]
            episodes.setdefault(str(episode.show.trakt), {})[
                f"{episode.season}:{episode.number}"
            ] = count
    shows_with_plays = sorted(int(s) for s in episodes)
    next_up: Dict[str, Dict[str, int]] = {}
    for show_id in shows_with_plays:
        progress = show_progress(state, catalog.shows[show_id], now)
        if progress.next_episode is not None:
            next_up[str(show_id)] = {
                "season": progress.next_episode.season,
                "number": progress.next_episode.number,
            }
    out: Dict[str, Any] = {
        "user": state.user["slug"],
        "movies": movies,
        "episodes": {k: dict(sorted(v.items())) for k, v in sorted(episodes.items())},
        # Like Trakt, reset_at is only known for shows that still have plays.
        "reset_at": {
            str(k): iso(v) for k, v in sorted(state.reset_at.items()) if str(k) in episodes
        },
        "watchlist": sorted([kind_of(e.item), e.item.trakt] for e in state.watchlist.values()),
        "playback": {
            str(pid): {
                "type": kind_of(e.item),
                "trakt_id": e.item.trakt,
                "progress": e.progress,
            }
            for pid, e in sorted(state.playback.items())
        },
        "hidden": sorted([s, k, i] for s, k, i in state.hidden),
        "next_up": next_up,
    }
    if extra:
        out["collection"] = sorted(
            [kind_of(catalog.movies.get(t) or catalog.episodes[t]), t] for t in state.collection
        )
        out["ratings"] = sorted(
            [kind_of(_find_any(state, t)), t, r] for t, (r, _) in state.ratings.items()
        )
    return out


def _find_any(state: State, trakt: int) -> Any:
    c = state.catalog
    return c.movies.get(trakt) or c.shows.get(trakt) or c.seasons.get(trakt) or c.episodes[trakt]
