"""The next episode's streams, fetched once by the service and handed to the play route.

While episode N plays, Up Next asks AIOStreams for episode N+1's streams (one request) and keeps
the answer in the Home window property ``aiostreams.upnext.prepared`` as the JSON of a
:class:`PreparedStreams`. When N+1's play route runs it takes that list instead of asking again,
so the next episode starts at once. ``preferred_key`` names the stream to play (or to list
first): the one of the same release as the stream playing now, else the one the play route's own
autoplay rule would pick.

Any add-on or skin can write a Home window property, so :meth:`PreparedStreams.from_json` trusts
nothing: anything malformed or out of bounds gives None (the play route then fetches as usual).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence

from ..aiostreams.ranking import StreamPreferences, autoplay_choice, offered_streams
from ..aiostreams.streams import Stream, StreamList, parse_streams, stream_key
from .streams import StreamTraits, preferred_stream

# An older list is ignored: debrid links and "cached" marks go stale.
MAX_AGE_SECONDS = 6 * 3600.0
# Clocks of the service and the plugin are the same machine's, so a list "from the future" is
# not ours; a little slack covers a clock adjusted between the two.
MAX_FUTURE_SECONDS = 60.0
# Bounds on what the property may hold (a real answer is far below them).
MAX_JSON_CHARS = 8_000_000
MAX_STREAMS = 2000
MAX_ID_CHARS = 100
MAX_KEY_CHARS = 64
_TYPES = ("movie", "series")


@dataclass(frozen=True)
class PreparedStreams:
    """One stream answer for one Stremio item, with the stream to prefer and when it was fetched.

    ``streams_raw`` holds the stream objects as AIOStreams sent them (the parser rebuilds the
    :class:`~resources.lib.aiostreams.streams.Stream` objects: :meth:`stream_list`);
    ``preferred_key`` is a :func:`~resources.lib.aiostreams.streams.stream_key` or "" (nothing
    to prefer); ``created_at`` is epoch seconds.
    """

    stremio_type: str
    stremio_id: str
    streams_raw: List[Dict[str, Any]]
    preferred_key: str = ""
    created_at: float = 0.0

    def to_json(self) -> str:
        return json.dumps(
            {
                "stremio_type": self.stremio_type,
                "stremio_id": self.stremio_id,
                "streams_raw": self.streams_raw,
                "preferred_key": self.preferred_key,
                "created_at": self.created_at,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: Any) -> Optional[PreparedStreams]:
        """The property's value read back; None when it is empty, malformed or out of bounds.
        Never raises."""
        if not isinstance(text, str) or not text or len(text) > MAX_JSON_CHARS:
            return None
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested too deep
            return None
        if not isinstance(data, dict):
            return None
        stremio_type = data.get("stremio_type")
        stremio_id = data.get("stremio_id")
        streams_raw = data.get("streams_raw")
        preferred_key = data.get("preferred_key", "")
        created_at = data.get("created_at")
        if (
            stremio_type not in _TYPES
            or not _bounded_text(stremio_id, MAX_ID_CHARS)
            or not isinstance(preferred_key, str)
            or len(preferred_key) > MAX_KEY_CHARS
            or not isinstance(streams_raw, list)
            or len(streams_raw) > MAX_STREAMS
            or not all(isinstance(raw, dict) for raw in streams_raw)
            or not _finite_number(created_at)
        ):
            return None
        return cls(str(stremio_type), stremio_id, streams_raw, preferred_key, float(created_at))

    def is_for(self, stremio_type: str, stremio_id: str, now: float) -> bool:
        """True when this list answers the same item and is neither stale nor from the future."""
        age = now - self.created_at
        return (
            self.stremio_type == stremio_type
            and self.stremio_id == stremio_id
            and -MAX_FUTURE_SECONDS <= age <= MAX_AGE_SECONDS
        )

    def stream_list(self) -> StreamList:
        """The streams, rebuilt with the same parser as a fresh answer."""
        return parse_streams({"streams": self.streams_raw})

    def preferred(self, streams: Sequence[Stream]) -> Optional[Stream]:
        """The stream of ``streams`` whose key is ``preferred_key``; None without one."""
        if not self.preferred_key:
            return None
        return next((s for s in streams if stream_key(s) == self.preferred_key), None)


def prepare(
    client: Any,
    stremio_type: str,
    stremio_id: str,
    traits: StreamTraits,
    prefs: StreamPreferences,
    clock: Callable[[], float] = time.time,
) -> PreparedStreams:
    """Ask ``client`` (an :class:`~resources.lib.aiostreams.client.AIOStreamsClient`) once for
    the item's streams and choose the one to prefer. The client's errors
    (:class:`~resources.lib.aiostreams.errors.AIOStreamsError`: nothing playable, unreachable,
    rate-limited, aborted) are raised as they come: the caller decides what the user sees."""
    found = client.streams(stremio_type, stremio_id)
    offered = offered_streams(found.streams, prefs)
    chosen = preferred_choice(offered, traits, prefs)
    return PreparedStreams(
        stremio_type,
        stremio_id,
        [dict(stream.raw) for stream in found.streams],
        stream_key(chosen) if chosen is not None else "",
        clock(),
    )


def preferred_choice(
    offered: Sequence[Stream], traits: StreamTraits, prefs: StreamPreferences
) -> Optional[Stream]:
    """With autoplay: the stream of the same release among those autoplay may start (cached,
    within the resolution limit), else autoplay's own choice. Without: the stream of the same
    release (the source select lists it first), else None."""
    if not prefs.autoplay:
        return preferred_stream(offered, traits)
    startable = [s for s in offered if autoplay_choice([s], prefs) is s]
    return preferred_stream(startable, traits) or autoplay_choice(offered, prefs)


def _bounded_text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


def _finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


__all__ = ["MAX_AGE_SECONDS", "PreparedStreams", "prepare", "preferred_choice"]
