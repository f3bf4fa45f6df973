"""What the scrobble worker holds: the player calls it makes, and one open playback (no Kodi)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol, Tuple

from .media import NowPlaying
from .state import Scrobbler


class Playback(Protocol):
    """The player calls the worker makes (Kodi's: ``kodi.scrobble_worker.KodiPlayback``)."""

    def sample(self) -> Optional[Tuple[float, float]]: ...

    def playing_file(self) -> str: ...

    def stop(self) -> None: ...

    def seek(self, seconds: float) -> None: ...

    def get_property(self, name: str) -> str: ...

    def clear_property(self, name: str) -> None: ...

    def play_url(self, url: str) -> None: ...

    def notify(self, message: str) -> None: ...


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


__all__ = ["Playback", "Session"]
