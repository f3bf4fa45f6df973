"""Which stream of the next episode continues the one playing now.

AIOStreams marks the streams of one release across episodes with the same ``bingeGroup``
(Stremio's ``behaviorHints.bingeGroup``); that is the first choice. Without one, the same
resolution and the same release group is the next best guess. Otherwise there is no preference
and the play route's own autoplay rule decides. ``StreamTraits`` is what is kept of the playing
stream (it travels in the NowPlaying property as a dict).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence

from ..aiostreams.streams import Stream


@dataclass(frozen=True)
class StreamTraits:
    binge_group: str = ""
    resolution: str = ""
    release_group: str = ""

    @classmethod
    def of(cls, stream: Stream) -> StreamTraits:
        return cls(
            binge_group=stream.binge_group or "",
            resolution=stream.resolution or "",
            release_group=stream.release_group or "",
        )

    @property
    def empty(self) -> bool:
        return not (self.binge_group or self.resolution or self.release_group)

    def to_dict(self) -> Dict[str, str]:
        return {
            "binge_group": self.binge_group,
            "resolution": self.resolution,
            "release_group": self.release_group,
        }

    @classmethod
    def from_dict(cls, value: Any) -> StreamTraits:
        """The traits of a ``to_dict()`` result; empty traits for anything else (a property
        written by an older version, or damaged), and "" for any field that is not text."""
        if not isinstance(value, dict):
            return cls()
        fields = {}
        for name in ("binge_group", "resolution", "release_group"):
            item = value.get(name)
            fields[name] = item if isinstance(item, str) else ""
        return cls(**fields)


def _same_text(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def preferred_stream(offered: Sequence[Stream], traits: StreamTraits) -> Optional[Stream]:
    """The first playable stream of ``offered`` with the same non-empty bingeGroup as
    ``traits``, else the first with the same resolution and the same non-empty release group,
    else None."""
    playable = [stream for stream in offered if stream.playable]
    if traits.binge_group:
        for stream in playable:
            if stream.binge_group == traits.binge_group:
                return stream
    if traits.release_group.strip():
        for stream in playable:
            if _same_text(stream.release_group, traits.release_group) and _same_text(
                stream.resolution, traits.resolution
            ):
                return stream
    return None
