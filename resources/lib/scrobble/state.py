"""``Scrobbler``: a pure state machine from player events to Trakt scrobble actions.

It does no I/O and reads no clock but the one it is given, so every rule is unit-testable:

* ``start`` is sent once playback really runs at >= 1 % and the duration check passed
  (a placeholder clip must never send a start: a start clears the user's saved progress);
  never twice in a row: only a pause re-arms it (Trakt wants a start again on resume).
* ``pause`` on pause, with the last progress sampled while playing.
* ``stop`` on stop or end of file with the last progress sampled while playing (the player
  cannot be asked once it stopped). Trakt records a play at >= 80 %, saves progress below.
* nothing is ever sent below 1 % (Trakt answers 422, and a start would clear saved progress).
* a playback error sends a ``pause`` (progress kept for resuming, no play recorded).
* Kodi quitting (or the service stopping) while something plays sends a ``pause`` with the last
  sampled progress: the start already cleared Trakt's saved progress, so without it the user's
  place would be lost.
* a duration under the placeholder threshold yields one ``failed`` action and nothing else.

Events map one to one to ``xbmc.Player`` callbacks; ``tick(time, total)`` is the monitor's
once-a-second sample of ``getTime()`` / ``getTotalTime()`` while something plays.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable, List, Optional

from .resume import PLACEHOLDER_SECONDS, is_placeholder_clip, progress_percent

log = logging.getLogger(__name__)

START = "start"
PAUSE = "pause"
STOP = "stop"
FAILED = "failed"

MIN_PROGRESS = 1.0
WATCHED_PROGRESS = 80.0

IDLE = "idle"
PLAYING = "playing"
PAUSED = "paused"
FINISHED = "finished"
FAILED_STATE = "failed"


@dataclass(frozen=True)
class Action:
    """Something to tell Trakt. ``at`` is the clock time of the event (epoch seconds)."""

    kind: str
    progress: float
    at: float
    reason: str = ""

    @property
    def path(self) -> str:
        """``/scrobble/start`` etc. (meaningless for ``failed``)."""
        return "/scrobble/" + self.kind

    @property
    def records_play(self) -> bool:
        """A stop at >= 80 %: Trakt adds a play to the history."""
        return self.kind == STOP and self.progress >= WATCHED_PROGRESS


class Scrobbler:
    """One playback of one item. Create a new one for every playback.

    ``expected_runtime_minutes`` (metadata) and ``placeholder_seconds`` feed the placeholder
    decision; ``clock`` returns wall-clock epoch seconds (the stamp of a play's watched_at).
    """

    def __init__(
        self,
        *,
        expected_runtime_minutes: Optional[float] = None,
        placeholder_seconds: float = PLACEHOLDER_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.expected_runtime_minutes = expected_runtime_minutes
        self.placeholder_seconds = placeholder_seconds
        self._clock = clock
        self.state = IDLE
        self.progress = 0.0
        self.total_seconds: Optional[float] = None
        self.duration_ok = False
        self.start_sent = False

    # -- events -----------------------------------------------------------------------------

    def av_started(
        self, progress: Optional[float] = None, total_seconds: Optional[float] = None
    ) -> List[Action]:
        """Real playback began (``onAVStarted``), possibly at a resume point."""
        if self.state in (FINISHED, FAILED_STATE):
            return []
        self.state = PLAYING
        if progress is not None:
            self.progress = _clamp(progress)
        actions = self._check_duration(total_seconds)
        return actions or self._maybe_start()

    def tick(self, time_seconds: float, total_seconds: float) -> List[Action]:
        """A sample of the player position while playing (about once a second)."""
        if self.state not in (PLAYING, PAUSED) or not total_seconds or total_seconds <= 0:
            return []
        actions = self._check_duration(total_seconds)
        if actions or self.state == FAILED_STATE:
            return actions
        self.progress = progress_percent(time_seconds, total_seconds)
        return self._maybe_start()

    def seek(self, progress: float) -> List[Action]:
        """The user seeked; ``progress`` is the new position in percent."""
        if self.state not in (PLAYING, PAUSED):
            return []
        self.progress = _clamp(progress)
        return self._maybe_start()

    def paused(self) -> List[Action]:
        if self.state != PLAYING:
            return []
        self.state = PAUSED
        if not self.start_sent:
            return []
        self.start_sent = False
        return self._emit(PAUSE) if self.progress >= MIN_PROGRESS else []

    def resumed(self) -> List[Action]:
        if self.state != PAUSED:
            return []
        self.state = PLAYING
        return self._maybe_start()

    def stopped(self) -> List[Action]:
        """The user stopped playback (``onPlayBackStopped``)."""
        return self._finish(STOP)

    def ended(self) -> List[Action]:
        """The file played to its end (``onPlayBackEnded``)."""
        return self._finish(STOP)

    def error(self) -> List[Action]:
        """Playback failed (``onPlayBackError``): keep the progress, record no play."""
        return self._finish(PAUSE)

    def quit(self) -> List[Action]:
        """Kodi is shutting down mid-playback: save the last sampled progress as a pause.

        Nothing when no start was sent (Trakt's saved progress is untouched) or when the
        playback is paused (the pause already saved it)."""
        return self._finish(PAUSE, reason="quit")

    @property
    def unsaved_progress(self) -> Optional[float]:
        """The progress that only this process knows: a start was sent (clearing Trakt's saved
        progress) and no pause or stop has saved it since. None otherwise."""
        if self.state == PLAYING and self.start_sent and self.progress >= MIN_PROGRESS:
            return round(self.progress, 2)
        return None

    # -- internals --------------------------------------------------------------------------

    def _emit(self, kind: str, reason: str = "") -> List[Action]:
        action = Action(kind, round(self.progress, 2), self._clock(), reason)
        log.debug("scrobble action %s at %.2f%% %s", kind, action.progress, reason)
        return [action]

    def _check_duration(self, total_seconds: Optional[float]) -> List[Action]:
        if self.duration_ok or not total_seconds or total_seconds <= 0:
            return []
        self.total_seconds = float(total_seconds)
        if is_placeholder_clip(
            total_seconds, self.expected_runtime_minutes, self.placeholder_seconds
        ):
            self.state = FAILED_STATE
            log.warning("playback lasts %.1f s: a placeholder clip, not the feature", total_seconds)
            return self._emit(FAILED, "placeholder")
        self.duration_ok = True
        return []

    def _maybe_start(self) -> List[Action]:
        if (
            self.state == PLAYING
            and self.duration_ok
            and not self.start_sent
            and self.progress >= MIN_PROGRESS
        ):
            self.start_sent = True
            return self._emit(START)
        return []

    def _finish(self, kind: str, reason: str = "") -> List[Action]:
        if self.state in (IDLE, FINISHED, FAILED_STATE):
            return []
        self.state = FINISHED
        sent_start = self.start_sent
        self.start_sent = False
        if not self.duration_ok or self.progress < MIN_PROGRESS:
            return []
        if kind == PAUSE and not sent_start:
            return []  # paused before: the progress is already saved
        return self._emit(kind, reason)


def _clamp(progress: float) -> float:
    return max(0.0, min(100.0, float(progress)))


__all__ = [
    "FAILED",
    "MIN_PROGRESS",
    "PAUSE",
    "START",
    "STOP",
    "WATCHED_PROGRESS",
    "Action",
    "Scrobbler",
]
