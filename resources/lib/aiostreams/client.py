"""Fetch streams from an AIOStreams instance.

The client sends ``User-Agent: AIOStreams/Kodi-<add-on version>`` so the instance adds
``streamData`` to every stream, waits generously (an instance may wait up to ~50 s on slow
upstream add-ons), can be aborted through ``should_abort()``, and never bursts: requests to one
host are spaced by ``min_interval`` (AIOStreams allows 10 stream requests per 15 s) and a 429 or
exhausted ``RateLimit-*`` headers push the next request back. Error streams that arrive as HTTP
200 become :class:`errors.InstanceError` (or :class:`errors.RateLimited`) with the instance's
text.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Callable, Optional

from . import errors
from .http import PacedClient, RequestSpacer, shared_spacer
from .manifest import USER_AGENT, instance_error_text, parse_manifest_url
from .streams import StreamList, parse_streams
from .text import display_text

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60.0
DEFAULT_MIN_INTERVAL = 1.5  # 10 stream requests per 15 s, never in a burst
DEFAULT_MAX_RETRIES = 2
# A reverse proxy's answer while the instance behind it restarts: worth one more try.
MAX_RATE_LIMIT_WAIT = 30.0  # longer than this: give up and tell the user

_IMDB_ID = re.compile(r"^tt\d+$")
_RATE_LIMIT_WORDS = re.compile(r"rate.?limit|too many requests", re.IGNORECASE)


def movie_id(imdb_id: str) -> str:
    """Stremio id of a movie (``tt1234567``); raise ValueError on anything else."""
    if not _IMDB_ID.match(imdb_id or ""):
        raise ValueError(f"not an IMDb id: {imdb_id!r}")
    return imdb_id


def episode_id(imdb_id: str, season: int, episode: int) -> str:
    """Stremio id of an episode: ``tt1234567:<season>:<episode>``."""
    return f"{movie_id(imdb_id)}:{int(season)}:{int(episode)}"


class AIOStreamsClient(PacedClient):
    """Client for one AIOStreams manifest URL.

    ``spacer`` is injectable for tests; by default the process-wide spacer for the
    host is used, so two clients in the service never burst together. A 502/503/504 is tried
    once more (a stream search is worth one second).
    """

    retry_transient = True

    def __init__(
        self,
        manifest_url: str,
        *,
        user_agent: str = USER_AGENT,
        timeout: float = DEFAULT_TIMEOUT,
        min_interval: float = DEFAULT_MIN_INTERVAL,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_rate_limit_wait: float = MAX_RATE_LIMIT_WAIT,
        should_abort: Optional[Callable[[], bool]] = None,
        spacer: Optional[RequestSpacer] = None,
    ) -> None:
        self.manifest = parse_manifest_url(manifest_url)
        if "AIOStreams/" not in user_agent:
            user_agent = f"{USER_AGENT} {user_agent}".strip()
        self.user_agent = user_agent
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_rate_limit_wait = max_rate_limit_wait
        self.should_abort = should_abort
        self.spacer = spacer or shared_spacer(self.manifest.base_url, min_interval)
        self.request_count = 0

    # -- public API -------------------------------------------------------------------------

    def movie_streams(self, imdb_id: str) -> StreamList:
        """Streams for a movie (``tt…``)."""
        return self.streams("movie", movie_id(imdb_id))

    def episode_streams(self, imdb_id: str, season: int, episode: int) -> StreamList:
        """Streams for an episode of a show (``tt…:S:E``)."""
        return self.streams("series", episode_id(imdb_id, season, episode))

    def streams(self, media_type: str, stremio_id: str) -> StreamList:
        """Streams for any Stremio id; raises :class:`errors.InstanceError` for an error stream.

        When the answer holds playable streams and also some error streams (one upstream add-on
        failed), the streams are returned and the errors stay in ``StreamList.errors``; when
        nothing playable is left (only torrents, say), the error streams' own text is raised.
        """
        if media_type not in ("movie", "series"):
            raise ValueError("media_type must be 'movie' or 'series'")
        path = f"stream/{media_type}/{stremio_id}.json"
        result = parse_streams(self._get_json(path))
        message = result.unplayable_message
        if message is not None:
            if _RATE_LIMIT_WORDS.search(message):
                raise errors.RateLimited(message)
            raise errors.InstanceError(message)
        for text in result.error_messages:
            log.warning("AIOStreams reported an upstream error: %s", text)
        log.info(
            "AIOStreams %s %s: %d streams (%d playable), %d errors",
            media_type,
            stremio_id,
            len(result.streams),
            len(result.playable),
            len(result.errors),
        )
        return result

    def fetch_manifest(self) -> Any:
        """The instance's manifest (decoded JSON)."""
        return self._get_json("manifest.json")

    # -- transport --------------------------------------------------------------------------

    def _get_json(self, path: str) -> Any:
        response = self.paced_get(self.manifest.route(path))
        return self._decode(response.status, response.body)

    def _decode(self, status: int, body: bytes) -> Any:
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            payload = None
        if status >= 400:
            message = display_text(instance_error_text(payload) or "")
            if message:
                raise errors.InstanceError(message)
            raise errors.HttpError(
                status, f"AIOStreams answered HTTP {status}.", body[:200].decode("utf-8", "replace")
            )
        if payload is None:
            raise errors.BadResponse("AIOStreams sent an answer that is not JSON.")
        return payload


__all__ = ["AIOStreamsClient", "episode_id", "movie_id"]
