"""The service's playback scrobbling, wired without Kodi: the worker, the Trakt client, the
sync database's outbox, the in-flight journal and the mirror.

Every scrobble that could not be sent waits in the sync database's ``outbox`` (one store for
every pending Trakt write): a missed watched stop of an item with Trakt ids as a ``watch`` row
queued with the mirror's update (``local_changes.record_stop``), anything else (progress, which
expires, or a play of an item known only by IMDb or TMDb id) through
:class:`~.queue.ScrobbleQueue`. The next sync pushes them before its pull; :meth:`tick` asks the
worker to push the scrobbles sooner, about once a minute while some are queued.

Shutdown: :meth:`PlaybackScrobbling.begin_quit` (on ``System.OnQuit``, the first sign Kodi
gives) puts the worker's Trakt client on a short deadline and asks the worker to save a running
playback's progress; :meth:`PlaybackScrobbling.stop` waits for that (bounded). What could not be
sent in time is in the outbox; what a crash interrupted is in the in-flight journal, which the
next :meth:`PlaybackScrobbling.start` turns into an outbox row (after moving the JSON outbox of
earlier versions there, once).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from typing import Any, Callable, Dict, Optional

from resources.lib.database.trakt_sync.lease import LeaseLost
from resources.lib.database.trakt_sync.local_changes import PlayedItem
from resources.lib.trakt import errors as trakt_errors

from .inflight import INFLIGHT_FILENAME, InflightJournal
from .legacy_outbox import LEGACY_FILENAME, migrate_legacy
from .media import MediaRef
from .pending import HISTORY, PendingItem, history_key, pending_for_failure
from .queue import ScrobbleQueue
from .resume import PLACEHOLDER_SECONDS
from .sender import ScrobbleSender
from .state import Action
from .worker import Playback, ScrobbleWorker

log = logging.getLogger(__name__)

FLUSH_MIN_INTERVAL = 60.0
# The pause that saves the user's place on quit gets this long on the network, then it goes to
# the outbox (the next start sends it).
QUIT_SEND_SECONDS = 1.5
_FLUSH_ERRORS = (trakt_errors.TraktError, trakt_errors.Aborted, LeaseLost, sqlite3.Error)


class PlaybackScrobbling:
    """Builds the worker for the service; ``tick()`` asks for outbox pushes.

    ``context_factory`` gives the worker thread its own context (``client``, ``db``,
    ``is_authorised()``, ``close()``); ``playback`` is the player (:class:`~.worker.Playback`);
    ``placeholder_seconds`` and ``messages`` come from the front end's settings and strings.
    """

    def __init__(
        self,
        data_dir: str,
        context_factory: Callable[[], Any],
        playback: Playback,
        placeholder_seconds: Callable[[], float] = lambda: PLACEHOLDER_SECONDS,
        messages: Optional[Callable[[str], str]] = None,
        on_playback_end: Callable[[], None] = lambda: None,
    ) -> None:
        self._context_factory = context_factory
        self._ctx: Any = None
        self._outer_abort: Optional[Callable[[], bool]] = None
        self._client: Any = None  # the worker's own view of the context's Trakt client
        self._quit_deadline: Optional[float] = None
        self.legacy_outbox_path = os.path.join(data_dir, LEGACY_FILENAME)
        self.journal = InflightJournal(os.path.join(data_dir, INFLIGHT_FILENAME))
        # Missed watched stops waiting for ``_record_local`` to queue them in the outbox with
        # the mirror's update (key: the pending item's, media + watched_at second).
        self._plays_to_queue: Dict[str, PendingItem] = {}
        self._last_flush = 0.0
        # Scrobbles may be queued (by an earlier run, the journal or this one): worth a flush.
        self._maybe_queued = True
        self.worker = ScrobbleWorker(
            send=self._send,
            record_local=self._record_local,
            flush=self._flush,
            playback=playback,
            placeholder_seconds=placeholder_seconds,
            messages=messages,
            journal=self.journal,
            on_playback_end=on_playback_end,
        )

    @property
    def outbox(self) -> ScrobbleQueue:
        """The queued scrobbles, in the worker context's sync database."""
        return ScrobbleQueue(self._context().db)

    def start(self) -> None:
        try:
            outbox = self.outbox
            migrate_legacy(self.legacy_outbox_path, outbox)  # once: the file is then gone
            self.journal.recover(outbox)  # a playback the last run never saw end
        except Exception:
            log.warning("could not recover the last playback's progress", exc_info=True)
        self.worker.start()

    def begin_quit(self, seconds: float = QUIT_SEND_SECONDS) -> None:
        """Kodi is quitting: scrobbles get ``seconds`` on the network from now, then give up
        (and are queued); the worker saves a running playback's progress."""
        if self._quit_deadline is None:
            self._quit_deadline = time.monotonic() + seconds
            self.worker.request_quit()

    def stop(self) -> None:
        self.begin_quit()
        started = time.monotonic()
        finished = self.worker.quit()
        if not finished:
            log.warning(
                "the player monitor did not finish in %.1f s; the in-flight journal keeps "
                "the progress for the next start",
                time.monotonic() - started,
            )
        self.worker.stop(timeout=0.2)
        ctx, self._ctx = self._ctx, None
        if ctx is not None:
            ctx.close()

    def _should_abort(self) -> bool:
        """The worker client's abort check: once quitting, only the deadline counts (the
        service's own flag is already up, and would abort the pause that saves the place)."""
        if self._quit_deadline is not None:
            return time.monotonic() >= self._quit_deadline
        return bool(self._outer_abort is not None and self._outer_abort())

    def tick(self, online: bool = True, now: Optional[float] = None) -> None:
        """Called on service ticks (no file, database or network access here): ask the worker
        to push the queued scrobbles, at most once a minute, while some may be queued."""
        now = time.time() if now is None else now
        if online and self._maybe_queued and now - self._last_flush >= FLUSH_MIN_INTERVAL:
            self._last_flush = now
            self.worker.post("flush")

    # -- run on the worker thread --------------------------------------------------------------
    def _context(self) -> Any:
        if self._ctx is None:
            ctx = self._context_factory()
            try:
                client = ctx.client
                self._outer_abort = client.should_abort
                # a view of its own: the shared client keeps its abort check and retry limits
                self._client = client.for_run(
                    should_abort=self._should_abort, fail_fast_connect=client.fail_fast_connect
                )
            except Exception:  # no client configured: nothing will be sent anyway
                log.debug("no Trakt client for the player monitor", exc_info=True)
            self._ctx = ctx
        client = self._client
        if self._quit_deadline is not None and client is not None and client.max_retries:
            # no retries and no waiting on a rate limit: the deadline leaves no time for them.
            # Set on a fresh view (a copy), never on the shared client.
            view = client.for_run(self._should_abort, fail_fast_connect=client.fail_fast_connect)
            view.max_retries = view.max_rate_limit_retries = 0
            self._client = view
        return self._ctx

    def _send(self, media: MediaRef, action: Action) -> str:
        ctx = self._context()
        if not ctx.is_authorised():
            pending = pending_for_failure(media, action)
            if pending is not None:
                self._keep(media, pending)
            return "pending" if pending else "failed"
        sender = ScrobbleSender(
            self._client, media, self.outbox, keep=lambda pending: self._keep(media, pending)
        )
        return sender.send(action).status

    def _keep(self, media: MediaRef, pending: PendingItem) -> None:
        """A scrobble that could not be sent. A watched stop of an item the mirror knows becomes
        a ``watch`` row (``_record_local`` queues it with the mirror's update, in one
        transaction); anything else is queued as it is."""
        self._maybe_queued = True
        if pending.kind == HISTORY and played_item(media) is not None:
            self._plays_to_queue[pending.key] = pending
        else:
            self.outbox.put(pending)

    def _record_local(self, media: MediaRef, action: Action, title: str = "") -> None:
        pending = self._plays_to_queue.pop(history_key(media, action.at), None)
        item = played_item(media, title)
        if item is None:
            return
        try:
            db = self._context().db
            db.record_stop(item, action.progress, action.at, queue=pending is not None)
        except Exception:
            if pending is not None:  # never lose the play: queue it as a plain history write
                self.outbox.put(pending)
            raise

    def _flush(self) -> None:
        ctx = self._context()
        if not ctx.is_authorised():
            return
        outbox = self.outbox
        try:
            result = outbox.push(self._client)
        except _FLUSH_ERRORS as exc:  # kept: the next flush or sync tries again
            log.info("scrobble outbox not pushed now (%s)", type(exc).__name__)
            return
        if result is None:  # nothing queued, or a sync is pushing it right now
            self._maybe_queued = bool(len(outbox))
            return
        self._maybe_queued = result.kept > 0
        log.info(
            "scrobble outbox: %d delivered, %d kept, %d dropped",
            result.pushed + result.confirmed,
            result.kept,
            result.dropped,
        )


def played_item(media: MediaRef, title: str = "") -> Any:
    """The mirror's key for a MediaRef (None when the Trakt ids needed are unknown). ``title``
    labels a movie's new bookmark (an episode's comes from the mirror's show)."""

    def as_int(value: Any) -> Optional[int]:
        try:
            return int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    if media.kind == "movie":
        item = PlayedItem(
            "movie",
            trakt_id=as_int(media.ids.get("trakt")),
            imdb_id=media.ids.get("imdb"),
            tmdb_id=as_int(media.ids.get("tmdb")),
            title=title or None,
        )
    else:
        item = PlayedItem(
            "episode",
            trakt_id=as_int(media.ids.get("trakt")),
            show_id=as_int(media.show_ids.get("trakt")),
            season=media.season,
            number=media.number,
        )
    return item if item.usable else None


__all__ = ["FLUSH_MIN_INTERVAL", "QUIT_SEND_SECONDS", "PlaybackScrobbling", "played_item"]
