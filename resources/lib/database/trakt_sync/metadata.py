"""Season/episode metadata (titles, air dates) for the shows Next Up needs.

``GET /shows/{id}/seasons?extended=full,episodes`` costs one request per show, so it is fetched
only for shows that need it (:func:`shows_needing_metadata`):

- shows without metadata that still have an aired episode left to watch (Trakt's
  ``aired_episodes`` from the watched data is larger than the completed count): a fully watched
  show has no Next Up and needs no episode list until that changes;
- shows whose watched state changed in this run and now have a watched episode the metadata
  does not list;
- shows for which the watched data just fetched reports more aired episodes than the metadata
  knows (new episodes aired). The watched shows are re-fetched at least once a day (see
  ``engine.FULL_REFRESH_SECONDS``), which is how airing shows stay fresh without a request per
  show per day;
- for Upcoming (``upcoming.py``), the shows the user follows: watched within the last
  :data:`FOLLOWING_DAYS` days and neither hidden from progress nor dropped (Upcoming leaves
  those out). Such a show without metadata is fetched once, even when caught up (its episodes
  not aired yet are what Upcoming lists); with metadata, it is fetched again once its list is
  :func:`refresh_interval` old (a week or more) if the list shows it airing (an episode aired within
  :data:`FOLLOWING_DAYS` days, still to come, or with no date yet), so a moved air date or a
  newly listed episode appears before it airs. An old show binged lately is not refreshed. A
  season announced after a long break shows up once its first episode has aired (the rule above).

A failed fetch leaves the show ``metadata_pending``: a transient error (5xx, 429, network, bad
JSON) is retried by the next sync, a 404 after :data:`RETRY_NOT_FOUND_SECONDS`. Each show is
written in its own short transaction, so Next Up fills while the sync goes on.

Order and speed on a real network (docs/PERFORMANCE.md): the shows are fetched most recently
watched first, and shows the Next Up view leaves out (hidden from progress, dropped) last, so the
part of Next Up a user looks at is right within seconds of a first sync. :func:`prefetch` keeps
up to :data:`PARALLEL_FETCHES` requests in flight ahead of the writer (one connection each); all
of them are background requests for the rate limiter, which keeps a reserve of Trakt's window
for the user's own actions.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any, Dict, Iterable, List, Optional, Set

from ...trakt import errors, ratelimit
from .context import SyncContext
from .items import MalformedItem, as_dict, as_int, as_list, as_str, iso_time, now_iso
from .show_counts import update_show_counts

log = logging.getLogger(__name__)

SEASONS_PATH = "/shows/%d/seasons"
SEASONS_PARAMS = {"extended": "full,episodes"}
RETRY_NOT_FOUND_SECONDS = 24 * 3600.0
# Season requests in flight at once during a sync. 4 connections cut a first sync of 700 shows
# at 150 ms round trip from ~105 s to ~30 s; more would mostly move the wait to the rate limit.
PARALLEL_FETCHES = 4
# Fetched (or in flight) but not yet written: lets the fetches started early, while the other
# lists are still being synced, run ahead of the writer (a few MB at most).
FETCH_AHEAD = 32
# Upcoming: a show watched within this many days counts as followed (caught up or not).
FOLLOWING_DAYS = 90
FOLLOWING_REFRESH_SECONDS = 7 * 24 * 3600.0
# At most this many shows per run are fetched for Upcoming alone (most recently watched first;
# the rest come in later runs). Without it the large account's first sync made 994 requests:
# past the 950 GETs a 1,000-per-300-s window leaves to background work, so it waited for a
# second window (304 s instead of about 40).
FOLLOWING_PER_RUN = 60
_LATER = (
    "SELECT trakt_id FROM hidden WHERE media_type = 'show' AND section IN "
    "('progress_watched', 'dropped')"
)


def refresh_interval(show_id: int) -> float:
    """Seconds before a followed show's list is fetched again: 7 to 13 days by show, so the
    shows a first sync fetched together come due on different days, not in one weekly burst."""
    return FOLLOWING_REFRESH_SECONDS * (1 + (show_id % 7) / 7.0)


def shows_needing_metadata(conn: sqlite3.Connection, ctx: SyncContext) -> List[int]:
    """Shows whose season metadata must be fetched in this run (see the module docstring)."""
    now = ctx.now
    needed: Set[int] = {
        row[0]
        for row in conn.execute(
            "SELECT trakt_id FROM shows WHERE metadata_pending = 1 "
            "AND (metadata_retry_ts IS NULL OR metadata_retry_ts <= ?)",
            (now,),
        )
    }
    if not ctx.touched_shows and not ctx.aired_counts:
        return sorted(needed)  # the watched data did not change in this run
    rows = conn.execute(
        "SELECT s.trakt_id, s.has_metadata, s.metadata_checked_ts, s.aired_episodes, "
        " s.completed_episodes, s.metadata_pending, s.last_watched_at, "
        " COALESCE(SUM(e.season > 0 AND e.has_metadata = 1 AND e.first_aired <= ?), 0) "
        "   AS aired_known, "
        " COALESCE(SUM(e.plays > 0 AND e.has_metadata = 0), 0) AS unknown_watched, "
        " COALESCE(SUM(e.has_metadata = 1 AND (e.first_aired IS NULL OR e.first_aired > ?)), 0) "
        "   AS airing_known "
        "FROM shows s LEFT JOIN episodes e ON e.show_id = s.trakt_id GROUP BY s.trakt_id",
        (now_iso(now), now_iso(now - FOLLOWING_DAYS * 86400.0)),
    ).fetchall()
    following_since = now_iso(now - FOLLOWING_DAYS * 86400.0)
    upcoming_only: Dict[int, str] = {}
    left_out = {row[0] for row in conn.execute(_LATER)}
    for row in rows:
        show_id = row["trakt_id"]
        if row["metadata_pending"]:
            continue
        aired = row["aired_episodes"]
        checked = row["metadata_checked_ts"]
        followed = (row["last_watched_at"] or "") >= following_since and show_id not in left_out
        due = checked is None or now - checked >= refresh_interval(show_id)
        if not row["has_metadata"]:
            # Every aired episode watched: no Next Up, so no metadata needed until that changes
            # (unless followed, below: Upcoming lists its episodes to come).
            complete = aired is not None and row["completed_episodes"] >= aired
            if not complete and (checked is None or show_id in ctx.touched_shows):
                needed.add(show_id)
        elif show_id in ctx.touched_shows and row["unknown_watched"]:
            needed.add(show_id)
        elif show_id in ctx.aired_counts and (ctx.aired_counts[show_id] or 0) > row["aired_known"]:
            needed.add(show_id)  # Trakt knows of newly aired episodes
        if show_id not in needed and followed and due:
            if not row["has_metadata"] or row["airing_known"]:
                # Upcoming alone: its episodes not aired yet (see the docstring), capped below
                upcoming_only[show_id] = row["last_watched_at"] or ""
    latest = sorted(upcoming_only, key=lambda show: (upcoming_only[show], show), reverse=True)
    needed.update(latest[:FOLLOWING_PER_RUN])
    return _in_fetch_order(conn, needed)


def _in_fetch_order(conn: sqlite3.Connection, show_ids: Set[int]) -> List[int]:
    """Most recently watched first; shows the Next Up view leaves out (hidden, dropped) last."""
    if not show_ids:
        return []
    later = {row[0] for row in conn.execute(_LATER)}
    watched = {
        row[0]: row[1] or ""
        for row in conn.execute("SELECT trakt_id, last_watched_at FROM shows")
        if row[0] in show_ids
    }
    ordered = sorted(show_ids)
    ordered.sort(key=lambda show: watched.get(show, ""), reverse=True)  # ISO text sorts by time
    ordered.sort(key=lambda show: show in later)  # stable: keeps the order within each group
    return ordered


def prefetch(ctx: SyncContext, show_ids: List[int], parallel: Optional[int] = None) -> None:
    """Fetch the seasons of ``show_ids`` ahead, in this order, ``parallel`` at a time, at most
    :data:`FETCH_AHEAD` results waiting; :func:`fetch_show_seasons` then hands each result over
    instead of asking Trakt again. Called again in the same run (the watched shows start it
    early, the metadata step with the final order), it re-plans what has not started yet."""
    ahead = getattr(ctx, "seasons_ahead", None)
    parallel = PARALLEL_FETCHES if parallel is None else parallel
    if ahead is not None:
        ahead.replan(show_ids)
    elif parallel > 1 and len(show_ids) > 1:
        ctx.seasons_ahead = _Prefetch(ctx, show_ids, parallel)  # type: ignore[attr-defined]


_NOT_FETCHED = object()  # a show left to the sync's own thread after another fetch failed


class _Prefetch:
    """Up to ``parallel`` fetches in flight, each in a daemon thread that ends with its request,
    and at most :data:`FETCH_AHEAD` fetched or in flight but not yet taken (memory stays bounded
    and nothing lingers when the sync stops taking results)."""

    def __init__(self, ctx: SyncContext, show_ids: List[int], parallel: int) -> None:
        self._ctx = ctx
        self._pending = list(show_ids)  # not started yet, in fetch order
        self._parallel = parallel
        self._running = 0
        self._started: Dict[int, threading.Event] = {}  # started, not taken yet
        self._results: Dict[int, Any] = {}
        self._taken: Set[int] = set()  # never fetched twice in one run
        self._lock = threading.Lock()
        self._stopped = False
        self._fill()

    def replan(self, show_ids: List[int]) -> None:
        with self._lock:
            done = set(self._started) | self._taken
            self._pending = [show for show in show_ids if show not in done]
        self._fill()

    def _fill(self) -> None:
        with self._lock:
            while (
                not self._stopped
                and self._pending
                and self._running < self._parallel
                and len(self._started) < FETCH_AHEAD
            ):
                show_id = self._pending.pop(0)
                self._started[show_id] = threading.Event()
                self._running += 1
                threading.Thread(
                    target=self._fetch, args=(show_id,), name="trakt-seasons", daemon=True
                ).start()

    def _fetch(self, show_id: int) -> None:
        try:
            if self._stopped:
                # Another fetch failed first: leave this show to the sync's own thread, which
                # asks for it (or stops) itself. Never hand it an error that is not its own.
                outcome: Any = _NOT_FETCHED
            else:
                with ratelimit.background():
                    outcome = _fetch_now(self._ctx, show_id)
        except BaseException as exc:  # noqa: BLE001 - handed to the consuming thread
            outcome = exc
            if not isinstance(exc, (errors.NotFound, MalformedItem)):
                # Network down, aborted, signed out...: fetch nothing more ahead; the sync
                # decides what to do with this show and asks for the next one itself.
                self._stopped = True
        with self._lock:
            self._results[show_id] = outcome
            self._running -= 1
            done = self._started[show_id]
        done.set()
        self._fill()

    def take(self, show_id: int) -> Optional[Any]:
        """The outcome for ``show_id`` (episodes or the exception), or None if not fetched ahead."""
        with self._lock:
            done = self._started.get(show_id)
        if done is None:
            return None
        while not done.wait(0.25):
            self._ctx.check_abort()
        with self._lock:
            del self._started[show_id]
            self._taken.add(show_id)
            outcome = self._results.pop(show_id)
        self._fill()
        return None if outcome is _NOT_FETCHED else outcome


def fetch_show_seasons(ctx: SyncContext, show_id: int) -> List[Dict[str, Any]]:
    """Episodes of one show as column dicts (one request, or the result of :func:`prefetch`)."""
    ahead = getattr(ctx, "seasons_ahead", None)
    outcome = ahead.take(show_id) if ahead is not None else None
    if outcome is None:
        with ratelimit.background():
            return _fetch_now(ctx, show_id)
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def _fetch_now(ctx: SyncContext, show_id: int) -> List[Dict[str, Any]]:
    seasons = ctx.client.get(SEASONS_PATH % show_id, params=dict(SEASONS_PARAMS))
    episodes = []
    for season in as_list(seasons):
        season_number = as_int(as_dict(season).get("number"))
        if season_number is None:
            continue
        for episode in as_list(as_dict(season).get("episodes")):
            episode = as_dict(episode)
            number = as_int(episode.get("number"))
            if number is None:
                log.warning("show %d: episode without a number skipped", show_id)
                continue
            ids = as_dict(episode.get("ids"))
            episodes.append(
                {
                    "season": as_int(episode.get("season")) or season_number,
                    "number": number,
                    "trakt_id": as_int(ids.get("trakt")),
                    "imdb_id": as_str(ids.get("imdb")),
                    "tmdb_id": as_int(ids.get("tmdb")),
                    "tvdb_id": as_int(ids.get("tvdb")),
                    "title": as_str(episode.get("title")),
                    "first_aired": iso_time(episode.get("first_aired")),
                    "runtime": as_int(episode.get("runtime")),
                }
            )
    if seasons is not None and not isinstance(seasons, list):
        raise MalformedItem("seasons of show %d are not a list" % show_id)
    return episodes


def apply_show_seasons(
    conn: sqlite3.Connection, show_id: int, episodes: Iterable[Dict[str, Any]], now: float
) -> int:
    """Store one show's episode metadata; returns the number of episodes written."""
    exists = conn.execute("SELECT 1 FROM shows WHERE trakt_id = ?", (show_id,)).fetchone()
    if not exists:
        return 0  # unwatched meanwhile; nothing to attach the metadata to
    conn.execute("UPDATE episodes SET has_metadata = 0 WHERE show_id = ?", (show_id,))
    count = 0
    for episode in episodes:
        conn.execute(
            "INSERT INTO episodes (show_id, season, number, trakt_id, imdb_id, tmdb_id, tvdb_id, "
            "title, first_aired, runtime, has_metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) "
            "ON CONFLICT (show_id, season, number) DO UPDATE SET trakt_id = excluded.trakt_id, "
            "imdb_id = excluded.imdb_id, tmdb_id = excluded.tmdb_id, tvdb_id = excluded.tvdb_id, "
            "title = excluded.title, first_aired = excluded.first_aired, "
            "runtime = excluded.runtime, has_metadata = 1",
            (
                show_id, episode["season"], episode["number"], episode["trakt_id"],
                episode["imdb_id"], episode["tmdb_id"], episode["tvdb_id"], episode["title"],
                episode["first_aired"], episode["runtime"],
            ),
        )  # fmt: skip
        count += 1
    conn.execute(
        "DELETE FROM episodes WHERE show_id = ? AND has_metadata = 0 AND plays = 0", (show_id,)
    )
    conn.execute(
        "UPDATE shows SET has_metadata = 1, metadata_checked_ts = ?, metadata_pending = 0, "
        "metadata_retry_ts = NULL WHERE trakt_id = ?",
        (now, show_id),
    )
    update_show_counts(conn, (show_id,))
    return count


def mark_metadata_failed(
    conn: sqlite3.Connection, show_id: int, now: float, permanent: bool
) -> None:
    """Keep the show pending: retried by the next sync, or a day later if Trakt said 404."""
    conn.execute(
        "UPDATE shows SET metadata_checked_ts = ?, metadata_pending = 1, metadata_retry_ts = ? "
        "WHERE trakt_id = ?",
        (now, now + RETRY_NOT_FOUND_SECONDS if permanent else now, show_id),
    )
