"""Which streams to offer, in which order, which one to autoplay, and how to label them.

AIOStreams already sorts streams the way the user configured it on the instance, so ranking
keeps that order and only applies the add-on's own settings on top:
    hide_uncached    drop streams whose service says "not cached" (they would start a download)
    max_resolution   streams above it go to the end of the list (a preference, not a filter)
    autoplay         play the first instant (cached) stream without asking
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, List, Optional, Tuple

from .streams import Stream
from .text import display_line, display_text

# (cached, not cached): words the front end takes from strings.po, so a viewer sees at a glance
# whether a stream starts at once. The core has no words of its own: without them, no mark.
CacheMarks = Tuple[str, str]
NO_MARKS: CacheMarks = ("", "")

_SERVICE_SHORT = {
    "realdebrid": "RD",
    "alldebrid": "AD",
    "premiumize": "PM",
    "debridlink": "DL",
    "torbox": "TB",
    "easydebrid": "ED",
    "offcloud": "OC",
    "putio": "PIO",
    "pikpak": "PKP",
    "seedr": "SDR",
    "stremthru": "ST",
}


_SIZE_UNITS = (
    (4, "TB", "{:.2f} {}"),
    (3, "GB", "{:.2f} {}"),
    (2, "MB", "{:.0f} {}"),
    (1, "KB", "{:.0f} {}"),
)


@dataclass(frozen=True)
class StreamPreferences:
    """The add-on's playback settings. ``max_resolution`` 0 means no preference."""

    autoplay: bool = False
    max_resolution: int = 0
    hide_uncached: bool = False


def offered_streams(streams: Iterable[Stream], prefs: StreamPreferences) -> List[Stream]:
    """Playable streams to show, best first. Error and statistic entries are never offered."""
    candidates = [s for s in streams if s.playable]
    if prefs.hide_uncached:
        candidates = [s for s in candidates if s.cached is not False]

    def above_limit(stream: Stream) -> bool:
        return bool(prefs.max_resolution) and stream.resolution_height > prefs.max_resolution

    # sorted() is stable: the instance's own order survives inside each group.
    return sorted(candidates, key=above_limit)


def autoplay_choice(ranked: Iterable[Stream], prefs: StreamPreferences) -> Optional[Stream]:
    """The stream to play without asking: the first instant one, or None (show the dialog)."""
    if not prefs.autoplay:
        return None
    for stream in ranked:
        if stream.instant and not (
            prefs.max_resolution and stream.resolution_height > prefs.max_resolution
        ):
            return stream
    return None


def format_size(size: Optional[int]) -> str:
    """Bytes in the units a user reads: ``4.37 GB``, ``700 MB``; empty when unknown."""
    if not size or size <= 0:
        return ""
    for power, unit, pattern in (
        (4, "TB", "{:.2f} {}"),
        (3, "GB", "{:.2f} {}"),
        (2, "MB", "{:.0f} {}"),
        (1, "KB", "{:.0f} {}"),
    ):
        if size >= 1024**power:
            return pattern.format(size / 1024**power, unit)
    return f"{size} B"


def service_label(stream: Stream) -> str:
    """``RD`` (the debrid service), ``P2P`` or ``HTTP`` without a service. Whether it is cached
    is :func:`cache_mark`'s job: a ``+`` suffix was easy to miss."""
    if stream.service_id:
        return _SERVICE_SHORT.get(stream.service_id.lower(), stream.service_id.upper()[:4])
    if stream.source_type in ("p2p", "torrent"):
        return "P2P"
    return stream.source_type.upper() or "HTTP"


def cache_mark(stream: Stream, marks: CacheMarks = NO_MARKS) -> str:
    """The cached / not cached word for a debrid stream; empty without a service or a word."""
    if not stream.service_id or stream.cached is None:
        return ""
    return marks[0] if stream.cached else marks[1]


def stream_label(stream: Stream, marks: CacheMarks = NO_MARKS) -> str:
    """One line for a select dialog:
    ``1080p | RD | Cached | BluRay HEVC | 4.37 GB | English | FLUX`` (``marks`` give the word)."""
    label = _stream_label(stream, marks)
    return display_text(label) if label else ""


def _stream_label(stream: Stream, marks: CacheMarks) -> str:
    resolution = stream.resolution if stream.resolution_height else ""
    quality = " ".join(p for p in (stream.quality, stream.encode) if p)
    tags = " ".join(stream.visual_tags + stream.audio_tags)
    mark = cache_mark(stream, marks)
    parts = [
        resolution or "?",
        service_label(stream),
        mark,
        quality,
        tags,
        format_size(stream.size),
        ", ".join(stream.languages[:3]) + ("..." if len(stream.languages) > 3 else ""),
        stream.release_group,
    ]
    label = " | ".join(p for p in parts if p)
    bare = " | ".join(p for p in (service_label(stream), mark) if p)
    if label.strip("? |") == bare:
        # No parsed data at all: the stream's own name says more (with the mark, if any).
        name = display_text(stream.name)
        return " | ".join(p for p in (name, mark) if p) if name else label
    return label


def stream_label2(stream: Stream) -> str:
    """Second line: the file name, else the first line of the description."""
    if stream.filename:
        return display_text(stream.filename)
    lines = display_line(stream.description).split("\n", 1)
    return lines[0]


__all__ = [
    "NO_MARKS",
    "CacheMarks",
    "StreamPreferences",
    "autoplay_choice",
    "cache_mark",
    "format_size",
    "offered_streams",
    "service_label",
    "stream_label",
    "stream_label2",
]
