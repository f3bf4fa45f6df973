"""Abortable HTTP GET and a request spacer that keeps the client under the instance's limits.

AIOStreams limits requests per IP (streams: 10 per 15 s). The client never bursts: the
:class:`RequestSpacer` keeps a minimum interval between requests to one host and can be pushed
further into the future by a 429 ``Retry-After`` or by ``RateLimit-*`` headers. Spacers are
shared per host inside one process (plugin calls are separate interpreters, so this is about
the service and tests, which may create several clients).
"""

from __future__ import annotations

import email.utils
import logging
import re
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Callable, Dict, Mapping, Optional, Tuple

from .errors import Aborted, RateLimited, Timeout, Unreachable

log = logging.getLogger(__name__)

AbortCheck = Optional[Callable[[], bool]]
_POLL_SECONDS = 0.1
TRANSIENT_STATUSES = (502, 503, 504)
TRANSIENT_RETRY_SECONDS = 1.0
DEFAULT_RATE_LIMIT_WAIT = 5.0  # a 429 without Retry-After


@dataclass
class HttpResponse:
    """A finished HTTP exchange. ``headers`` keys are lower-case."""

    status: int
    headers: Dict[str, str]
    body: bytes
    url: str = ""

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())


def redact_url(url: str) -> str:
    """Hide the user's uuid and password in a manifest or route URL for logging."""
    return re.sub(r"(/stremio/)(?:u/)?[^/]+/[^/]+", r"\1<redacted>", url)


