"""Playback on the Kodi side: the resolved ListItem, the source select, the hand-off, and the
player monitor that scrobbles inside the service.

Plugin side (one short-lived interpreter per play): :func:`build_resolved_item`,
:func:`select_stream`, :func:`publish_now_playing` and :class:`Resolver` (exactly one
``setResolvedUrl`` per handle).

Service side: :class:`PlayerMonitor` is the ``xbmc.Player`` subclass. Kodi calls its callbacks on
its own thread; they only queue events. :class:`ScrobbleWorker` (a daemon thread) samples
``getTime()``/``getTotalTime()`` about once a second while something of ours plays, feeds the
pure :class:`~resources.lib.scrobble.state.Scrobbler`, sends its actions to Trakt, updates the
mirror at once (``local_changes``), flushes the outbox when asked, and handles placeholder clips.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import xbmc
import xbmcgui
import xbmcplugin

from resources.lib.scrobble.inflight import INFLIGHT_FILENAME, InflightJournal
from resources.lib.scrobble.media import NOW_PLAYING_PROPERTY, MediaRef, NowPlaying
from resources.lib.scrobble.resume import PLACEHOLDER_SECONDS, progress_percent, seek_target
from resources.lib.scrobble.state import FAILED, PAUSE, START, STOP, Action, Scrobbler

log = logging.getLogger(__name__)

HOME_WINDOW_ID = 10000
RETRY_PROPERTY = "aiostreams.play_retry"
OUTBOX_FILENAME = "scrobble_outbox.json"
SAMPLE_SECONDS = 1.0
SETTLE_SECONDS = 1.5
FLUSH_MIN_INTERVAL = 60.0
# Kodi gives its services about 2 s after System.OnQuit: the pause that saves the user's place
# gets this long on the network, then it goes to the outbox (the next start sends it).
QUIT_SEND_SECONDS = 1.5
QUIT_JOIN_SECONDS = 2.0
EXCLUDE_PROPERTY = "script.trakt.exclude"


# =============================================================================== plugin side


class Resolver:
    """Answers Kodi's resolve request for one handle exactly once.

    ``succeed`` / ``fail`` after the first answer are ignored with a warning: calling
    ``setResolvedUrl`` twice on one handle confuses Kodi's player.
    """

    def __init__(self, handle: int) -> None:
        self.handle = handle
        self.answered: Optional[bool] = None

    def succeed(self, listitem: Any) -> None:
        self._answer(True, listitem)

    def fail(self) -> None:
        self._answer(False, xbmcgui.ListItem(offscreen=True))

    def _answer(self, ok: bool, listitem: Any) -> None:
        if self.answered is not None:
            log.warning("setResolvedUrl already called for handle %d; ignored", self.handle)
            return
        self.answered = ok
        if self.handle >= 0:
            xbmcplugin.setResolvedUrl(self.handle, ok, listitem)


@dataclass
class PlaybackInfo:
    """Metadata for the resolved item (all optional but ``path``)."""

    path: str
    mime_type: str = "video/mp4"
    subtitles: List[str] = field(default_factory=list)
    mediatype: str = ""
    title: str = ""
    tvshowtitle: str = ""
    season: Optional[int] = None
    episode: Optional[int] = None
    unique_ids: Dict[str, str] = field(default_factory=dict)
    resume_seconds: float = 0.0
    total_seconds: float = 0.0


def _default_id(ids: Dict[str, str]) -> str:
    for key in ("imdb", "tmdb", "trakt", "tvdb"):
        if ids.get(key):
            return key
    return ""


def build_resolved_item(info: PlaybackInfo) -> Any:
    """The ListItem handed to ``setResolvedUrl``: mime type, no content lookup (debrid links
    refuse HEAD), subtitles, ids, titles and the resume point (Kodi 20 tag or 19 properties)."""
    item = xbmcgui.ListItem(label=info.title, path=info.path, offscreen=True)
    item.setMimeType(info.mime_type)
    item.setContentLookup(False)
    if info.subtitles:
        item.setSubtitles(list(info.subtitles))
    item.setProperty(EXCLUDE_PROPERTY, "true")
    tag = None
    getter = getattr(item, "getVideoInfoTag", None)
    if getter is not None:
        try:
            tag = getter()
        except Exception:  # some Kodi 19 builds raise here
            tag = None
    if tag is not None and hasattr(tag, "setResumePoint") and hasattr(tag, "setUniqueIDs"):
        tag.setTitle(info.title)
        if info.mediatype:
            tag.setMediaType(info.mediatype)
        if info.tvshowtitle:
            tag.setTvShowTitle(info.tvshowtitle)
        if info.season is not None:
            tag.setSeason(int(info.season))
        if info.episode is not None:
            tag.setEpisode(int(info.episode))
        if info.unique_ids:
            tag.setUniqueIDs(dict(info.unique_ids), _default_id(info.unique_ids))
        if info.resume_seconds > 0:
            tag.setResumePoint(float(info.resume_seconds), float(info.total_seconds))
    else:
        labels: Dict[str, Any] = {"title": info.title}
        if info.mediatype:
            labels["mediatype"] = info.mediatype
        if info.tvshowtitle:
            labels["tvshowtitle"] = info.tvshowtitle
        if info.season is not None:
            labels["season"] = int(info.season)
        if info.episode is not None:
            labels["episode"] = int(info.episode)
        item.setInfo("video", labels)
        if info.unique_ids:
            item.setUniqueIDs(dict(info.unique_ids))
        if info.resume_seconds > 0:
            item.setProperty("ResumeTime", str(float(info.resume_seconds)))
            item.setProperty("TotalTime", str(float(info.total_seconds)))
    return item


def select_stream(heading: str, rows: Sequence[Tuple[str, str]]) -> int:
    """A source select with two lines per stream; the chosen index or -1 (cancelled)."""
    items = []
    for label, label2 in rows:
        items.append(xbmcgui.ListItem(label=label, label2=label2, offscreen=True))
    return int(xbmcgui.Dialog().select(heading, items, useDetails=True))


def close_busy_dialogs() -> None:
    """Close Kodi's busy spinners (shown while a plugin resolves) before an error dialog: a
    modal dialog opened under them cannot be seen or answered."""
    for dialog in ("busydialog", "busydialognocancel"):
        xbmc.executebuiltin(f"Dialog.Close({dialog},true)")


def publish_now_playing(now_playing: NowPlaying, retry_url: str = "") -> None:
    """Hand what is about to play to the service (and the one-time retry URL, if any)."""
    home = xbmcgui.Window(HOME_WINDOW_ID)
    home.setProperty(NOW_PLAYING_PROPERTY, now_playing.to_json())
    if retry_url:
        home.setProperty(RETRY_PROPERTY, json.dumps({"url": retry_url, "path": now_playing.path}))
    else:
        home.clearProperty(RETRY_PROPERTY)


# ============================================================================== service side


class PlayerMonitor(xbmc.Player):
    """Kodi's player callbacks, turned into events for the worker (no work on Kodi's thread)."""

    def __init__(self, post: Callable[..., None]) -> None:
        super().__init__()
        self._post = post

    def onAVStarted(self) -> None:  # noqa: N802 (Kodi's names)
        self._post("av_started")

    def onPlayBackPaused(self) -> None:  # noqa: N802
        self._post("paused")

    def onPlayBackResumed(self) -> None:  # noqa: N802
        self._post("resumed")

    def onPlayBackSeek(self, time_ms: int, seek_offset: int) -> None:  # noqa: N802
        self._post("seek", float(time_ms) / 1000.0)

    def onPlayBackStopped(self) -> None:  # noqa: N802
        self._post("stopped")

    def onPlayBackEnded(self) -> None:  # noqa: N802
        self._post("ended")

    def onPlayBackError(self) -> None:  # noqa: N802
        self._post("error")


class KodiPlayback:
    """The Kodi calls the worker needs, in one replaceable object (tests pass a fake)."""

    def __init__(self, player: Any = None) -> None:
        self.player = player if player is not None else xbmc.Player()

    def sample(self) -> Optional[Tuple[float, float]]:
        """``(time, total)`` in seconds while a video plays, else None (never raises)."""
        try:
            if not self.player.isPlayingVideo():
                return None
            return float(self.player.getTime()), float(self.player.getTotalTime())
        except Exception:  # stopped between the check and the call
            return None

    def playing_file(self) -> str:
        try:
            return str(self.player.getPlayingFile())
        except Exception:
            return ""

    def stop(self) -> None:
        try:
            self.player.stop()
        except Exception:
            log.debug("Player.stop failed", exc_info=True)

    def seek(self, seconds: float) -> None:
        try:
            self.player.seekTime(float(seconds))
        except Exception:
            log.debug("Player.seekTime failed", exc_info=True)

    def get_property(self, name: str) -> str:
        return xbmcgui.Window(HOME_WINDOW_ID).getProperty(name)

    def clear_property(self, name: str) -> None:
        xbmcgui.Window(HOME_WINDOW_ID).clearProperty(name)

    def play_url(self, url: str) -> None:
        xbmc.executebuiltin(f"PlayMedia({url})")

    def notify(self, message: str) -> None:
        from resources.lib.kodi import dialogs

        dialogs.notification(message, icon=dialogs.WARNING, time_ms=7000)


@dataclass
class Session:
    """One playback of one of our items."""

    now_playing: NowPlaying
    scrobbler: Scrobbler
    started_mono: float
    settled: bool = False
    total: float = 0.0
    last_time: float = 0.0
    resume_pending: bool = False  # seek to now_playing.resume_percent once the length is known


class ScrobbleWorker:
    """The thread that scrobbles. ``post(kind, value)`` is safe from any thread.

    ``send`` is ``(media, action) -> status`` (the Trakt call, with outbox); ``record_local``
    is ``(media, action) -> None`` (the mirror); ``flush`` sends the outbox. They are injected
    so tests run the whole thing without Kodi, Trakt or a database.
    """

    def __init__(
        self,
        send: Callable[[MediaRef, Action], str],
        record_local: Callable[[MediaRef, Action], None],
        flush: Callable[[], None],
        playback: Optional[KodiPlayback] = None,
        placeholder_seconds: Callable[[], float] = lambda: PLACEHOLDER_SECONDS,
        messages: Optional[Callable[[str], str]] = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        settle_seconds: float = SETTLE_SECONDS,
        journal: Optional[InflightJournal] = None,
    ) -> None:
        self._send = send
        self._record_local = record_local
        self._flush = flush
        self.playback = playback if playback is not None else KodiPlayback()
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
            # getTime() raises after a stop: the last sample taken while playing is used.
            scrobbler = session.scrobbler
            handler = {"stopped": scrobbler.stopped, "ended": scrobbler.ended}.get(
                kind, scrobbler.error
            )
            self._emit(session, handler())
            self._end_session()

    def _av_started(self) -> None:
        if self.session is not None:
            self._end_session()
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

    def _sample(self, session: Session) -> None:
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
        log.info("resuming at %.1f%% of %.0f s: seeking to %.0f s",
                 session.now_playing.seek_percent, session.total, target)  # fmt: skip
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
                log.info("quit during playback: %s %.2f%% %s in %.2f s",
                         kind, progress, status, self._mono() - started)  # fmt: skip
            self._end_session()
        self.quit_done.set()

    def _seek(self, session: Session, seconds: Any) -> None:
        if not session.settled:
            return  # the resume seek: the settle sample picks up where it landed
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


# ------------------------------------------------------------------- wiring in the service


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


__all__ = [
    "KodiPlayback",
    "PlaybackInfo",
    "PlaybackScrobbling",
    "PlayerMonitor",
    "Resolver",
    "ScrobbleWorker",
    "build_resolved_item",
    "close_busy_dialogs",
    "played_item",
    "publish_now_playing",
    "select_stream",
]
