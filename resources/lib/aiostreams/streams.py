"""The stream model: classify Stremio stream objects and read AIOStreams' ``streamData``.

Kinds (``Stream.kind``):
    ``url``        a direct HTTP(S) URL Kodi can play (debrid, usenet-through-debrid, http)
    ``torrent``    ``infoHash`` only: needs a torrent engine, not playable here
    ``external``   ``externalUrl``: a web page, not a video
    ``usenet``     ``nzbUrl`` only: needs a usenet client, not playable here
    ``youtube``    ``ytId``
    ``error``      an AIOStreams error stream (its text is a message for the user)
    ``statistic``  an AIOStreams statistics entry
    ``unknown``    anything else
Only ``url`` streams are ever offered for playback; errors and statistics never are.
"""

from __future__ import annotations

import hashlib
import mimetypes
import posixpath
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .text import display_text

PLAYABLE_KINDS = ("url",)
_RESOLUTIONS = {
    "4320p": 4320,
    "8k": 4320,
    "2160p": 2160,
    "4k": 2160,
    "uhd": 2160,
    "1440p": 1440,
    "2k": 1440,
    "1080p": 1080,
    "fhd": 1080,
    "1080i": 1080,
    "720p": 720,
    "hd": 720,
    "576p": 576,
    "480p": 480,
    "sd": 480,
    "360p": 360,
    "240p": 240,
    "144p": 144,
}
_MIME_BY_EXT = {
    ".mkv": "video/x-matroska",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".avi": "video/x-msvideo",
    ".ts": "video/mp2t",
    ".m2ts": "video/mp2t",
    ".mov": "video/quicktime",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
}


@dataclass(frozen=True)
class Subtitle:
    """A subtitle track offered with a stream."""

    url: str
    lang: str = ""
    id: str = ""


@dataclass
class Stream:
    """One entry of a stream list, with ``streamData`` flattened into fields."""

    kind: str
    name: str = ""
    description: str = ""
    url: Optional[str] = None
    info_hash: Optional[str] = None
    file_idx: Optional[int] = None
    external_url: Optional[str] = None
    source_type: str = ""
    filename: str = ""
    size: Optional[int] = None
    duration_ms: Optional[int] = None
    resolution: str = ""
    quality: str = ""
    encode: str = ""
    release_group: str = ""
    languages: List[str] = field(default_factory=list)
    audio_tags: List[str] = field(default_factory=list)
    visual_tags: List[str] = field(default_factory=list)
    service_id: str = ""
    cached: Optional[bool] = None
    indexer: str = ""
    request_headers: Dict[str, str] = field(default_factory=dict)
    subtitles: List[Subtitle] = field(default_factory=list)
    binge_group: str = ""
    error_title: str = ""
    error_description: str = ""
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def playable(self) -> bool:
        """Kodi can play it directly (a ``url`` stream)."""
        return self.kind in PLAYABLE_KINDS

    @property
    def instant(self) -> bool:
        """Playable now: a URL that is cached on its service, or one that needs no service."""
        return self.playable and (
            self.cached is True or (not self.service_id and self.cached is None)
        )

    @property
    def resolution_height(self) -> int:
        """Vertical resolution in lines (2160, 1080, ...), 0 when unknown."""
        return resolution_height(self.resolution)

    @property
    def message(self) -> str:
        """For an error stream: the text to show the user."""
        return error_text(self)


def resolution_height(resolution: str) -> int:
    """``"1080p"`` -> 1080, ``"4K"`` -> 2160, unknown -> 0."""
    text = (resolution or "").strip().lower()
    if text in _RESOLUTIONS:
        return _RESOLUTIONS[text]
    match = re.match(r"^(\d{3,4})[pi]?$", text)
    return int(match.group(1)) if match else 0


def _as_dict(value: Any) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_str_list(value: Any) -> List[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v not in (None, "")]
    return []


def _as_int(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError, OverflowError):  # OverflowError: a JSON 1e999 is infinity
        return None


def _classify(raw: Mapping[str, Any], source_type: str) -> str:
    if source_type in ("error", "statistic"):
        return source_type
    if isinstance(raw.get("url"), str) and raw["url"].startswith(("http://", "https://")):
        return "url"
    if raw.get("infoHash"):
        return "torrent"
    if raw.get("nzbUrl") or source_type == "usenet":
        return "usenet"
    if raw.get("externalUrl"):
        return "external"
    if raw.get("ytId"):
        return "youtube"
    return "unknown"


