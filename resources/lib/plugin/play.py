"""The play route: ``plugin://plugin.video.aiostreams/play?type=episode&trakt=..&show=..&season=..``.

1. read the ids from the (untrusted) query;
2. take the streams Up Next prepared for this very item (the Home property
   ``aiostreams.upnext.prepared``, at most 6 h old: no request), else fetch them from the user's
   AIOStreams instance behind a cancellable progress dialog;
3. offer them (error and statistic entries never are; the prepared list's preferred stream
   first) or autoplay the first cached one (the preferred one, when it may autoplay);
   ``select=1`` always offers them;
4. resolve with the stream URL (``|`` headers, mime type, no content lookup, subtitles), the
   resume point from the mirror's bookmark and full metadata, after handing the item to the
   service's player monitor through a ``Window(10000)`` property.

Kodi waits on the resolver: every path ends in exactly one ``setResolvedUrl`` (``False`` on
cancel, no streams, or any error), which :class:`~resources.lib.kodi.player.Resolver` enforces.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Dict, List, Optional

from resources.lib.aiostreams import errors as aio_errors
from resources.lib.aiostreams.ranking import (
    CacheMarks,
    StreamPreferences,
    autoplay_choice,
    offered_streams,
    stream_label,
    stream_label2,
)
from resources.lib.aiostreams.streams import (
    Stream,
    StreamList,
    mime_type,
    playback_url,
    subtitle_urls,
)
from resources.lib.aiostreams.text import display_text
from resources.lib.kodi import dialogs, player, strings, window
from resources.lib.kodi.localize import localize
from resources.lib.kodi.settings import Settings, load_settings
from resources.lib.kodi.system import abort_requested
from resources.lib.plugin.play_request import PlayRequest, stream_key
from resources.lib.plugin.urls import play_url
from resources.lib.scrobble.media import NowPlaying
from resources.lib.scrobble.resume import resume_seconds
from resources.lib.upnext.prepared import PreparedStreams
from resources.lib.upnext.streams import StreamTraits

log = logging.getLogger(__name__)

STREAM_TIMEOUT = 90.0
CACHED_COLOUR = "FF2FB344"  # green: starts at once
UNCACHED_COLOUR = "FFE0A030"  # amber: the service must download it first


def cache_marks() -> CacheMarks:
    """The words (and colours) the source select uses for cached and not cached streams."""
    return (
        f"[COLOR {CACHED_COLOUR}]{localize(strings.PLAY_CACHED)}[/COLOR]",
        f"[COLOR {UNCACHED_COLOUR}]{localize(strings.PLAY_NOT_CACHED)}[/COLOR]",
    )


def _tell(message: str, modal: bool = False) -> None:
    """An error for the user, after every busy or progress dialog is gone (a dialog opened
    under Kodi's busy spinner stays hidden behind it or cannot be answered)."""
    player.close_busy_dialogs()
    if modal:
        dialogs.ok(message)
    else:
        dialogs.notification(message, icon=dialogs.ERROR)


def preferences(settings: Settings) -> StreamPreferences:
    return StreamPreferences(
        autoplay=bool(settings.playback_autoplay),
        max_resolution=int(settings.playback_max_resolution or 0),
        hide_uncached=bool(settings.playback_hide_uncached),
    )


# ----------------------------------------------------------------------------- the route


def play(
    handle: int,
    params: Dict[str, str],
    *,
    settings: Optional[Settings] = None,
    client_factory: Optional[Callable[..., Any]] = None,
    resume_lookup: Optional[Callable[[PlayRequest], Optional[float]]] = None,
) -> str:
    """Resolve ``handle``; returns an outcome word for logs and tests. Never raises."""
    resolver = player.Resolver(handle)
    outcome = "error"
    try:
        outcome = _play(resolver, params, settings, client_factory, resume_lookup)
    except Exception:  # whatever happens, Kodi must not wait on this handle forever
        log.exception("play failed")
        _tell(localize(strings.PLAY_FAILED, error=localize(strings.UNEXPECTED_ERROR)))
        outcome = "error"
    finally:
        if resolver.answered is None:
            resolver.fail()
    log.info("Play finished: %s", outcome)
    return outcome


def _play(
    resolver: player.Resolver,
    params: Dict[str, str],
    settings: Optional[Settings],
    client_factory: Optional[Callable[..., Any]],
    resume_lookup: Optional[Callable[[PlayRequest], Optional[float]]],
) -> str:
    request = PlayRequest.from_params(params)
    if request is None:
        log.warning("Play refused: missing or invalid ids")
        dialogs.notification(localize(strings.PLAY_BAD_REQUEST), icon=dialogs.WARNING)
        return "invalid"
    settings = settings if settings is not None else load_settings()
    if not settings.aiostreams_manifest_url.strip():
        _tell(localize(strings.PLAY_NOT_CONFIGURED), modal=True)
        return "not_configured"
    prepared = take_prepared(request)
    found = (
        prepared.stream_list() if prepared else _fetch_streams(request, settings, client_factory)
    )
    if isinstance(found, str):
        return found
    prefs = preferences(settings)
    offered = offered_streams(found.streams, prefs)
    if request.exclude:
        offered = [s for s in offered if stream_key(s) != request.exclude]
    if not offered:
        dialogs.notification(localize(strings.PLAY_NO_STREAMS), icon=dialogs.WARNING)
        return "no_streams"
    preferred = prepared.preferred(offered) if prepared else None
    if preferred is not None:  # played when autoplay may start it, else listed first
        offered = [preferred] + [s for s in offered if s is not preferred]
    chosen = None if request.select else autoplay_choice(offered, prefs)
    if chosen is None:
        chosen = _ask(found, offered, settings)
        if chosen is None:
            return "cancelled"
    _resolve(resolver, request, chosen, offered, prefs, resume_lookup)
    return "resolved"


def take_prepared(request: PlayRequest, now: Optional[float] = None) -> Optional[PreparedStreams]:
    """The list Up Next prepared for this item, taken (the property is cleared: used once).
    A list for another item stays for its own play; a stale one for this item is dropped."""
    prepared = PreparedStreams.from_json(window.get_text(window.UPNEXT_PREPARED_PROPERTY))
    if prepared is None:
        return None
    now = time.time() if now is None else now
    if prepared.is_for(request.stremio_type, request.stremio_id(), now):
        window.clear(window.UPNEXT_PREPARED_PROPERTY)
        log.info("Using the streams prepared for %s (no request)", request.stremio_id())
        return prepared
    if prepared.stremio_id == request.stremio_id():
        window.clear(window.UPNEXT_PREPARED_PROPERTY)
        log.info("The streams prepared for %s are stale: fetching", request.stremio_id())
    return None


def _fetch_streams(
    request: PlayRequest, settings: Settings, client_factory: Optional[Callable[..., Any]]
) -> Any:
    """The StreamList, or an outcome word after telling the user what went wrong."""
    from resources.lib.kodi.progress import Progress

    started = time.monotonic()
    failure: Optional[Any] = None
    with Progress(localize(strings.PLAY_FETCHING)) as progress:

        def should_abort() -> bool:
            elapsed = time.monotonic() - started
            progress.update(min(95.0, 100.0 * elapsed / STREAM_TIMEOUT))
            return progress.iscanceled() or abort_requested()

        try:
            if client_factory is None:
                from resources.lib.aiostreams.client import AIOStreamsClient

                client_factory = AIOStreamsClient
            client = client_factory(
                settings.aiostreams_manifest_url.strip(),
                timeout=STREAM_TIMEOUT,
                should_abort=should_abort,
            )
            return client.streams(request.stremio_type, request.stremio_id())
        except aio_errors.Aborted:
            log.info("Stream fetch cancelled")
            return "cancelled"
        except aio_errors.AIOStreamsError as exc:
            failure = exc  # told below, once the progress dialog is closed
    message = display_text(failure.user_message) if failure is not None else ""
    if isinstance(failure, aio_errors.InstanceError):
        log.warning("AIOStreams returned an error stream")
        _tell(localize(strings.PLAY_INSTANCE_ERROR, message=message), modal=True)
        return "instance_error"
    log.warning("Stream fetch failed: %s", getattr(failure, "code", "error"))
    _tell(localize(strings.PLAY_FAILED, error=message))
    return "error"


def _ask(found: StreamList, offered: List[Stream], settings: Settings) -> Optional[Stream]:
    """The source select. Unplayable entries are listed (unless hidden) but cannot be chosen."""
    choices: List[Optional[Stream]] = list(offered)
    marks = cache_marks()
    rows = [(stream_label(s, marks), stream_label2(s)) for s in offered]
    if not settings.playback_hide_unplayable:
        for stream in found.streams:
            if not stream.playable:
                choices.append(None)
                rows.append(
                    (
                        localize(strings.PLAY_NOT_PLAYABLE, label=stream_label(stream, marks)),
                        stream_label2(stream),
                    )
                )
    while True:
        index = player.select_stream(localize(strings.PLAY_SELECT), rows)
        if index < 0 or index >= len(choices):
            log.info("Source select cancelled")
            return None
        if choices[index] is not None:
            return choices[index]
        dialogs.notification(localize(strings.PLAY_UNPLAYABLE_CHOSEN), icon=dialogs.WARNING)


def _resolve(
    resolver: player.Resolver,
    request: PlayRequest,
    stream: Stream,
    offered: List[Stream],
    prefs: StreamPreferences,
    resume_lookup: Optional[Callable[[PlayRequest], Optional[float]]],
) -> None:
    runtime = request.runtime
    if runtime is None and stream.duration_ms:
        runtime = stream.duration_ms / 60000.0
    progress = (resume_lookup or mirror_progress)(request) or 0.0
    resume = resume_seconds(progress, runtime)
    path = playback_url(stream)
    title = request.title or request.show_title
    info = player.PlaybackInfo(
        path=path,
        mime_type=mime_type(stream),
        subtitles=subtitle_urls(stream),
        mediatype=request.kind,
        title=title,
        tvshowtitle=request.show_title if request.kind == "episode" else "",
        season=request.season if request.kind == "episode" else None,
        episode=request.episode if request.kind == "episode" else None,
        unique_ids=request.unique_ids(),
        resume_seconds=resume,
        total_seconds=(runtime or 0.0) * 60.0,
    )
    media = request.media()
    if media is not None:
        now_playing = NowPlaying(
            media,
            path=path,
            runtime_minutes=runtime,
            resume_percent=progress,
            title=title,
            # No runtime, no resume point: the player monitor seeks once Kodi knows the length.
            seek_percent=progress if resume <= 0 and progress >= 1.0 else 0.0,
            traits=StreamTraits.of(stream).to_dict(),
        )
        retry = ""
        if prefs.autoplay and request.attempt < 2 and len(offered) > 1:
            retry = request.retry_url(stream)
        player.publish_now_playing(now_playing, retry)
    log.info(
        "Resolving %s %s with a %s stream (resume at %.0f s)",
        request.kind,
        request.stremio_id(),
        stream.resolution or "?",
        resume,
    )
    resolver.succeed(player.build_resolved_item(info))


def mirror_progress(request: PlayRequest) -> Optional[float]:
    """The saved progress (percent) of the item in the local mirror (no network)."""
    from resources.lib.database.trakt_sync.local_changes import PlayedItem
    from resources.lib.kodi.context import build_context

    if request.kind == "movie":
        item = PlayedItem("movie", trakt_id=request.trakt)
    else:
        item = PlayedItem(
            "episode",
            trakt_id=request.trakt,
            show_id=request.show,
            season=request.season,
            number=request.episode,
        )
    if not item.usable:
        return None
    ctx = build_context()
    try:
        return ctx.db.bookmark_progress(item)
    except Exception:
        log.warning("Could not read the resume point from the mirror", exc_info=True)
        return None
    finally:
        ctx.close()


__all__ = [
    "PlayRequest",
    "mirror_progress",
    "play",
    "play_url",
    "preferences",
    "stream_key",
    "take_prepared",
]
