"""The facade's part for the player (``scrobble/``): the mirror at once, Trakt through the outbox.

A mixin of :class:`~resources.lib.database.trakt_sync.TraktSyncDatabase`: it uses that class's
``_lock`` and ``_conn``.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, List, Optional

if TYPE_CHECKING:  # pragma: no cover
    from ...upnext.choose import NextEpisode


class PlayerWrites:
    _lock: Any
    _conn: Any

    def record_stop(
        self, item: Any, progress: float, watched_at: Optional[float] = None, queue: bool = False
    ) -> Any:
        """A playback stopped at ``progress`` percent: ``local_changes.record_stop`` (one
        transaction; ``queue`` also queues a watched stop's play for Trakt)."""
        from . import local_changes

        with self._lock:
            return local_changes.record_stop(self._conn, item, progress, watched_at, queue)

    def bookmark_progress(self, item: Any) -> Optional[float]:
        """The mirror's saved progress (percent) of a ``local_changes.PlayedItem``, or None."""
        from . import local_changes

        with self._lock:
            return local_changes.bookmark_progress(self._conn, item)

    def queue_scrobble(self, write: Any) -> bool:
        """Keep a ``scrobble_rows.ScrobbleWrite`` in the outbox (False: not kept, see there)."""
        from . import scrobble_rows

        with self._lock:
            return scrobble_rows.queue(self._conn, write)

    def queued_scrobbles(self) -> List[Any]:
        """The queued scrobble writes (``outbox.OutboxRow``), oldest first."""
        from . import scrobble_rows

        with self._lock:
            return scrobble_rows.rows(self._conn)

    def discard_scrobble(self, key: str) -> int:
        """Forget the queued scrobble writes of ``key`` (a newer scrobble reached Trakt)."""
        from . import scrobble_rows

        with self._lock:
            return scrobble_rows.discard(self._conn, key)

    def push_scrobbles(self, client: Any, now: Optional[float] = None) -> Optional[Any]:
        """Send the queued scrobble writes now, under the sync lease (``outbox_push``); None
        when a sync holds the lease (it pushes them itself, before its pull). Trakt errors
        keep the rows; ``Aborted`` and re-authorisation errors propagate."""
        from . import lease, outbox_push, scrobble_rows
        from .context import SyncContext

        with self._lock:
            if not scrobble_rows.rows(self._conn):
                return None
            owner = lease.new_owner()
            if not lease.acquire(self._conn, owner):
                return None
            try:
                ctx = SyncContext(client, None, now)
                return outbox_push.push_outbox(
                    self._conn, ctx, owner, force=True, now=now, kinds=scrobble_rows.KINDS
                )
            finally:
                lease.release(self._conn, owner)

    def next_episode_after(
        self, show_id: int, season: int, number: int, now: Optional[datetime.datetime] = None
    ) -> Optional[NextEpisode]:
        """The episode Up Next offers after S``season``E``number`` of ``show_id`` (the rule is
        ``upnext.choose.choose_next``), or None: the last aired one, the next not aired yet, the
        show hidden from progress or dropped, or a show the mirror does not know."""
        from ...upnext.choose import NextEpisode, choose_next
        from . import next_episode

        now = now or datetime.datetime.now(datetime.timezone.utc)
        with self._lock:
            show = next_episode.show_row(self._conn, show_id)
            if show is None:
                return None
            hidden = next_episode.hidden_sections(self._conn, show_id)
            rows = next_episode.following_rows(self._conn, show_id, season, number)
        row = choose_next(
            rows, season, number, now, "progress_watched" in hidden, "dropped" in hidden
        )
        if row is None:
            return None
        return NextEpisode(
            show_id=show_id,
            show_ids=next_episode.ids_of(show),
            show_title=show["title"] or "",
            season=row["season"],
            number=row["number"],
            title=row["title"] or "",
            ids=next_episode.ids_of(row),
            first_aired=row["first_aired"],
            runtime=row["runtime"] if row["runtime"] is not None else show["runtime"],
        )
