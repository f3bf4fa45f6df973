"""Up Next's monitor over the strict xbmc doubles: a fake player (position and length), a context
whose mirror answers ``next_episode_after`` and an AIOStreams client that counts its requests.
``Rig.monitor.step()`` is one quarter-second tick of the monitor's thread."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable, List, Optional

import kodistate

from resources.lib.aiostreams.streams import parse_streams
from resources.lib.database.trakt_sync.next_episode_rule import NextEpisode
from resources.lib.kodi.upnext_kodi import KodiUpNext
from resources.lib.kodi.upnext_monitor import UpNextMonitor
from resources.lib.kodi.window import HOME_WINDOW_ID
from resources.lib.scrobble.media import NOW_PLAYING_PROPERTY, MediaRef, NowPlaying

STREAM_URL = "https://debrid.example/e1.mkv"
NEXT = NextEpisode(show_id=81189, show_ids={"trakt": 81189, "imdb": "tt0903747", "tmdb": 1396},
                   show_title="Breaking Bad", season=1, number=2, title="Cat's in the Bag",
                   ids={"trakt": 9002}, first_aired="2008-01-27T00:00:00.000Z",
                   runtime=47)  # fmt: skip
STREAMS = [{"url": "https://debrid.example/e2.mkv", "name": "[RD+] 1080p",
            "behaviorHints": {"bingeGroup": "grp-1080"}}]  # fmt: skip


class FakePlayer:
    def __init__(self, total: float = 100.0) -> None:
        self.time: Optional[float] = 0.0
        self.total = total
        self.file = STREAM_URL
        self.stops = 0

    def isPlayingVideo(self) -> bool:  # noqa: N802 (Kodi's names)
        return self.time is not None

    def getTime(self) -> float:  # noqa: N802
        if self.time is None:
            raise RuntimeError("Kodi is not playing any media file")
        return self.time

    def getTotalTime(self) -> float:  # noqa: N802
        return self.total

    def getPlayingFile(self) -> str:  # noqa: N802
        if self.time is None:
            raise RuntimeError("Kodi is not playing any file")
        return self.file

    def stop(self) -> None:
        self.stops += 1
        self.time = None


class TickingMonitor:
    """waitForAbort that plays on: each wait moves the player on, then runs the test's hook."""

    def __init__(self, player: FakePlayer) -> None:
        self.player = player
        self.hook: Callable[[], None] = lambda: None

    def waitForAbort(self, timeout: float = 0.0) -> bool:  # noqa: N802
        if self.player.time is not None:
            self.player.time = min(self.player.total, self.player.time + timeout)
        self.hook()
        return False


class FakeClient:
    def __init__(self, streams: List[Any]) -> None:
        self.streams_raw = streams
        self.calls: List[Any] = []

    def __call__(self, manifest_url: str, **kwargs: Any) -> FakeClient:
        assert kwargs["max_retries"] == 0, "a retry would be a second request"
        return self

    def streams(self, stremio_type: str, stremio_id: str) -> Any:
        self.calls.append((stremio_type, stremio_id))
        return parse_streams({"streams": self.streams_raw})


class Rig:
    def __init__(self, next_episode: Optional[NextEpisode] = NEXT, streams: Any = None) -> None:
        self.player = FakePlayer()
        self.ticker = TickingMonitor(self.player)
        self.client = FakeClient(STREAMS if streams is None else streams)
        self.lookups: List[Any] = []

        def next_episode_after(show_id: int, season: int, number: int) -> Any:
            self.lookups.append((show_id, season, number))
            return next_episode

        ctx = SimpleNamespace(db=SimpleNamespace(next_episode_after=next_episode_after),
                              paths=SimpleNamespace(data_dir=kodistate.STATE.profile_dir),
                              close=lambda: None)  # fmt: skip
        self.monitor = UpNextMonitor(lambda: ctx, kodi=KodiUpNext(self.player, self.ticker),
                                     client_factory=self.client, background=False)  # fmt: skip

    def hand_off(self, kind: str = "episode") -> None:
        if kind == "episode":
            media = MediaRef.episode({"trakt": 81189, "imdb": "tt0903747"}, 1, 1, {"trakt": 9001})
        else:
            media = MediaRef.movie({"trakt": 1, "imdb": "tt0133093"})
        playing = NowPlaying(media, path=STREAM_URL, title="Pilot")
        set_home(NOW_PLAYING_PROPERTY, playing.to_json())

    def start(self, kind: str = "episode") -> None:
        self.hand_off(kind)
        self.monitor.post("av_started")
        self.monitor.step()

    def play_to(self, position: float) -> None:
        """Ticks of the monitor's thread while the player advances to ``position``."""
        while self.player.time is not None and self.player.time < position:
            self.player.time = min(position, self.player.time + 0.25)
            self.monitor.step()


def set_home(name: str, value: str) -> None:
    kodistate.STATE.properties[(HOME_WINDOW_ID, name.lower())] = value


def home(name: str) -> str:
    return kodistate.STATE.properties.get((HOME_WINDOW_ID, name.lower()), "")


def play_media() -> List[str]:
    return [b for b in kodistate.STATE.builtins if b.startswith("PlayMedia(")]
