"""The scrobble worker wired to a fake player (position, properties, the calls it makes) and a
recording sender: the rig the player-monitor and widget-refresh tests drive event by event.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from resources.lib.scrobble.inflight import InflightJournal
from resources.lib.scrobble.media import NOW_PLAYING_PROPERTY, MediaRef, NowPlaying
from resources.lib.scrobble.worker import ScrobbleWorker

PATH = "http://127.0.0.1:1/playback/x.mkv"


class FakePlayback:
    """Position, duration, properties and the calls the worker makes."""

    def __init__(self) -> None:
        self.time: Optional[float] = None
        self.total = 2700.0
        self.properties = {}
        self.stopped = 0
        self.played: List[str] = []
        self.notified: List[str] = []
        self.seeks: List[float] = []
        self.file = PATH + "|User-Agent=x"

    def sample(self) -> Optional[Tuple[float, float]]:
        return None if self.time is None else (self.time, self.total)

    def playing_file(self) -> str:
        return "" if self.time is None else self.file  # Kodi names no file once it stopped

    def stop(self) -> None:
        self.stopped += 1
        self.time = None

    def get_property(self, name: str) -> str:
        return self.properties.get(name, "")

    def clear_property(self, name: str) -> None:
        self.properties.pop(name, None)

    def play_url(self, url: str) -> None:
        self.played.append(url)

    def seek(self, seconds: float) -> None:
        self.seeks.append(seconds)
        self.time = seconds

    def notify(self, message: str) -> None:
        self.notified.append(message)


class Rig:
    def __init__(self, journal_path: Optional[str] = None, **worker_options: Any) -> None:
        self.mono = 100.0
        self.playback = FakePlayback()
        self.sent: List[Tuple[str, float]] = []
        self.local: List[Tuple[str, float]] = []
        self.status = "sent"
        self.journal = InflightJournal(journal_path)
        self.worker = ScrobbleWorker(
            send=self.send,
            record_local=lambda media, action, title="": self.local.append(
                (action.kind, action.progress)
            ),
            flush=lambda: None,
            playback=self.playback,
            placeholder_seconds=lambda: 45.0,
            clock=lambda: 1_800_000_000.0,
            monotonic=lambda: self.mono,
            settle_seconds=1.5,
            journal=self.journal,
            **worker_options,
        )

    def send(self, media: Any, action: Any) -> str:
        self.sent.append((action.kind, action.progress))
        return self.status

    def hand_off(
        self, path: str = PATH, runtime: Optional[float] = 45.0, seek_percent: float = 0.0
    ) -> NowPlaying:
        playing = NowPlaying(MediaRef.episode({"trakt": 9}, 1, 2), path=path,
                             runtime_minutes=runtime, seek_percent=seek_percent)  # fmt: skip
        self.playback.properties[NOW_PLAYING_PROPERTY] = playing.to_json()
        return playing

    def at(self, seconds: float) -> None:
        """One second later the player is at `seconds`: the worker samples it."""
        self.mono += 1.0
        self.playback.time = seconds
        self.worker.handle("sample")

    def start(self, resume_at: float = 0.0) -> None:
        self.hand_off()
        self.playback.time = resume_at
        self.worker.handle("av_started")
        self.at(resume_at + 1)
        self.at(resume_at + 2)