def sleep_abortable(
    seconds: float,
    should_abort: AbortCheck = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Sleep ``seconds``, checking ``should_abort`` every 0.1 s; raise :class:`Aborted`."""
    remaining = max(0.0, seconds)
    while remaining > 0:
        if should_abort is not None and should_abort():
            raise Aborted("Cancelled.")
        step = min(_POLL_SECONDS, remaining)
        sleep(step)
        remaining -= step
    if should_abort is not None and should_abort():
        raise Aborted("Cancelled.")


class RequestSpacer:
    """Decides when the next request to one host may leave.

    ``min_interval`` is the spacing between two requests; :meth:`defer` pushes the next slot
    later (rate-limit answers). ``clock`` and ``sleep`` are injectable for tests.
    """

    def __init__(
        self,
        min_interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.min_interval = min_interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_at = 0.0

    def delay(self) -> float:
        """Seconds to wait before the next request may leave (0 when it may leave now)."""
        with self._lock:
            return max(0.0, self._next_at - self._clock())

    def acquire(self, should_abort: AbortCheck = None) -> float:
        """Wait for the next slot and claim it; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                wait = self._next_at - now
                if wait <= 0:
                    self._next_at = now + self.min_interval
                    return waited
            sleep_abortable(wait, should_abort, self._sleep)
            waited += wait

    def defer(self, seconds: float) -> None:
        """No request before ``seconds`` from now (never moves the next slot earlier)."""
        with self._lock:
            self._next_at = max(self._next_at, self._clock() + max(0.0, seconds))


_SPACERS: Dict[Tuple[str, str], RequestSpacer] = {}
_SPACERS_LOCK = threading.Lock()


def shared_spacer(url: str, min_interval: float) -> RequestSpacer:
    """The process-wide spacer for the host of ``url`` (created on first use)."""
    parts = urllib.parse.urlsplit(url)
    key = (parts.scheme, parts.netloc)
    with _SPACERS_LOCK:
        spacer = _SPACERS.get(key)
        if spacer is None:
            spacer = RequestSpacer(min_interval)
            _SPACERS[key] = spacer
        else:
            spacer.min_interval = max(spacer.min_interval, min_interval)
        return spacer


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def rate_limit_wait(headers: Mapping[str, str]) -> Optional[float]:
    """Seconds to hold off according to ``Retry-After`` / ``RateLimit-*`` headers, else None.

    Understands ``Retry-After``, the split draft headers (``RateLimit-Remaining: 0`` with
    ``RateLimit-Reset: <seconds>``) and the combined ``RateLimit: limit=10, remaining=0, reset=7``.
    """
    retry = parse_retry_after(headers.get("retry-after"))
    if retry is not None:
        return retry
    remaining = headers.get("ratelimit-remaining")
    reset = headers.get("ratelimit-reset")
    combined = headers.get("ratelimit")
    if combined:
        fields = dict(re.findall(r"(\w+)=(\d+(?:\.\d+)?)", combined))
        remaining = fields.get("remaining", remaining)
        reset = fields.get("reset", reset)
    try:
        if remaining is not None and float(remaining) <= 0 and reset is not None:
            return max(0.0, float(reset))
    except ValueError:
        return None
    return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None


def _perform(
    url: str, method: str, headers: Mapping[str, str], timeout: float, follow_redirects: bool
) -> HttpResponse:
    request = urllib.request.Request(url, method=method, headers=dict(headers))
    handlers = [] if follow_redirects else [_NoRedirect()]
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(request, timeout=timeout) as answer:
            body = answer.read()
            return HttpResponse(
                answer.status,
                {k.lower(): v for k, v in answer.headers.items()},
                body,
                answer.geturl(),
            )
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read()
        except (OSError, ValueError):
            body = b""
        headers_out = {k.lower(): v for k, v in (exc.headers or {}).items()}
        return HttpResponse(exc.code, headers_out, body, url)


@dataclass
class _Outcome:
    response: Optional[HttpResponse] = None
    error: Optional[BaseException] = None
    done: threading.Event = field(default_factory=threading.Event)


def _describe(exc: BaseException) -> str:
    """Plain words for a low-level error: ``connection refused``, not ``[Errno 111] ...``."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, BaseException):
        exc = reason
    elif reason is not None:
        return str(reason)
    text = getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
    return re.sub(r"^\[Errno -?\d+\]\s*", "", str(text)).strip().lower()


def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: Optional[Mapping[str, str]] = None,
    timeout: float = 60.0,
    should_abort: AbortCheck = None,
    follow_redirects: bool = True,
) -> HttpResponse:
    """One HTTP request; non-2xx answers are returned, not raised.

    Raises :class:`Timeout`, :class:`Unreachable`, or :class:`Aborted` when ``should_abort()``
    turns true while waiting (the request runs in a daemon thread that is left to finish on its
    own; urllib cannot be interrupted).
    """
    outcome = _Outcome()

    def work() -> None:
        try:
            outcome.response = _perform(url, method, headers or {}, timeout, follow_redirects)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            outcome.error = exc
        finally:
            outcome.done.set()

    if should_abort is None:
        work()
    else:
        threading.Thread(target=work, name="aiostreams-http", daemon=True).start()
        while not outcome.done.wait(_POLL_SECONDS):
            if should_abort():
                raise Aborted("Cancelled.")
    if outcome.error is not None:
        exc = outcome.error
        if isinstance(exc, (socket.timeout, TimeoutError)) or "timed out" in _describe(exc):
            raise Timeout("The AIOStreams instance did not answer in time.", _describe(exc))
        if isinstance(exc, (urllib.error.URLError, OSError, ssl.SSLError, ValueError)):
            raise Unreachable("Could not reach the AIOStreams instance.", _describe(exc))
        raise exc
    assert outcome.response is not None
    return outcome.response


class PacedClient:
    """The GET loop both AIOStreams clients share: paced by the host's spacer, 429s waited out.

    A subclass sets the attributes below in its ``__init__``. A 429 is retried after its
    ``Retry-After`` (or 5 s) at most ``max_retries`` times and never past
    ``max_rate_limit_wait``; with ``retry_transient``, one 502/503/504 is tried once more after
    a second. ``request_count`` counts every request sent.
    """

    retry_transient = False
    spacer: RequestSpacer
    should_abort: AbortCheck
    timeout: float
    user_agent: str
    max_retries: int
    max_rate_limit_wait: float
    request_count: int

    def paced_get(self, url: str) -> HttpResponse:
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        attempt = 0
        transient_retried = not self.retry_transient
        while True:
            self.spacer.acquire(self.should_abort)
            self.request_count += 1
            started = time.monotonic()
            response = fetch(
                url, headers=headers, timeout=self.timeout, should_abort=self.should_abort
            )
            log.debug(
                "GET %s -> %d in %.2fs",
                redact_url(url),
                response.status,
                time.monotonic() - started,
            )
            wait = rate_limit_wait(response.headers)
            if response.status == 429:
                attempt += 1
                wait = DEFAULT_RATE_LIMIT_WAIT if wait is None else wait
                self.spacer.defer(wait)
                if attempt > self.max_retries or wait > self.max_rate_limit_wait:
                    raise RateLimited(
                        f"AIOStreams is rate-limiting requests: try again in {wait:.0f} s.",
                        retry_after=wait,
                    )
                log.info("AIOStreams rate limit: waiting %.1f s before retry %d", wait, attempt)
                continue
            if response.status in TRANSIENT_STATUSES and not transient_retried:
                transient_retried = True
                log.info("AIOStreams answered HTTP %d: trying once more", response.status)
                sleep_abortable(TRANSIENT_RETRY_SECONDS, self.should_abort)
                continue
            if wait is not None:
                # Allowance used up: the next request (whoever sends it) waits for the reset.
                self.spacer.defer(wait)
            return response


__all__ = [
    "HttpResponse",
    "PacedClient",
    "RequestSpacer",
    "fetch",
    "parse_retry_after",
    "rate_limit_wait",
    "redact_url",
    "shared_spacer",
    "sleep_abortable",
]