def parse_stream(raw: Mapping[str, Any]) -> Stream:
    """Build a :class:`Stream` from one Stremio stream object. Never raises on odd input."""
    data = _as_dict(raw.get("streamData"))
    parsed = _as_dict(data.get("parsedFile"))
    service = _as_dict(data.get("service"))
    hints = _as_dict(raw.get("behaviorHints"))
    proxy = _as_dict(hints.get("proxyHeaders"))
    error = _as_dict(data.get("error"))
    source_type = str(data.get("type") or "").lower()
    cached = service.get("cached")
    subtitles = []
    offered_subtitles = raw.get("subtitles")
    for item in offered_subtitles if isinstance(offered_subtitles, list) else []:
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            subtitles.append(
                Subtitle(item["url"], str(item.get("lang") or ""), str(item.get("id") or ""))
            )
    return Stream(
        kind=_classify(raw, source_type),
        name=str(raw.get("name") or ""),
        description=str(raw.get("description") or raw.get("title") or ""),
        url=raw.get("url") if isinstance(raw.get("url"), str) else None,
        info_hash=str(raw["infoHash"]) if raw.get("infoHash") else None,
        file_idx=_as_int(raw.get("fileIdx")),
        external_url=str(raw["externalUrl"]) if raw.get("externalUrl") else None,
        source_type=source_type,
        filename=str(data.get("filename") or hints.get("filename") or ""),
        size=_as_int(data.get("size")) or _as_int(hints.get("videoSize")),
        duration_ms=_as_int(data.get("duration")),
        resolution=str(parsed.get("resolution") or ""),
        quality=str(parsed.get("quality") or ""),
        encode=str(parsed.get("encode") or ""),
        release_group=str(parsed.get("releaseGroup") or ""),
        languages=_as_str_list(parsed.get("languages")),
        audio_tags=_as_str_list(parsed.get("audioTags")),
        visual_tags=_as_str_list(parsed.get("visualTags")),
        service_id=str(service.get("id") or ""),
        cached=cached if isinstance(cached, bool) else None,
        indexer=str(data.get("indexer") or ""),
        request_headers={
            str(k): str(v) for k, v in _as_dict(proxy.get("request")).items() if v is not None
        },
        subtitles=subtitles,
        binge_group=str(hints.get("bingeGroup") or ""),
        error_title=str(error.get("title") or ""),
        error_description=str(error.get("description") or ""),
        raw=dict(raw),
    )


def error_text(stream: Stream) -> str:
    """The user-facing text of an error stream (``streamData.error``, else its description),
    without the glyphs Kodi's font cannot draw (``[❌] Torrentio: …``)."""
    parts = [display_text(p) for p in (stream.error_title, stream.error_description)]
    parts = [p for p in parts if p]
    if parts:
        if len(parts) == 2 and parts[1].lower().startswith(parts[0].lower()):
            parts = parts[1:]
        return ": ".join(parts)
    text = display_text(stream.description) or display_text(stream.name)
    return text or "AIOStreams reported an error."


@dataclass
class StreamList:
    """A parsed stream response, split by purpose. ``streams`` keeps the instance's order."""

    streams: List[Stream] = field(default_factory=list)
    errors: List[Stream] = field(default_factory=list)
    statistics: List[Stream] = field(default_factory=list)

    @property
    def playable(self) -> List[Stream]:
        return [s for s in self.streams if s.playable]

    @property
    def error_messages(self) -> List[str]:
        return [error_text(s) for s in self.errors]

    @property
    def unplayable_message(self) -> Optional[str]:
        """When nothing playable is left and the instance sent error streams: their own text
        (joined, duplicates once) for the user; else None."""
        if self.playable or not self.errors:
            return None
        return "; ".join(dict.fromkeys(self.error_messages))


def parse_streams(payload: Any) -> StreamList:
    """Split a ``/stream`` answer (``{"streams": [...]}``) into streams, errors, statistics."""
    items = payload.get("streams") if isinstance(payload, dict) else None
    result = StreamList()
    for raw in items if isinstance(items, list) else []:
        if not isinstance(raw, dict):
            continue
        stream = parse_stream(raw)
        if stream.kind == "error":
            result.errors.append(stream)
        elif stream.kind == "statistic":
            result.statistics.append(stream)
        else:
            result.streams.append(stream)
    return result


def stream_key(stream: Stream) -> str:
    """A short, stable key of a stream (its URL's hash): "skip the one that failed", and the
    stream Up Next prepared for the play route."""
    return hashlib.sha1((stream.url or stream.name).encode("utf-8")).hexdigest()[:12]  # noqa: S324


def kodi_url(url: str, headers: Optional[Mapping[str, str]] = None) -> str:
    """``url|Name=value&...`` with URL-quoted names and values, as Kodi expects."""
    if not headers:
        return url
    pairs = "&".join(
        "{}={}".format(urllib.parse.quote(str(k), safe=""), urllib.parse.quote(str(v), safe=""))
        for k, v in headers.items()
    )
    return f"{url}|{pairs}"


def playback_url(stream: Stream, extra_headers: Optional[Mapping[str, str]] = None) -> str:
    """The path to give Kodi for a ``url`` stream: its URL plus ``proxyHeaders.request``."""
    if not stream.playable or not stream.url:
        raise ValueError(f"stream of kind {stream.kind!r} has no playable URL")
    headers = dict(stream.request_headers)
    headers.update(extra_headers or {})
    return kodi_url(stream.url, headers)


def mime_type(stream: Stream) -> str:
    """A mime type for ``ListItem.setMimeType`` (so Kodi skips its HEAD probe)."""
    candidates: Tuple[str, ...] = (
        stream.filename,
        posixpath.basename(urllib.parse.urlsplit(stream.url or "").path),
    )
    for name in candidates:
        ext = posixpath.splitext(name.lower())[1]
        if ext in _MIME_BY_EXT:
            return _MIME_BY_EXT[ext]
        guessed = mimetypes.guess_type("x" + ext)[0] if ext else None
        if guessed and guessed.startswith("video/"):
            return guessed
    return "video/mp4"


def subtitle_urls(stream: Stream) -> List[str]:
    """Subtitle URLs for ``ListItem.setSubtitles``."""
    return [s.url for s in stream.subtitles]


__all__ = [
    "PLAYABLE_KINDS",
    "Stream",
    "StreamList",
    "Subtitle",
    "error_text",
    "kodi_url",
    "mime_type",
    "parse_stream",
    "parse_streams",
    "playback_url",
    "resolution_height",
    "stream_key",
    "subtitle_urls",
]
