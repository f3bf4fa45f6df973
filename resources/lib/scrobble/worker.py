"""The scrobble worker: player events become scrobbles, on one thread of the service (no Kodi).

The Kodi front end (``kodi.scrobble_worker``) turns Kodi's player callbacks into
:meth:`ScrobbleWorker.post` events and gives the worker a :class:`Playback` for the player
calls. :class:`ScrobbleWorker` (a daemon thread) samples the position about once a second while
something of ours plays, feeds the pure :class:`~resources.lib.scrobble.state.Scrobbler`, sends
its actions to Trakt, updates the mirror at once (``local_changes``), keeps the unsaved progress
in the in-flight journal, seeks to the saved percentage when the list item had no runtime,
handles placeholder clips, and on quit saves a running playback's progress with a pause.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from typing import Any, Callable, List, Optional, Tuple

from ..constants import PLAY_RETRY_PROPERTY as RETRY_PROPERTY
from .inflight import InflightJournal
from .media import NOW_PLAYING_PROPERTY, MediaRef, NowPlaying
from .resume import PLACEHOLDER_SECONDS, progress_percent, seek_target
from .session import Playback, Session
from .state import FAILED, PAUSE, START, STOP, Action, Scrobbler

log = logging.getLogger(__name__)

SAMPLE_SECONDS = 1.0
SETTLE_SECONDS = 1.5
# Kodi gives its services about 2 s after System.OnQuit: the worker's thread gets this long to
# save a running playback's progress before the service stops waiting for it.
QUIT_JOIN_SECONDS = 2.0


class ScrobbleWorker:
    """The thread that scrobbles. ``post(kind, value)`` is safe from any thread.

    ``send`` is ``(media, action) -> status`` (the Trakt call, with outbox); ``record_local``
    is ``(media, action) -> None`` (the mirror); ``flush`` sends the outbox; ``playback`` is
    the player (:class:`Playback`; Kodi's is ``kodi.scrobble_worker.KodiPlayback``). They are
    injected so tests run the whole thing without Kodi, Trakt or a database.
    """

    def __init__(
        self,
        send: Callable[[MediaRef, Action], str],
        record_local: Callable[[MediaRef, Action], None],
        flush: Callable[[], None],
        playback: Optional[Playback] = None,
        placeholder_seconds: Callable[[], float] = lambda: PLACEHOLDER_SECONDS,
        messages: Optional[Callable[[str], str]] = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        settle_seconds: float = SETTLE_SECONDS,
        journal: Optional[InflightJournal] = None,
        on_playback_end: Callable[[], None] = lambda: None,
    ) -> None:
        self._send = send
        self._on_playback_end = on_playback_end
        self._record_local = record_local
        self._flush = flush
        if playback is None:
            raise ValueError("the worker needs the player's calls (a Playback)")
        self.playback = playback
        self._placeholder_seconds = placeholder_seconds
        self._messages = messages or (lambda key: key)
        self._clock = clock
        self._mono = monotonic
        self.settle_seconds = settle_seconds
        self._events: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.session: Optional[Session] = None
        self.sent: List[Tuple[str, float, str]] = []
        self.journal = journal if journal is not None else InflightJournal(None)
        self.quit_done = threading.Event()
        self._quit_requested = False
        # The session was opened by replacing one whose end Kodi had not reported (yet).
        self._late_end_owed = False

    # -- thread ---------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="aiostreams-scrobble", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        self._events.put(("wake", None))
        if self._thread is not None:
            self._thread.join(timeout)

    def post(self, kind: str, value: Any = None) -> None:
        self._events.put((kind, value))

    def request_quit(self) -> None:
        """Queue the quit once (from ``System.OnQuit``; :meth:`quit` then waits for it)."""
        if not self._quit_requested:
            self._quit_requested = True
            self.post("quit")

    def quit(self, join_seconds: float = QUIT_JOIN_SECONDS) -> bool:
        """Kodi is shutting down: the thread handles what is queued (a stop Kodi reported as it
        closed the player), saves a running playback's progress with a pause, and ends.
        True when that finished in time."""
        self.request_quit()
        if self._thread is None:  # never started (tests): handle it on this thread
            self._drain()
        elif self._thread.is_alive():
            self._thread.join(join_seconds)
        return self.quit_done.is_set()

    def _drain(self) -> None:
        while True:
            try:
                kind, value = self._events.get_nowait()
            except queue.Empty:
                return
            try:
                self.handle(kind, value)
            except Exception:
                log.exception("scrobble worker: event %s failed", kind)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                kind, value = self._events.get(timeout=SAMPLE_SECONDS)
            except queue.Empty:
                kind, value = "sample", None
            try:
                self.handle(kind, value)
            except Exception:  # the worker must outlive any bug in one event
                log.exception("scrobble worker: event %s failed", kind)

    # -- events (public for tests: they run on the caller's thread) ----------------------------
    def handle(self, kind: str, value: Any = None) -> None:
        if kind == "wake":
            return
        if kind == "quit":
            self._quit()
            return
        if kind == "flush":
            if not self._stop.is_set():
                self._flush()
            return
        if kind == "av_started":
            self._av_started()
            return
        session = self.session
        if session is None:
            return
        if kind == "sample":
            self._sample(session)
        elif kind == "paused":
            self._sample(session)
            self._emit(session, session.scrobbler.paused())
        elif kind == "resumed":
            self._emit(session, session.scrobbler.resumed())
        elif kind == "seek":
            self._seek(session, value)
        elif kind in ("stopped", "ended", "error"):
            if self._late_report(session):
                return
            # getTime() raises after a stop: the last sample taken while playing is used.
            scrobbler = session.scrobbler
            handler = {"stopped": scrobbler.stopped, "ended": scrobbler.ended}.get(
                kind, scrobbler.error
            )
            self._emit(session, handler())
            self._end_session()
            if kind != "error":
                self._on_playback_end()  # watched state and Next Up changed: e.g. widgets reload

    def _av_started(self) -> None:
        self._late_end_owed = self.session is not None
        if self.session is not None:
            self._replaced(self.session)
        now_playing = NowPlaying.from_json(self.playback.get_property(NOW_PLAYING_PROPERTY))
        if now_playing is None:
            log.debug("playback started, not ours")
            return
        playing = self.playback.playing_file()
        if playing and not now_playing.matches(playing):
            log.info("playback started, not the item we resolved: not scrobbled")
            return
        scrobbler = Scrobbler(
            expected_runtime_minutes=now_playing.runtime_minutes,
            placeholder_seconds=self._placeholder_seconds(),
            clock=self._clock,
        )
        self.session = Session(now_playing, scrobbler, self._mono())
        self.session.resume_pending = now_playing.seek_percent >= 1.0
        log.info("playback of %s started: scrobbling", now_playing.media.kind)
        sample = self.playback.sample()
        if sample is not None:
            self.session.last_time, self.session.total = sample
            self._resume_seek(self.session)
            # The duration is known at once: a placeholder clip is caught before it ends. No
            # start yet (progress 0): that waits until the resume seek has settled.
            self._emit(self.session, scrobbler.av_started(None, sample[1]))

    def _replaced(self, session: Session) -> None:
        """A new item started while ``session`` was open: Kodi does not always report a stop
        when one item replaces another (Up Next, PlayMedia), so the old item's stop goes out
        here, with its last sample, through :meth:`_emit` (mirror and outbox see it). A stop
        already reported ended the session, and ``stopped()`` of a finished scrobbler is empty:
        the stop is sent once either way."""
        log.info(
            "a new playback replaced %s: stopping its scrobble", session.now_playing.media.kind
        )
        self._emit(session, session.scrobbler.stopped())
        self._end_session()
        self._on_playback_end()  # watched state and Next Up changed, as after a reported stop

    def _late_report(self, session: Session) -> bool:
        """Is this stop / end the replaced item's, reported after the new item's start?

        Kodi may report the old item's end before or after the new item's ``onAVStarted``.
        After, it must not end the new session (whose start and stop would then never reach
        Trakt); the old item's stop already went out in :meth:`_replaced`. The rule: once per
        replacement, a stop / end that arrives while Kodi still plays this session's own file
        is that late report, and is ignored. A real stop of this item finds Kodi playing
        nothing (or something else), so it is handled as usual; so is any later report."""
        if not self._late_end_owed:
            return False
        self._late_end_owed = False
        playing = self.playback.playing_file()
        if not playing or not session.now_playing.matches(playing):
            return False
        log.info("the replaced item's end, reported late: the new playback goes on")
        return True

    def _plays_elsewhere(self, session: Session) -> bool:
        """Kodi already plays another file (the next item, whose start event is still queued):
        its position and seeks are not this session's."""
        playing = self.playback.playing_file()
        return bool(playing) and not session.now_playing.matches(playing)

    def _sample(self, session: Session) -> None:
        if self._plays_elsewhere(session):
            return
        sample = self.playback.sample()
        if sample is None:
            return
        session.last_time, session.total = sample
        scrobbler = session.scrobbler
        if self._resume_seek(session):
            return
        if not session.settled:
            if self._mono() - session.started_mono < self.settle_seconds:
                return
            session.settled = True
            progress = progress_percent(sample[0], sample[1])
            self._emit(session, scrobbler.av_started(progress, sample[1]))
            return
        self._emit(session, scrobbler.tick(sample[0], sample[1]))
        unsaved = scrobbler.unsaved_progress
        if unsaved is not None and self.journal.due(unsaved, self._mono()):
            self.journal.record(session.now_playing.media, unsaved, self._clock(), self._mono())

    def _resume_seek(self, session: Session) -> bool:
        """The list item had no runtime, so Kodi started at 0: now that the length is known,
        seek to the saved percentage (the settle sample then picks up where it landed)."""
        if not session.resume_pending or not session.total or session.scrobbler.state == "failed":
            return False
        session.resume_pending = False
        target = seek_target(session.now_playing.seek_percent, session.total)
        if target <= 0 or session.last_time >= target - 5.0:
            return False
        log.info(
            "resuming at %.1f%% of %.0f s: seeking to %.0f s",
            session.now_playing.seek_percent,
            session.total,
            target,
        )
        self.playback.seek(target)
        session.last_time = target
        session.settled = False
        session.started_mono = self._mono()
        return True

    def _quit(self) -> None:
        """Handle what Kodi queued while closing, then save a running playback's progress."""
        started = self._mono()
        self._stop.set()
        self._drain()
        session = self.session
        if session is not None:
            before = len(self.sent)
            self._emit(session, session.scrobbler.quit())
            for kind, progress, status in self.sent[before:]:
                log.info(
                    "quit during playback: %s %.2f%% %s in %.2f s",
                    kind,
                    progress,
                    status,
                    self._mono() - started,
                )
            self._end_session()
        self.quit_done.set()

    def _seek(self, session: Session, seconds: Any) -> None:
        if not session.settled:
            return  # the resume seek: the settle sample picks up where it landed
        if self._plays_elsewhere(session):
            return
        total = session.total
        if not total:
            return
        try:
            progress = progress_percent(float(seconds), total)
        except (TypeError, ValueError):
            return
        session.last_time = float(seconds)
        scrobbler = session.scrobbler
        if scrobbler.state == "playing":
            scrobbler.start_sent = False  # a seek re-announces the new position with a start
        self._emit(session, scrobbler.seek(progress))

    def _emit(self, session: Session, actions: List[Action]) -> None:
        for action in actions:
            if action.kind == FAILED:
                self._placeholder(session)
                continue
            media = session.now_playing.media
            status = self._send(media, action)
            self.sent.append((action.kind, action.progress, status))
            log.info("scrobble %s %.1f%%: %s", action.kind, action.progress, status)
            if action.kind == START:
                # From now on Trakt has no saved progress for this item: keep it on disk.
                self.journal.record(media, action.progress, action.at, self._mono())
            elif action.kind in (STOP, PAUSE):
                self.journal.clear()  # sent, or queued in the outbox: saved either way
            if action.kind in (STOP, PAUSE) and status != "dropped":
                try:
                    self._record_local(media, action, getattr(session.now_playing, "title", ""))
                except Exception:
                    log.exception("could not update the mirror locally")

    def _placeholder(self, session: Session) -> None:
        log.warning(
            "placeholder clip detected (%.1f s): stopping it, nothing is scrobbled", session.total
        )
        self.playback.stop()
        retry = self.playback.get_property(RETRY_PROPERTY)
        self.playback.clear_property(RETRY_PROPERTY)
        self._end_session()
        url = ""
        try:
            data = json.loads(retry) if retry else {}
            if data.get("path") == session.now_playing.path:
                url = str(data.get("url") or "")
        except (ValueError, AttributeError):
            url = ""
        if url:
            self.playback.notify(self._messages("placeholder_retry"))
            log.info("trying the next stream once")
            self.playback.play_url(url)
        else:
            self.playback.notify(self._messages("placeholder"))

    def _end_session(self) -> None:
        """Forget the session; clear the hand-off unless a newer play already replaced it."""
        session, self.session = self.session, None
        if session is None:
            return
        self.journal.clear()  # this process saw the end: nothing left to recover
        current = NowPlaying.from_json(self.playback.get_property(NOW_PLAYING_PROPERTY))
        if current is None or current.created_at == session.now_playing.created_at:
            self.playback.clear_property(NOW_PLAYING_PROPERTY)


__all__ = [
    "QUIT_JOIN_SECONDS",
    "RETRY_PROPERTY",
    "SAMPLE_SECONDS",
    "SETTLE_SECONDS",
    "Playback",
    "ScrobbleWorker",
    "Session",
]
