"""The service's playback scrobbling, wired: the worker, the monitor, the Trakt client, the
outbox, the in-flight journal and the mirror.

Shutdown: :meth:`PlaybackScrobbling.begin_quit` (on ``System.OnQuit``, the first sign Kodi
gives) puts the worker's Trakt client on a short deadline and asks the worker to save a running
playback's progress; :meth:`PlaybackScrobbling.stop` waits for that (bounded). What could not be
sent in time is in the outbox; what a crash interrupted is in the in-flight journal, which the
next :meth:`PlaybackScrobbling.start` turns into an outbox item.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any, Callable, Dict, Optional

from resources.lib.kodi.scrobble_worker import PlayerMonitor, ScrobbleWorker
from resources.lib.scrobble.inflight import INFLIGHT_FILENAME, InflightJournal
from resources.lib.scrobble.media import MediaRef
from resources.lib.scrobble.resume import PLACEHOLDER_SECONDS
from resources.lib.scrobble.state import Action

log = logging.getLogger(__name__)

OUTBOX_FILENAME = "scrobble_outbox.json"
FLUSH_MIN_INTERVAL = 60.0
# The pause that saves the user's place on quit gets this long on the network, then it goes to
# the outbox (the next start sends it).
QUIT_SEND_SECONDS = 1.5


class PlaybackScrobbling:
    """Builds the worker and the monitor for the service; ``tick()`` asks for outbox flushes.

    Shutdown: :meth:`begin_quit` (on ``System.OnQuit``, the first sign Kodi gives) switches the
    worker's Trakt client to a short deadline and asks the worker to save a running playback's
    progress; :meth:`stop` waits for that (bounded) and ends the thread. What could not be sent
    in time is in the outbox; what a crash interrupted is in the in-flight journal, which the
    next :meth:`start` turns into an outbox item.
    """

    def __init__(self, data_dir: str, context_factory: Callable[[], Any]) -> None:
        from resources.lib.scrobble.outbox import Outbox

        self._context_factory = context_factory
        self._ctx: Any = None
        self._outer_abort: Optional[Callable[[], bool]] = None
        self._quit_deadline: Optional[float] = None
        self.outbox = Outbox(os.path.join(data_dir, OUTBOX_FILENAME))
        self.journal = InflightJournal(os.path.join(data_dir, INFLIGHT_FILENAME))
        # Missed watched stops waiting for ``_record_local`` to queue them in the sync
        # database's outbox (key: the JSON outbox's history key, media + watched_at second).
        self._plays_to_queue: Dict[str, Any] = {}
        self._last_flush = 0.0
        self.worker = ScrobbleWorker(
            send=self._send,
            record_local=self._record_local,
            flush=self._flush,
            placeholder_seconds=self._placeholder_seconds,
            messages=_message,
            journal=self.journal,
        )
        self.monitor = PlayerMonitor(self.worker.post)

    def start(self) -> None:
        try:
            self.journal.recover(self.outbox)  # a playback the last run never saw end
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
        """Called on service ticks: ask the worker to flush the outbox when it holds items."""
        now = time.time() if now is None else now
        if online and len(self.outbox) and now - self._last_flush >= FLUSH_MIN_INTERVAL:
            self._last_flush = now
            self.worker.post("flush")

    # -- run on the worker thread --------------------------------------------------------------
    def _context(self) -> Any:
        if self._ctx is None:
            ctx = self._context_factory()
            try:
                client = ctx.client
                self._outer_abort = client.should_abort
                client.should_abort = self._should_abort
            except Exception:  # no client configured: nothing will be sent anyway
                log.debug("no Trakt client for the player monitor", exc_info=True)
            self._ctx = ctx
        if self._quit_deadline is not None:
            _quit_mode(self._ctx)
        return self._ctx

    def _placeholder_seconds(self) -> float:
        from resources.lib.kodi.settings import load_settings

        try:
            return float(load_settings().playback_placeholder_seconds)
        except Exception:
            return PLACEHOLDER_SECONDS

    def _send(self, media: MediaRef, action: Action) -> str:
        from resources.lib.scrobble.sender import ScrobbleSender

        ctx = self._context()
        if not ctx.is_authorised():
            from resources.lib.scrobble.outbox import pending_for_failure

            pending = pending_for_failure(media, action)
            if pending is not None:
                self._keep(media, pending)
            return "pending" if pending else "failed"
        sender = ScrobbleSender(ctx.client, media, self.outbox,
                                keep=lambda pending: self._keep(media, pending))  # fmt: skip
        return sender.send(action).status

    def _keep(self, media: MediaRef, pending: Any) -> None:
        """A scrobble that could not be sent. A watched stop of an item the mirror knows goes
        to the sync database's outbox (``_record_local`` queues it with the mirror update, in one
        transaction; the next sync pushes it); anything else (progress, which expires, or an
        item without Trakt ids) to the JSON outbox."""
        from resources.lib.scrobble.outbox import HISTORY

        if pending.kind == HISTORY and played_item(media) is not None:
            self._plays_to_queue[pending.key] = pending
        else:
            self.outbox.put(pending)

    def _record_local(self, media: MediaRef, action: Action, title: str = "") -> None:
        from resources.lib.database.trakt_sync import local_changes
        from resources.lib.scrobble.outbox import history_key

        pending = self._plays_to_queue.pop(history_key(media, action.at), None)
        item = played_item(media, title)
        if item is None:
            return
        try:
            db = self._context().db
            local_changes.record_stop(
                db.connection, item, action.progress, action.at, queue=pending is not None
            )
        except Exception:
            if pending is not None:  # never lose the play: the JSON outbox sends it instead
                self.outbox.put(pending)
            raise

    def _flush(self) -> None:
        from resources.lib.scrobble.outbox import flush_outbox

        ctx = self._context()
        if not ctx.is_authorised() or not len(self.outbox):
            return
        result = flush_outbox(self.outbox, ctx.client)
        log.info(
            "scrobble outbox: %d delivered, %d kept, %d dropped",
            result.delivered,
            result.kept,
            result.dropped,
        )


def _quit_mode(ctx: Any) -> None:
    """No retries and no waiting on a rate limit: the deadline leaves no time for them."""
    try:
        client = ctx.client
    except Exception:
        return
    if client is not None:
        client.max_retries = 0
        client.max_rate_limit_retries = 0


def played_item(media: MediaRef, title: str = "") -> Any:
    """The mirror's key for a MediaRef (None when the Trakt ids needed are unknown). ``title``
    labels a movie's new bookmark (an episode's comes from the mirror's show)."""
    from resources.lib.database.trakt_sync.local_changes import PlayedItem

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


def _message(key: str) -> str:
    from resources.lib.kodi import strings
    from resources.lib.kodi.localize import localize

    ids = {"placeholder": strings.PLACEHOLDER_CLIP, "placeholder_retry": strings.PLACEHOLDER_RETRY}
    return localize(ids[key]) if key in ids else key


__all__ = ["FLUSH_MIN_INTERVAL", "OUTBOX_FILENAME", "PlaybackScrobbling", "QUIT_SEND_SECONDS",
           "played_item"]  # fmt: skip
