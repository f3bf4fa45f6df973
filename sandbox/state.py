"""The user's Trakt data (history, watchlist, playback, hidden, collection, ratings), the
mutations that change it and move ``/sync/last_activities``, and cached aggregations.

One ``State`` serves one sandbox. Callers hold the sandbox lock (``Sandbox.lock``) around every
read and mutation (the server takes it around each request), so the methods here do no locking
of their own.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Tuple

from .catalog import Catalog, Episode, Movie, Season, Show
from .timeutil import LogicalClock

ACTIVITY_KEYS: Dict[str, Tuple[str, ...]] = {
    "movies": (
        "watched_at",
        "collected_at",
        "rated_at",
        "watchlisted_at",
        "favorited_at",
        "recommendations_at",
        "commented_at",
        "paused_at",
        "hidden_at",
    ),
    "episodes": (
        "watched_at",
        "collected_at",
        "rated_at",
        "watchlisted_at",
        "commented_at",
        "paused_at",
    ),
    "shows": (
        "rated_at",
        "watchlisted_at",
        "favorited_at",
        "recommendations_at",
        "commented_at",
        "hidden_at",
        "dropped_at",
    ),
    "seasons": ("rated_at", "watchlisted_at", "commented_at", "hidden_at"),
    "comments": ("liked_at", "blocked_at"),
    "lists": ("liked_at", "updated_at", "commented_at"),
    "watchlist": ("updated_at",),
    "favorites": ("updated_at",),
    "recommendations": ("updated_at",),
    "collaborations": ("updated_at",),
    "account": ("settings_at", "followed_at", "following_at", "pending_at", "requested_at"),
    "saved_filters": ("updated_at",),
    "notes": ("updated_at",),
}

HIDDEN_SECTIONS = (
    "calendar",
    "progress_watched",
    "progress_watched_reset",
    "progress_collected",
    "recommendations",
    "comments",
    "dropped",
)

FIRST_HISTORY_ID = 5_000_000_000  # history ids are 64-bit on Trakt: exercise that


class HistoryEntry:
    __slots__ = ("id", "item", "watched_at", "action")

    def __init__(self, hid: int, item: Any, watched_at: int, action: str) -> None:
        self.id, self.item, self.watched_at, self.action = hid, item, watched_at, action


class PlaybackEntry:
    __slots__ = ("id", "item", "progress", "paused_at")

    def __init__(self, pid: int, item: Any, progress: float, paused_at: int) -> None:
        self.id, self.item, self.progress, self.paused_at = pid, item, progress, paused_at


class WatchlistEntry:
    __slots__ = ("id", "item", "listed_at", "notes")

    def __init__(self, lid: int, item: Any, listed_at: int, notes: Optional[str]) -> None:
        self.id, self.item, self.listed_at, self.notes = lid, item, listed_at, notes


def kind_of(item: Any) -> str:
    if isinstance(item, Movie):
        return "movie"
    if isinstance(item, Show):
        return "show"
    if isinstance(item, Season):
        return "season"
    if isinstance(item, Episode):
        return "episode"
    raise TypeError(f"not a media object: {item!r}")


def owner_of(item: Any) -> Any:
    """The movie or show a play of ``item`` belongs to."""
    return item.show if isinstance(item, (Episode, Season)) else item


class State:
    """User data over a catalogue, with mutations and activity timestamps."""

    def __init__(self, catalog: Catalog, username: str = "sandbox-user") -> None:
        self.catalog = catalog
        self.user: Dict[str, Any] = {}
        self.set_username(username)
        self.history: Dict[int, HistoryEntry] = {}
        self.plays: Dict[int, Dict[int, int]] = {}  # movie/episode id -> {history id: watched_at}
        self.reset_at: Dict[int, int] = {}  # show id -> ms
        self.updated: Dict[int, int] = {}  # movie/show id -> last_updated_at
        self.watchlist: Dict[int, WatchlistEntry] = {}  # item trakt id -> entry
        self.playback: Dict[int, PlaybackEntry] = {}  # playback id -> entry
        self.hidden: Dict[Tuple[str, str, int], int] = {}  # (section, type, id) -> hidden_at
        self.collection: Dict[int, int] = {}  # movie/episode id -> collected_at
        self.ratings: Dict[int, Tuple[int, int]] = {}  # any media id -> (rating, rated_at)
        self.scrobbled: Dict[int, Tuple[int, int]] = {}  # item id -> (watched_at, expires_at)
        self.activities: Dict[str, Dict[str, int]] = {
            group: dict.fromkeys(keys, 0) for group, keys in ACTIVITY_KEYS.items()
        }
        self.activities_all = 0
        self.clock = LogicalClock()
        self._next_history_id = FIRST_HISTORY_ID
        self._next_playback_id = 1
        self._next_list_id = 1
        self._cache: Dict[str, Any] = {}
        self.last_history_ids: List[int] = []  # ids added by the latest ``watch``

    # -- identity ------------------------------------------------------------------------------
    def set_username(self, username: str) -> None:
        slug = "".join(c if c.isalnum() else "-" for c in username.lower()).strip("-")
        self.user = {"username": username, "slug": slug or "user", "name": username, "vip": False}

    # -- low-level building blocks (no activity change; used by loaders too) ------------------
    def add_play(
        self, item: Any, watched_at: int, action: str = "watch", hid: Optional[int] = None
    ) -> HistoryEntry:
        if hid is None:
            hid = self._next_history_id
        self._next_history_id = max(self._next_history_id, hid + 1)
        entry = HistoryEntry(hid, item, watched_at, action)
        self.history[hid] = entry
        self.plays.setdefault(item.trakt, {})[hid] = watched_at
        self._cache.clear()
        return entry

    def drop_play(self, hid: int) -> Optional[HistoryEntry]:
        entry = self.history.pop(hid, None)
        if entry is not None:
            plays = self.plays.get(entry.item.trakt, {})
            plays.pop(hid, None)
            if not plays:
                self.plays.pop(entry.item.trakt, None)
            self._cache.clear()
        return entry

    def put_playback(
        self, item: Any, progress: float, paused_at: int, pid: Optional[int] = None
    ) -> PlaybackEntry:
        for entry in self.playback.values():
            if entry.item is item:
                entry.progress, entry.paused_at = float(progress), paused_at
                return entry
        if pid is None:
            pid = self._next_playback_id
        self._next_playback_id = max(self._next_playback_id, pid + 1)
        entry = PlaybackEntry(pid, item, float(progress), paused_at)
        self.playback[pid] = entry
        return entry

    def put_watchlist(self, item: Any, listed_at: int, notes: Optional[str] = None) -> bool:
        if item.trakt in self.watchlist:
            return False
        self.watchlist[item.trakt] = WatchlistEntry(self._next_list_id, item, listed_at, notes)
        self._next_list_id += 1
        return True

    def finish_loading(self) -> None:
        """Set every activity to the latest loaded timestamp and start the clock after it."""
        stamps = [0]
        stamps += [e.watched_at for e in self.history.values()]
        stamps += [e.paused_at for e in self.playback.values()]
        stamps += [e.listed_at for e in self.watchlist.values()]
        stamps += list(self.hidden.values()) + list(self.collection.values())
        stamps += [r[1] for r in self.ratings.values()] + list(self.reset_at.values())
        latest = max(stamps)
        for group in self.activities.values():
            for key in group:
                group[key] = latest
        self.activities_all = latest
        self.clock.observe(latest)
        for entry in self.history.values():
            owner = owner_of(entry.item).trakt
            self.updated[owner] = max(self.updated.get(owner, 0), entry.watched_at)
        for show_id, stamp in self.reset_at.items():
            self.updated[show_id] = max(self.updated.get(show_id, 0), stamp)
        self._cache.clear()

    # -- activities ----------------------------------------------------------------------------
    def touch(self, *keys: str) -> int:
        """Move the named activities (``"movies.watched_at"``) and ``all`` to a new tick."""
        stamp = self.clock.tick()
        for key in keys:
            group, name = key.split(".")
            self.activities[group][name] = stamp
        self.activities_all = stamp
        self._cache.clear()
        return stamp

    # -- mutations (each moves the matching activities) ---------------------------------------
    def watch(self, plays: Iterable[Tuple[Any, Optional[int]]], action: str = "watch") -> Dict:
        """Add one play per (movie|episode, watched_at or None=now). Returns added counts."""
        plays = list(plays)
        added = {"movies": 0, "episodes": 0}
        if not plays:
            return added
        keys = set()
        unlisted: List[Any] = []
        for item, _ in plays:
            kind = kind_of(item)
            keys.add("movies.watched_at" if kind == "movie" else "episodes.watched_at")
            if kind == "movie" and item.trakt in self.watchlist:
                unlisted.append(item)
        if unlisted:
            keys.update(("movies.watchlisted_at", "watchlist.updated_at"))
        stamp = self.touch(*sorted(keys))
        self.last_history_ids = []
        for item, watched_at in plays:
            entry = self.add_play(item, stamp if watched_at is None else watched_at, action)
            self.last_history_ids.append(entry.id)
            self.updated[owner_of(item).trakt] = stamp
            added["movies" if isinstance(item, Movie) else "episodes"] += 1
        for item in unlisted:
            self.watchlist.pop(item.trakt, None)
        return added

    def unwatch(self, history_ids: Iterable[int]) -> Dict:
        """Remove history entries by id. Returns deleted counts."""
        entries = [self.history[h] for h in history_ids if h in self.history]
        deleted = {"movies": 0, "episodes": 0}
        if not entries:
            return deleted
        keys = {
            "movies.watched_at" if isinstance(e.item, Movie) else "episodes.watched_at"
            for e in entries
        }
        stamp = self.touch(*sorted(keys))
        for entry in entries:
            self.drop_play(entry.id)
            self.updated[owner_of(entry.item).trakt] = stamp
            deleted["movies" if isinstance(entry.item, Movie) else "episodes"] += 1
        return deleted

    def history_ids_for(self, item: Any) -> List[int]:
        return sorted(self.plays.get(item.trakt, {}))

    def set_playback(self, item: Any, progress: float) -> PlaybackEntry:
        kind = kind_of(item)
        stamp = self.touch("movies.paused_at" if kind == "movie" else "episodes.paused_at")
        return self.put_playback(item, progress, stamp)

    def remove_playback(self, pid: int) -> bool:
        entry = self.playback.get(pid)
        if entry is None:
            return False
        self.touch("movies.paused_at" if kind_of(entry.item) == "movie" else "episodes.paused_at")
        del self.playback[pid]
        return True

    def clear_playback_for(self, item: Any) -> None:
        for pid in [p for p, e in self.playback.items() if e.item is item]:
            del self.playback[pid]

    def watchlist_add(self, items: Iterable[Any], notes: Optional[str] = None) -> Dict:
        items = [i for i in items if i.trakt not in self.watchlist]
        return self._watchlist_change(items, add=True, notes=notes)

    def watchlist_remove(self, items: Iterable[Any]) -> Dict:
        items = [i for i in items if i.trakt in self.watchlist]
        return self._watchlist_change(items, add=False)

    def _watchlist_change(self, items: List[Any], add: bool, notes: Optional[str] = None) -> Dict:
        counts = {"movies": 0, "shows": 0, "seasons": 0, "episodes": 0}
        if not items:
            return counts
        keys = {kind_of(i) + "s.watchlisted_at" for i in items}
        stamp = self.touch("watchlist.updated_at", *sorted(keys))
        for item in items:
            if add:
                self.put_watchlist(item, stamp, notes)
            else:
                self.watchlist.pop(item.trakt, None)
            counts[kind_of(item) + "s"] += 1
        return counts

    @staticmethod
    def hidden_activity(section: str, kind: str) -> str:
        if section == "dropped":
            return "shows.dropped_at"
        return {"movie": "movies", "show": "shows", "season": "seasons"}.get(
            kind, "shows"
        ) + ".hidden_at"

    def hide(self, section: str, items: Iterable[Any]) -> Dict:
        return self._hidden_change(section, items, add=True)

    def unhide(self, section: str, items: Iterable[Any]) -> Dict:
        return self._hidden_change(section, items, add=False)

    def _hidden_change(self, section: str, items: Iterable[Any], add: bool) -> Dict:
        counts = {"movies": 0, "shows": 0, "seasons": 0, "users": 0}
        todo = []
        for item in items:
            key = (section, kind_of(item), item.trakt)
            if (key in self.hidden) != add:
                todo.append(key)
        if not todo:
            return counts
        stamp = self.touch(*sorted({self.hidden_activity(s, k) for s, k, _ in todo}))
        for key in todo:
            if add:
                self.hidden[key] = stamp
            else:
                del self.hidden[key]
            counts[key[1] + "s"] += 1
        return counts

    def reset_show(self, show: Show) -> int:
        stamp = self.touch("episodes.watched_at")
        self.reset_at[show.trakt] = stamp
        self.updated[show.trakt] = stamp
        return stamp

    def collect(self, items: Iterable[Any], add: bool = True) -> Dict:
        """Collect (or remove) movies/episodes; a show or season means its aired episodes."""
        now = self.clock.tick()
        targets: List[Any] = []
        for item in items:
            if isinstance(item, Show):
                targets.extend(e for e in item.aired_episodes(now))
            elif isinstance(item, Season):
                targets.extend(e for e in item.episodes.values() if e.first_aired)
            else:
                targets.append(item)
        targets = [t for t in targets if (t.trakt in self.collection) != add]
        counts = {"movies": 0, "episodes": 0}
        if not targets:
            return counts
        keys = {kind_of(t) + "s.collected_at" for t in targets}
        stamp = self.touch(*sorted(keys))
        for item in targets:
            if add:
                self.collection[item.trakt] = stamp
            else:
                del self.collection[item.trakt]
            counts[kind_of(item) + "s"] += 1
        return counts

    def rate(self, pairs: Iterable[Tuple[Any, Optional[int]]]) -> Dict:
        """Rate items (rating 1-10) or remove their rating (rating None)."""
        pairs = list(pairs)
        counts = {"movies": 0, "shows": 0, "seasons": 0, "episodes": 0}
        if not pairs:
            return counts
        stamp = self.touch(*sorted({kind_of(i) + "s.rated_at" for i, _ in pairs}))
        for item, rating in pairs:
            if rating is None:
                if self.ratings.pop(item.trakt, None) is None:
                    continue
            else:
                self.ratings[item.trakt] = (int(rating), stamp)
            counts[kind_of(item) + "s"] += 1
        return counts

    def rename_user(self, username: str) -> None:
        self.touch("account.settings_at")
        self.set_username(username)

    # -- cached aggregations ------------------------------------------------------------------
    def _cached(self, key: str, build: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def history_sorted(self) -> List[HistoryEntry]:
        """History, newest first (watched_at, then id)."""
        return self._cached(
            "history",
            lambda: sorted(self.history.values(), key=lambda e: (e.watched_at, e.id), reverse=True),
        )

    def watched_movies(self) -> List[Tuple[Movie, int, int]]:
        """[(movie, plays, last_watched_at)] for movies with plays, most recent first."""

        def build() -> List[Tuple[Movie, int, int]]:
            out = []
            movies = self.catalog.movies
            for trakt, plays in self.plays.items():
                movie = movies.get(trakt)
                if movie is not None:
                    out.append((movie, len(plays), max(plays.values())))
            out.sort(key=lambda r: (r[2], r[0].trakt), reverse=True)
            return out

        return self._cached("watched_movies", build)

    def watched_shows(self) -> List[Tuple[Show, int, int, Dict[Episode, Tuple[int, int]]]]:
        """[(show, plays, last_watched_at, {episode: (plays, last)})], most recent first."""

        def build() -> List[Any]:
            per_show: Dict[int, Dict[Episode, Tuple[int, int]]] = {}
            episodes = self.catalog.episodes
            for trakt, plays in self.plays.items():
                episode = episodes.get(trakt)
                if episode is not None:
                    per_show.setdefault(episode.show.trakt, {})[episode] = (
                        len(plays),
                        max(plays.values()),
                    )
            out = []
            for show_id, eps in per_show.items():
                plays = sum(p for p, _ in eps.values())
                last = max(t for _, t in eps.values())
                out.append((self.catalog.shows[show_id], plays, last, eps))
            out.sort(key=lambda r: (r[2], r[0].trakt), reverse=True)
            return out

        return self._cached("watched_shows", build)

    def episode_plays_of(self, show: Show) -> Dict[int, List[int]]:
        """{episode id: [watched_at, ...]} for one show."""
        out: Dict[int, List[int]] = {}
        for season in show.seasons.values():
            for episode in season.episodes.values():
                plays = self.plays.get(episode.trakt)
                if plays:
                    out[episode.trakt] = list(plays.values())
        return out
