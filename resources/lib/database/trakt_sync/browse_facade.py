"""The facade's reads for browsing: Trakt lists, and the mirror's state by IMDb id.

A mixin of :class:`~resources.lib.database.trakt_sync.TraktSyncDatabase`: it uses that class's
``_lock`` and ``_conn``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from .damage import _reports_damage


class BrowseReads:
    _lock: Any
    _conn: Any

    @_reports_damage
    def lists(self, kind: str = "personal") -> List[Dict[str, Any]]:
        """The user's ``personal`` or ``liked`` Trakt lists in Trakt's order: dicts with
        ``list_id, name, slug, item_count, updated_at, kind, owner`` (and ``owner_slug``,
        ``liked_at``, ``privacy``, ``description``). Raises ValueError for another kind."""
        from . import lists

        with self._lock:
            return lists.lists(self._conn, kind)

    @_reports_damage
    def list_items(self, list_id: int) -> List[Dict[str, Any]]:
        """The items of one mirrored list in rank order, shaped like watchlist rows."""
        from . import lists

        with self._lock:
            return lists.list_items(self._conn, list_id)

    def take_list_notices(self) -> List[Dict[str, Any]]:
        """The waiting account-limit notices (each returned once, then deleted)."""
        from . import list_push

        with self._lock:
            return list(list_push.take_notices(self._conn))

    @_reports_damage
    def ratings_for(self, keys: Sequence[Any]) -> List[Optional[int]]:
        """The user's rating (1-10, None: not rated) of each ``(media_type, trakt_id, show_id,
        season, number)`` in ``keys``, in order: one read for a list page
        (``ratings.ratings_for``)."""
        from . import ratings

        with self._lock:
            return ratings.ratings_for(self._conn, keys)

    @_reports_damage
    def last_episode_number(self, show_id: int, season: int) -> Optional[int]:
        """The highest episode number the mirror knows in a season (the season's finale)."""
        from . import ratings

        with self._lock:
            return ratings.last_episode_number(self._conn, show_id, season)

    @_reports_damage
    def states_by_imdb(self, imdb_ids: Sequence[str]) -> Dict[str, Dict[str, Any]]:
        from . import browse_reads

        with self._lock:
            return browse_reads.states_by_imdb(self._conn, imdb_ids)

    @_reports_damage
    def show_id_by_imdb(self, imdb_id: str) -> Optional[int]:
        from . import browse_reads

        with self._lock:
            return browse_reads.show_id_by_imdb(self._conn, imdb_id)

    @_reports_damage
    def episode_states(self, show_id: int) -> Dict[str, Any]:
        from . import browse_reads

        with self._lock:
            return browse_reads.episode_states(self._conn, show_id)

    @_reports_damage
    def collection(self) -> List[Dict[str, Any]]:
        """Collected movies and shows as list rows, newest first (browse_reads.collection)."""
        from . import browse_reads

        with self._lock:
            return browse_reads.collection(self._conn)

    @_reports_damage
    def upcoming(
        self, now: Optional[float] = None, days: Optional[int] = None
    ) -> List[Dict[str, Any]]:
        """Episodes of the watched shows airing in ``(now, now + days]`` (None: the module's
        ``UPCOMING_DAYS``), soonest first; hidden and dropped shows left out
        (``upcoming.upcoming``)."""
        from . import upcoming

        window = upcoming.UPCOMING_DAYS if days is None else days
        with self._lock:
            return upcoming.upcoming(self._conn, now=now, days=window)

    @_reports_damage
    def recently_watched(self, limit: Optional[int] = None) -> List[Dict[str, Any]]:
        """The last ``limit`` episodes and movies watched (None: the module's ``RECENT_LIMIT``),
        newest first, one row per item."""
        from . import upcoming

        length = upcoming.RECENT_LIMIT if limit is None else limit
        with self._lock:
            return upcoming.recently_watched(self._conn, limit=length)
