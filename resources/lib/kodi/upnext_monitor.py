"""Up Next in the service: offer the next episode near the end of one of ours, and play it.

The service starts one :class:`UpNextMonitor` next to the scrobbling; the same
:class:`~.scrobble_worker.PlayerMonitor` posts Kodi's player callbacks to both. Its thread polls
the player every quarter second, and only while one of our episodes plays (the plugin's
``NowPlaying`` hand-off, kind episode):

1. on AV start: the mirror's ``next_episode_after`` (none: nothing more happens), then at once,
   on a thread of its own, the next episode's streams (one AIOStreams request) for the play
   route, in the Home window property ``aiostreams.upnext.prepared``;
2. at the due position (:class:`~resources.lib.upnext.timing.UpNextClock`; a seek into the last
   seconds cancels it): the hand-off to service.upnext (setting on and that add-on installed),
   or our dialog;
3. Play now, or the countdown's end in mode auto: ``PlayMedia`` of the next episode's play URL;
   Stop: ``Player.stop()`` and nothing more plays; mode ask: the countdown's end closes.

``aiostreams.upnext.active`` is "true" while the dialog is open and until the next episode it
started (or handed to service.upnext) plays, or the grace period is over: the rating prompt stays
away meanwhile. The prepared list (every stream URL of the next episode) is cleared as soon as we
will not play the next episode: Stop, mode ask's countdown end, the episode stopped or ended with
no next start awaited, the grace period over, or the service stopping. The INFO lines
``Up Next due``, ``dialog open``, ``choice`` and ``next episode playing`` time the budgets from
kodi.log.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple

from resources.lib.constants import UPNEXT_ACTIVE_PROPERTY
from resources.lib.kodi import upnext_dialog as choices
from resources.lib.kodi.settings import Settings, load_settings
from resources.lib.kodi.upnext_episode import current_episode, next_play_url, stremio_id_of
from resources.lib.kodi.upnext_kodi import SERVICE_UPNEXT, KodiUpNext, cached_thumb
from resources.lib.kodi.window import NOW_PLAYING_PROPERTY, UPNEXT_PREPARED_PROPERTY
from resources.lib.scrobble.media import NowPlaying
from resources.lib.upnext.timing import OFF, UpNextClock, UpNextTiming, mode_or_default

log = logging.getLogger(__name__)

ACTIVE_PROPERTY = UPNEXT_ACTIVE_PROPERTY

POLL_SECONDS = 0.25
PREPARE_TIMEOUT = 30.0
# Without the next episode's AV start this long after PlayMedia (or after the end of the episode
# handed to service.upnext), "active" and the prepared list are cleared anyway.
NEXT_START_GRACE = 60.0


@dataclass
class _Session:
    """One playback of one of our episodes that has a next episode."""

    now_playing: NowPlaying
    next_episode: Any  # database.trakt_sync.next_episode_rule.NextEpisode
    url: str
    stremio_id: str
    settings: Settings
    clock: Optional[UpNextClock] = None
    prepared: Any = None  # PreparedStreams, once fetched
    prepare_failed: bool = False
    last: Tuple[float, float] = (0.0, 0.0)


def timing_of(settings: Settings) -> UpNextTiming:
    return UpNextTiming(
        trigger=settings.upnext_trigger,
        seconds_before_end=int(settings.upnext_seconds),
        percent=int(settings.upnext_percent),
    )


class UpNextMonitor:
    """The service's Up Next thread. ``post`` takes the player callbacks (any thread)."""

    def __init__(
        self,
        context_factory: Callable[[], Any],
        kodi: Optional[KodiUpNext] = None,
        settings_loader: Callable[[], Settings] = load_settings,
        client_factory: Optional[Callable[..., Any]] = None,
        background: bool = True,
    ) -> None:
        self._context_factory = context_factory
        self.kodi = kodi if kodi is not None else KodiUpNext()
        self._load_settings = settings_loader
        self._client_factory = client_factory
        self._background = background  # False in tests: prepare runs inline
        self._events: Any = queue.Queue()  # (kind, value) from the player callbacks
        self._held: List[Tuple[str, Any]] = []
        self._stopping = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._ctx: Any = None
        self.session: Optional[_Session] = None
        # Monotonic time of our PlayMedia (a hand-off: of the episode's expected end).
        self.awaiting_next: Optional[float] = None
        self._late_end_owed = False  # see _late_report
        self.last_choice = ""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="AIOStreams-UpNext", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.kodi.clear_property(ACTIVE_PROPERTY)
        self.kodi.clear_property(UPNEXT_PREPARED_PROPERTY)
        if self._ctx is not None:
            self._ctx.close()
            self._ctx = None

    def post(self, kind: str, value: Any = None) -> None:
        self._events.put((kind, value))

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.step()
            except Exception:  # one bad step must never end Up Next
                log.exception("Up Next step failed")
                self.session = None
            # A plain wait: the service's own loop waits in waitForAbort, where Kodi delivers the
            # player's callbacks (and the dialog's, which runs with kodi.wait while it is open).
            if self._stopping.wait(POLL_SECONDS) or self.kodi.abort_requested():
                break

    def step(self) -> None:
        """Handle the queued player events, then sample the player once (tests call this)."""
        for kind, value in self._drain():
            self.handle(kind, value)
        self.poll()

    def _drain(self) -> List[Tuple[str, Any]]:
        events, self._held = self._held, []
        while True:
            try:
                events.append(self._events.get_nowait())
            except queue.Empty:
                return events

    # --------------------------------------------------------------------- events

    def handle(self, kind: str, value: Any = None) -> None:
        if kind == "av_started":
            self._av_started()
        elif kind == "seek" and self.session is not None and self.session.clock is not None:
            self.session.clock.seeked(float(value))
        elif kind in ("stopped", "ended", "error") and not self._late_report():
            self.session = None
            if self.awaiting_next is None:  # nothing of ours will play the next episode now
                self.kodi.clear_property(UPNEXT_PREPARED_PROPERTY)

    def _late_report(self) -> bool:
        """The previous episode's stop / end, reported after the next one's AV start? (The
        scrobble worker's rule: once per replacement, a report while Kodi still plays the
        session's own file is that late report; a real stop finds Kodi playing nothing.)"""
        owed, self._late_end_owed = self._late_end_owed, False
        session = self.session
        if not owed or session is None:
            return False
        playing = self.kodi.playing_file()
        return bool(playing) and session.now_playing.matches(playing)

    def _av_started(self) -> None:
        self._late_end_owed = self.session is not None  # its end may not be reported yet
        self.session = None
        if self.awaiting_next is not None:
            log.info("Up Next: next episode playing %.2f s after the choice",
                     time.monotonic() - self.awaiting_next)  # fmt: skip
            self.awaiting_next = None
            self.kodi.clear_property(ACTIVE_PROPERTY)
        settings = self._load_settings()
        if mode_or_default(settings.upnext_mode) == OFF:
            return
        now_playing = NowPlaying.from_json(self.kodi.get_property(NOW_PLAYING_PROPERTY))
        if now_playing is None or now_playing.media.kind != "episode":
            return  # not ours, or a movie
        playing = self.kodi.playing_file()
        if playing and not now_playing.matches(playing):
            return
        media = now_playing.media
        show_id = media.show_ids.get("trakt")
        if not show_id or media.season is None or media.number is None:
            log.debug("Up Next: the episode has no Trakt show id")
            return
        found = self._context().db.next_episode_after(int(show_id), media.season, media.number)
        if found is None:
            log.info("Up Next: no next episode after %sx%s", media.season, media.number)
            return
        self.session = _Session(now_playing, found, next_play_url(found), stremio_id_of(found),
                                settings)  # fmt: skip
        log.info("Up Next: next is %sx%s", found.season, found.number)
        if self.session.stremio_id and settings.aiostreams_manifest_url.strip():
            self._start_prepare(self.session)

    def _context(self) -> Any:
        if self._ctx is None:
            self._ctx = self._context_factory()
        return self._ctx

    # ------------------------------------------------------------- the streams

    def _start_prepare(self, session: _Session) -> None:
        if not self._background:
            self._prepare(session)
            return
        threading.Thread(target=self._prepare, args=(session,), name="AIOStreams-UpNext-prepare",
                         daemon=True).start()  # fmt: skip

    def _prepare(self, session: _Session) -> None:
        """One AIOStreams request for the next episode; the answer goes to the play route."""
        from resources.lib.aiostreams.errors import AIOStreamsError
        from resources.lib.plugin.play import preferences
        from resources.lib.upnext.prepared import prepare
        from resources.lib.upnext.streams import StreamTraits

        factory = self._client_factory
        if factory is None:
            from resources.lib.aiostreams.client import AIOStreamsClient

            factory = AIOStreamsClient
        settings = session.settings
        started = time.monotonic()
        try:
            client = factory(settings.aiostreams_manifest_url.strip(), timeout=PREPARE_TIMEOUT,
                             max_retries=0, should_abort=self._stopping.is_set)  # fmt: skip
            traits = StreamTraits.from_dict(getattr(session.now_playing, "traits", None) or {})
            prepared = prepare(client, "series", session.stremio_id, traits, preferences(settings))
        except AIOStreamsError as exc:
            session.prepare_failed = True
            log.warning("Up Next: the next episode's streams failed: %s", getattr(exc, "code", ""))
            return
        except Exception:
            session.prepare_failed = True
            log.warning("Up Next: the next episode's streams failed", exc_info=True)
            return
        if self.session is not session:  # stopped (or replaced) meanwhile: nothing to hand on
            return
        self.kodi.set_property(UPNEXT_PREPARED_PROPERTY, prepared.to_json())
        session.prepared = prepared
        log.info("Up Next: %d streams ready in %.2f s (preferred: %s)", len(prepared.streams_raw),
                 time.monotonic() - started, "yes" if prepared.preferred_key else "no")  # fmt: skip

    def nothing_playable(self, session: _Session) -> bool:
        """Known to have nothing the play route would offer (the dialog then says so)."""
        if session.prepare_failed:
            return True
        if session.prepared is None:
            return False  # not answered yet: the play route asks itself
        from resources.lib.aiostreams.ranking import offered_streams
        from resources.lib.plugin.play import preferences

        streams = session.prepared.stream_list().streams
        return not offered_streams(streams, preferences(session.settings))

    # ------------------------------------------------------------------ polling

    def poll(self) -> None:
        if (
            self.awaiting_next is not None
            and time.monotonic() - self.awaiting_next > NEXT_START_GRACE
        ):
            self.awaiting_next = None
            self.kodi.clear_property(ACTIVE_PROPERTY)
            self.kodi.clear_property(UPNEXT_PREPARED_PROPERTY)
        session = self.session
        if session is None:
            return
        sample = self.kodi.sample()
        if sample is None:
            return
        session.last = sample
        position, total = sample
        if session.clock is None:
            if total <= 0:
                return  # the length is not known yet
            session.clock = UpNextClock(total, timing_of(session.settings))
        if session.clock.observe(position):
            log.info("Up Next due at %.2f s of %.2f s", position, total)
            self._offer(session, time.monotonic())

    def _offer(self, session: _Session, due_at: float) -> None:
        settings = session.settings
        if settings.upnext_use_service_upnext and self.kodi.has_addon(SERVICE_UPNEXT):
            self._hand_off(session)
            return
        episode = session.next_episode
        offer = choices.UpNextOffer(
            show_title=episode.show_title,
            season=episode.season,
            number=episode.number,
            title=episode.title,
            thumb=self._thumb(episode),
            auto=mode_or_default(settings.upnext_mode) != "ask",
            nothing_playable=self.nothing_playable(session),
        )
        self.kodi.set_property(ACTIVE_PROPERTY, "true")

        def opened() -> None:
            log.info("Up Next dialog open %.2f s after due", time.monotonic() - due_at)

        choice = self.kodi.run_dialog(offer, lambda: self._status(session), opened)
        self._act(session, choice)

    def _status(self, session: _Session) -> Tuple[str, float]:
        """The playback as the open dialog sees it: playing (seconds left), ended or stopped."""
        if self._stopping.is_set():  # the service is stopping (Kodi quits): close, play nothing
            return (choices.STOPPED, 0.0)
        for kind, value in self._drain():
            if kind in ("ended", "stopped", "error", "av_started"):
                self._held.append((kind, value))  # handled once the dialog has closed
                return (choices.ENDED if kind == "ended" else choices.STOPPED, 0.0)
        sample = self.kodi.sample()
        if sample is None:
            position, total = session.last
            # Gone without its callback yet: at its end it ended, anywhere else it was stopped.
            ended = total > 0 and total - position <= 2.0
            return (choices.ENDED if ended else choices.STOPPED, 0.0)
        session.last = sample
        return (choices.PLAYING, max(0.0, sample[1] - sample[0]))

    def _act(self, session: _Session, choice: str) -> None:
        self.last_choice = choice
        log.info("Up Next choice: %s", choice)
        if choice in choices.PLAYS_NEXT:
            url = (
                next_play_url(session.next_episode, select=1)
                if choice == choices.SELECT
                else session.url
            )
            self.awaiting_next = time.monotonic()
            self.kodi.play_url(url)
            return
        self.kodi.clear_property(ACTIVE_PROPERTY)
        if choice in (choices.STOP, choices.TIMEOUT_CLOSE):  # the next episode will not play
            self.kodi.clear_property(UPNEXT_PREPARED_PROPERTY)
        if choice == choices.STOP:
            self.session = None
            self.kodi.stop()

    def _hand_off(self, session: _Session) -> None:
        """service.upnext shows its own popup now and plays our URL (its documented signal)."""
        from resources.lib.upnext import signal

        position, total = session.last
        episode = session.next_episode
        following = dict(dataclasses.asdict(episode), art={"thumb": self._thumb(episode)})
        current = current_episode(session.now_playing, episode)
        data = signal.upnext_data(current, following, session.url,
                                  notification_time=max(1.0, total - position))  # fmt: skip
        # service.upnext plays the next episode at the end of this one: "active" until it
        # starts, the grace period counted from that end.
        self.kodi.set_property(ACTIVE_PROPERTY, "true")
        self.awaiting_next = time.monotonic() + max(0.0, total - position)
        self.kodi.notify_all(signal.notify_all_params(data))
        log.info("Up Next handed to %s", SERVICE_UPNEXT)

    def _thumb(self, episode: Any) -> str:
        show_imdb = str((episode.show_ids or {}).get("imdb") or "")
        data_dir = self._context().paths.data_dir
        return cached_thumb(data_dir, show_imdb, episode.season, episode.number)


__all__ = ["ACTIVE_PROPERTY", "POLL_SECONDS", "UpNextMonitor", "next_play_url", "timing_of"]
