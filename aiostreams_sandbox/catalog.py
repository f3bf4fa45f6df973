"""The sandbox's content: which ids have which streams, shaped like AIOStreams v2 answers."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from .metas import manifest_catalogs

PROJECT_URL = "https://github.com/Viren070/AIOStreams"
GB = 1024**3

MOVIE_ID = "tt0111161"
EPISODE_ID = "tt0903747:1:1"
# The same releases for the rest of the season: Up Next plays one episode after another.
EPISODE_IDS = tuple(f"tt0903747:1:{n}" for n in range(1, 6))
PROBE_MOVIE_ID = "tt0068646"  # a movie with only torrent-only streams: nothing playable


def manifest() -> Dict[str, Any]:
    return {
        "id": "com.aiostreams.viren070",
        "version": "2.33.0",
        "name": "AIOStreams",
        "description": "AIOStreams sandbox: the Stremio super add-on, for tests.",
        "resources": ["stream", "meta", "catalog", "subtitles"],
        "types": ["movie", "series"],
        "idPrefixes": ["tt", "tmdb:", "tvdb:"],
        "catalogs": manifest_catalogs(),
        "behaviorHints": {"configurable": True, "configurationRequired": False},
    }


def error_stream(title: str, description: str) -> Dict[str, Any]:
    return {
        "name": "[❌] AIOStreams",
        "description": f"{title}\n{description}",
        "externalUrl": PROJECT_URL,
        "streamData": {"type": "error", "error": {"title": title, "description": description}},
    }


def statistic_stream(count: int) -> Dict[str, Any]:
    return {
        "name": "[📊] Statistics",
        "description": f"Found {count} streams in 1.2 s from 3 add-ons",
        "externalUrl": PROJECT_URL,
        "streamData": {"type": "statistic"},
    }


def _stream(
    base: str,
    url_path: Optional[str],
    *,
    resolution: str,
    quality: str,
    encode: str,
    size: int,
    service: Optional[str],
    cached: Optional[bool],
    group: str,
    languages: List[str],
    filename: str,
    visual: Optional[List[str]] = None,
    audio: Optional[List[str]] = None,
    kind: str = "debrid",
    extra: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    short = {"realdebrid": "RD", "torbox": "TB", "alldebrid": "AD"}.get(service or "", "")
    marker = (short + ("⚡" if cached else "⏳")) if short else "HTTP"
    data: Dict[str, Any] = {
        "type": kind,
        "size": size,
        "filename": filename,
        "indexer": "Sandbox",
        "parsedFile": {
            "resolution": resolution,
            "quality": quality,
            "encode": encode,
            "releaseGroup": group,
            "languages": languages,
            "visualTags": visual or [],
            "audioTags": audio or [],
        },
    }
    if service:
        data["service"] = {"id": service, "cached": cached}
    item: Dict[str, Any] = {
        "name": f"[{marker}] AIOStreams {resolution}",
        "description": f"{quality} {encode}\n{filename}",
        "behaviorHints": {"bingeGroup": f"aiostreams|{resolution}|{group}", "filename": filename},
        "streamData": data,
    }
    if url_path is not None:
        item["url"] = base + url_path
    item.update(extra or {})
    return item


def streams_for(media_type: str, stremio_id: str, base: str) -> Optional[List[Dict[str, Any]]]:
    """The stream list for an id, or None when the id is unknown (-> an error stream)."""
    if media_type == "movie" and stremio_id == MOVIE_ID:
        found = [
            _stream(
                base,
                "/playback/rd-2160.mkv",
                resolution="2160p",
                quality="BluRay REMUX",
                encode="HEVC",
                size=58 * GB,
                service="realdebrid",
                cached=True,
                group="FraMeSToR",
                languages=["English"],
                visual=["DV", "HDR10"],
                audio=["Atmos", "TrueHD"],
                filename="The.Shawshank.Redemption.1994.2160p.UHD.BluRay.REMUX.DV.HDR.HEVC.Atmos-FraMeSToR.mkv",
            ),
            _stream(
                base,
                "/media/clip.mp4",
                resolution="1080p",
                quality="BluRay",
                encode="AVC",
                size=12 * GB + 400 * 1024**2,
                service="realdebrid",
                cached=True,
                group="SPARKS",
                languages=["English", "Italian"],
                filename="The.Shawshank.Redemption.1994.1080p.BluRay.x264-SPARKS.mkv",
                extra={
                    "behaviorHints": {
                        "filename": "The.Shawshank.Redemption.1994.1080p.BluRay.x264-SPARKS.mkv",
                        "proxyHeaders": {
                            "request": {
                                "User-Agent": "Sandbox Player/1.0 (Kodi)",
                                "Referer": "http://127.0.0.1/ü?a=1&b=2",
                            }
                        },
                    },
                    "subtitles": [
                        {"id": "en", "url": base + "/subs/en.srt", "lang": "eng"},
                        {"id": "it", "url": base + "/subs/it.srt", "lang": "ita"},
                    ],
                },
            ),
            _stream(
                base,
                "/playback/tb-720-downloading.mp4",
                resolution="720p",
                quality="WEB-DL",
                encode="AVC",
                size=2 * GB,
                service="torbox",
                cached=False,
                group="NTb",
                languages=["English"],
                filename="The.Shawshank.Redemption.1994.720p.WEB-DL.x264-NTb.mkv",
            ),
            _stream(
                base,
                "/playback/ad-1080-fr.mp4",
                resolution="1080p",
                quality="WEB-DL",
                encode="HEVC",
                size=int(4.37 * GB),
                service="alldebrid",
                cached=True,
                group="ÉQUIPE",
                languages=["French", "Japanese"],
                filename="Les Évadés (1994) 1080p 日本語字幕 [ÉQUIPE].mkv",
            ),
            _stream(
                base,
                None,
                resolution="1080p",
                quality="BluRay",
                encode="HEVC",
                size=6 * GB,
                service=None,
                cached=None,
                group="PSA",
                languages=["English"],
                filename="The.Shawshank.Redemption.1994.1080p.BluRay.x265-PSA.mkv",
                kind="p2p",
                extra={"infoHash": "0123456789abcdef0123456789abcdef01234567", "fileIdx": 0},
            ),
            {
                "name": "[🌐] Web",
                "description": "Watch on the rights holder's site",
                "externalUrl": "https://example.com/watch/tt0111161",
                "streamData": {"type": "external"},
            },
        ]
        return found + [statistic_stream(len(found))]
    if media_type == "series" and stremio_id in EPISODE_IDS:
        code = "S01E%02d" % int(stremio_id.rsplit(":", 1)[1])
        return [
            _stream(
                base,
                "/playback/rd-bb-1080.mkv",
                resolution="1080p",
                quality="BluRay",
                encode="HEVC",
                size=int(1.9 * GB),
                service="realdebrid",
                cached=True,
                group="GalaxyTV",
                languages=["English"],
                filename=f"Breaking.Bad.{code}.1080p.BluRay.x265-GalaxyTV.mkv",
            ),
            _stream(
                base,
                "/playback/tb-bb-720.mp4",
                resolution="720p",
                quality="HDTV",
                encode="AVC",
                size=700 * 1024**2,
                service="torbox",
                cached=False,
                group="CTU",
                languages=["English"],
                filename=f"Breaking.Bad.{code}.720p.HDTV.x264-CTU.mkv",
            ),
            _stream(
                base,
                "/media/clip.mp4",
                resolution="480p",
                quality="DVDRip",
                encode="XviD",
                size=350 * 1024**2,
                service=None,
                cached=None,
                group="SAiNTS",
                languages=["English", "Spanish"],
                kind="http",
                filename=f"Breaking.Bad.{code}.DVDRip.XviD-SAiNTS.avi",
            ),
        ]
    if media_type == "movie" and stremio_id == PROBE_MOVIE_ID:
        return [
            _stream(
                base,
                None,
                resolution="1080p",
                quality="BluRay",
                encode="AVC",
                size=8 * GB,
                service=None,
                cached=None,
                group="AMIABLE",
                languages=["English"],
                kind="p2p",
                filename="The.Godfather.1972.1080p.BluRay.x264-AMIABLE.mkv",
                extra={"infoHash": "89abcdef0123456789abcdef0123456789abcdef", "fileIdx": 1},
            )
        ]
    return None


# Which playback URL redirects to which file (307), like /api/v1/debrid/playback/... does.
REDIRECTS = {
    "rd-2160.mkv": "clip.mp4",
    "tb-720-downloading.mp4": "placeholder.mp4",
    "ad-1080-fr.mp4": "clip.mp4",
    "rd-bb-1080.mkv": "clip.mp4",
    "tb-bb-720.mp4": "placeholder.mp4",
}

SUBTITLES = {
    "en.srt": "1\n00:00:01,000 --> 00:00:04,000\nHello from the sandbox.\n",
    "it.srt": "1\n00:00:01,000 --> 00:00:04,000\nCiao dalla sandbox, è così.\n",
}
