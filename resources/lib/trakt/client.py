"""The Trakt API client used by the sync engine, the plugin and the CLI.

``TraktClient`` adds to the single-request transport: required headers, bearer tokens with
early and on-401 refresh (through :mod:`.auth`), bounded retries with exponential backoff,
429 handling, client-side rate pacing, one ``paginate()`` for every paginated endpoint, and
typed errors. All waits are abortable through ``should_abort``, including a request in flight
(the transport checks it between short socket waits); ``sleep`` and the clocks are
injectable so tests run without real waiting.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from typing import Any, Callable, Dict, Iterator, Optional, Tuple
from urllib.parse import urlsplit

from ..constants import DEFAULT_TRAKT_URL
from . import auth, errors, retry_after
from .http import HttpTransport, Response, TransportError, build_url, user_agent
from .oauth_transport import OAuthTransport
from .ratelimit import RateLimiter
from .tokens import Tokens, TokenStore

log = logging.getLogger(__name__)

MAX_PAGE_LIMIT = 250
# Waits are cut into slices this long so should_abort()/should_cancel() are seen quickly.
WAIT_SLICE = 0.25
# Statuses that mean the request never reached Trakt's application: safe to resend even a
# non-idempotent write (Trakt does not de-duplicate plays sent twice).
_NOT_PROCESSED = frozenset((503, 521, 522))


class TraktClient:
    """Trakt API v2 client. See docs/ARCHITECTURE.md "Trakt client" for the contract."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        token_store: Optional[TokenStore] = None,
        api_url: str = DEFAULT_TRAKT_URL,
        oauth_url: str = DEFAULT_TRAKT_URL,
        should_abort: Optional[Callable[[], bool]] = None,
        timeout: float = 30.0,
        *,
        kodi_version: Optional[str] = None,
        max_retries: int = 3,
        retry_base: float = 1.0,
        backoff_cap: float = 30.0,
        max_rate_limit_retries: int = 3,
        retry_after_cap: float = 60.0,
        get_budget: int = 950,
        get_window: float = 300.0,
        write_interval: float = 1.0,
        refresh_margin: float = 600.0,
        lock_timeout: float = 90.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_store = token_store
        self.api_url = api_url.rstrip("/")
        self.oauth_url = oauth_url.rstrip("/")
        self.should_abort = should_abort
        # True: a failed connection is not retried (a sync's view, for_run: fail at once).
        self.fail_fast_connect = False
        self.timeout = timeout
        self.user_agent = user_agent(kodi_version)
        self.max_retries = max_retries
        self.retry_base = retry_base
        self.backoff_cap = backoff_cap
        self.max_rate_limit_retries = max_rate_limit_retries
        self.retry_after_cap = retry_after_cap
        self.refresh_margin = refresh_margin
        self.lock_timeout = lock_timeout
        self._sleep = sleep
        self._monotonic = monotonic
        self._now = now
        self._transport = HttpTransport(timeout=timeout, monotonic=monotonic)
        self.limiter = RateLimiter(
            monotonic,
            self._wait,
            get_budget=get_budget,
            get_window=get_window,
            write_interval=write_interval,
        )
        # Pacing from Trakt's own count: every response's X-Ratelimit (see ratelimit.py).
        self._transport.observers.append(self.limiter.observe)
        for url in (self.api_url, self.oauth_url):
            if urlsplit(url).scheme not in ("http", "https"):
                raise ValueError("Trakt URLs must be http(s)")

    # -- public API ---------------------------------------------------------------------
    @property
    def request_count(self) -> int:
        """HTTP requests actually sent (retries included, connection failures excluded)."""
        return self._transport.requests_sent

    def for_run(
        self, should_abort: Optional[Callable[[], bool]] = None, fail_fast_connect: bool = False
    ) -> TraktClient:
        """A view of this client for one run with its own ``should_abort`` (replacing this
        client's) and ``fail_fast_connect``, sharing the transport, rate limiter and token
        store: concurrent users of one client never see another's abort."""
        view = copy.copy(self)
        view.should_abort = should_abort
        view.fail_fast_connect = fail_fast_connect
        return view

    def close(self) -> None:
        """Close the keep-alive connections."""
        self._transport.close()

    def __enter__(self) -> TraktClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def is_authorized(self) -> bool:
        """Tokens are stored and the store is not marked needs-reauth (no network)."""
        store = self.token_store
        return store is not None and not store.needs_reauth() and store.load() is not None

    def get(self, path: str, params: Optional[Dict[str, Any]] = None, auth: bool = True) -> Any:
        """GET ``path``; the decoded JSON (None for an empty body)."""
        return self._call("GET", path, params=params, auth=auth)[1]

    def post(self, path: str, body: Any = None, auth: bool = True, idempotent: bool = False) -> Any:
        """POST ``body`` as JSON; writes are spaced ``write_interval`` apart.

        A non-idempotent POST (the default) is resent only when it certainly did not reach
        Trakt (connect failure, 429, 503/521/522); pass ``idempotent=True`` for writes that
        are safe to repeat (watchlist add, scrobble) to retry them like GETs.
        """
        return self._call("POST", path, body=body, auth=auth, idempotent=idempotent)[1]

    def put(self, path: str, body: Any = None, auth: bool = True) -> Any:
        return self._call("PUT", path, body=body, auth=auth, idempotent=True)[1]

    def delete(self, path: str, auth: bool = True) -> Any:
        """DELETE ``path``; decoded JSON or None (204)."""
        return self._call("DELETE", path, auth=auth, idempotent=True)[1]

    def paginate(
        self,
        path: str,
        params: Optional[Dict[str, Any]] = None,
        limit: int = MAX_PAGE_LIMIT,
        auth: bool = True,
    ) -> Iterator[Any]:
        """Every item of every page of ``path``, in order.

        Always sends ``page`` and ``limit``; follows ``X-Pagination-Page-Count`` and the
        ``X-Pagination-Limit`` the server actually used. A short or empty page is the last one,
        whatever the totals say: some Trakt endpoints send made-up ``X-Pagination-Item-Count``
        (and page counts derived from it). Without a page count, a full page is followed by
        another only while the item count says more items exist. Checks ``should_abort``
        between pages.
        """
        page = 1
        page_limit = max(1, min(int(limit), MAX_PAGE_LIMIT))
        page_count: Optional[int] = None
        seen = 0
        while True:
            if page > 1:
                self._check_abort()
            query = dict(params or {})
            query["page"] = page
            query["limit"] = page_limit
            resp, data = self._call("GET", path, params=query, auth=auth)
            if not isinstance(data, list):
                raise errors.BadResponse(
                    "paginated response is not a list", status=resp.status, method="GET", path=path
                )
            yield from data
            seen += len(data)
            reported_count = resp.header_int("X-Pagination-Page-Count")
            reported_limit = resp.header_int("X-Pagination-Limit")
            if reported_limit is not None and 0 < reported_limit != page_limit:
                # Page numbers only line up when every page uses the limit the server applies.
                log.debug("GET %s: server limit %d instead of %d", path, reported_limit, page_limit)
                page_limit = reported_limit
            if len(data) < page_limit:
                return  # short or empty: the last page, whatever the totals claim
            if reported_count is not None:
                page_count = reported_count
            if page_count is None:
                item_count = resp.header_int("X-Pagination-Item-Count")
                if item_count is None or seen >= item_count:
                    return
            elif page >= page_count:
                return
            page += 1

    def request_device_code(self) -> auth.DeviceCode:
        """Start the device flow: the code to show, the URL, expiry and poll interval."""
        return auth.request_device_code(self.oauth())

    def poll_device_token(
        self, code: auth.DeviceCode, should_cancel: Optional[Callable[[], bool]] = None
    ) -> Tokens:
        """Poll until the user approves (tokens saved) or the flow fails with a typed error."""
        return auth.poll_device_token(self.oauth(), code, should_cancel)

    def revoke(self) -> bool:
        """Sign out: revoke the access token at Trakt (best effort) and clear the store.

        Returns True when Trakt confirmed the revocation.
        """
        return auth.revoke(self.oauth())

    # -- requests -----------------------------------------------------------------------
    def _headers(self, access_token: Optional[str]) -> Dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "trakt-api-key": self.client_id,
            "trakt-api-version": "2",
            "User-Agent": self.user_agent,
        }
        if access_token:
            headers["Authorization"] = "Bearer " + access_token
        return headers

    def _call(
        self,
        method: str,
        path: str,
        params: Optional[Dict[str, Any]] = None,
        body: Any = None,
        auth: bool = True,
        idempotent: Optional[bool] = None,
        base: Optional[str] = None,
    ) -> Tuple[Response, Any]:
        """One logical request: tokens, retries, one refresh + one retry on 401, typed errors."""
        if idempotent is None:
            idempotent = method != "POST"
        url = build_url(base or self.api_url, path, params)
        payload = None if body is None else json.dumps(body).encode("utf-8")
        tokens = self._authenticator().valid_tokens() if auth else None
        resp, data = self._exchange(
            method,
            url,
            path,
            self._headers(tokens.access_token if tokens else None),
            payload,
            idempotent,
        )
        if resp.status == 401 and tokens is not None:
            log.info("%s %s -> 401: refreshing the token once", method, path)
            tokens = self._authenticator().refresh(tokens)
            resp, data = self._exchange(
                method, url, path, self._headers(tokens.access_token), payload, idempotent
            )
        if 200 <= resp.status < 300:
            return resp, data
        raise self._error(resp, method, path)

    def _authenticator(self) -> auth.Authenticator:
        if self.token_store is None:
            raise errors.ReauthorizationRequired("no token store configured")
        return auth.Authenticator(self.oauth())

    def oauth(self) -> OAuthTransport:
        """What the OAuth flows and the Authenticator get from this client (see auth.py)."""
        return OAuthTransport(self)

    def _error(self, resp: Response, method: str, path: str) -> errors.TraktError:
        detail = None
        if "json" in resp.headers.get("content-type", ""):
            try:
                body = json.loads(resp.body.decode("utf-8"))
                if isinstance(body, dict) and isinstance(body.get("error"), str):
                    detail = body["error"]
            except (UnicodeDecodeError, ValueError):
                pass
        err = errors.error_for_status(resp.status, resp.headers, method, path, detail)
        if isinstance(err, errors.RateLimited):
            err.retry_after = self._retry_after(resp, 0)
        return err

    def _exchange(
        self,
        method: str,
        url: str,
        path: str,
        headers: Dict[str, str],
        body: Optional[bytes],
        idempotent: bool,
        retry: bool = True,
    ) -> Tuple[Response, Any]:
        """Send with bounded retries. Returns the final response and, for 2xx, its JSON.

        Raises :class:`errors.NetworkError` / :class:`errors.BadResponse` when no usable
        response arrives after the retries; other final statuses are returned to the caller.
        """
        failures = 0
        rate_limited = 0
        while True:
            self.limiter.acquire(method, self._wait)
            started = self._monotonic()
            try:
                # Aborted (raised mid-request too) is not a TransportError: never retried.
                resp = self._transport.send(
                    method, url, headers, body, should_abort=self.should_abort
                )
            except TransportError as exc:
                log.warning("%s %s failed: %s", method, path, exc)
                fail_fast = self.fail_fast_connect and exc.kind == "connect"
                if (
                    retry
                    and not fail_fast
                    and failures < self.max_retries
                    and (idempotent or not exc.sent)
                ):
                    self._wait(self._backoff(failures))
                    failures += 1
                    continue
                cls = errors.BadResponse if exc.kind == "truncated" else errors.NetworkError
                error = cls(
                    f"{method} {path}: {exc.kind} after {failures + 1} attempts",
                    method=method,
                    path=path,
                )
                error.transport = exc.kind  # type: ignore[attr-defined]
                raise error from None
            log.debug(
                "%s %s -> %d (%.0f ms)",
                method,
                path,
                resp.status,
                (self._monotonic() - started) * 1000,
            )
            status = resp.status
            if status == 429:
                if retry and rate_limited < self.max_rate_limit_retries:
                    delay = self._retry_after(resp, rate_limited)
                    log.warning("%s %s -> 429: waiting %.1f s", method, path, delay)
                    self._wait(delay)
                    rate_limited += 1
                    continue
                return resp, None
            if status >= 500:
                retryable = idempotent or status in _NOT_PROCESSED
                if retry and retryable and failures < self.max_retries:
                    delay = self._backoff(failures)
                    if "retry-after" in resp.headers:
                        delay = max(delay, self._retry_after(resp, failures))
                    log.warning("%s %s -> %d: retrying in %.1f s", method, path, status, delay)
                    self._wait(delay)
                    failures += 1
                    continue
                return resp, None
            if 200 <= status < 300:
                try:
                    return resp, resp.json()
                except errors.BadResponse as exc:
                    log.warning("%s %s -> %d with a bad body: %s", method, path, status, exc)
                    if retry and idempotent and failures < self.max_retries:
                        self._wait(self._backoff(failures))
                        failures += 1
                        continue
                    raise errors.BadResponse(
                        str(exc), status=status, method=method, path=path
                    ) from None
            return resp, None

    # -- waiting ------------------------------------------------------------------------
    def _backoff(self, failures: int) -> float:
        return min(self.retry_base * (2**failures), self.backoff_cap)

    def _retry_after(self, resp: Response, attempt: int) -> float:
        """Seconds to wait after a 429 (or a 5xx with Retry-After), capped."""
        delay = retry_after.seconds_to_wait(resp.headers, self._now())
        if delay is None or delay != delay:  # missing or NaN
            delay = self._backoff(attempt)
        return max(0.0, min(delay, self.retry_after_cap))

    def _check_abort(self) -> None:
        if self.should_abort is not None and self.should_abort():
            raise errors.Aborted()

    def _wait(self, seconds: float, should_cancel: Optional[Callable[[], bool]] = None) -> None:
        """Sleep ``seconds`` in slices; raise Aborted / DeviceAuthCancelled as soon as asked."""
        end = self._monotonic() + max(0.0, seconds)
        while True:
            self._check_abort()
            if should_cancel is not None and should_cancel():
                raise errors.DeviceAuthCancelled()
            remaining = end - self._monotonic()
            if remaining <= 0:
                return
            self._sleep(min(remaining, WAIT_SLICE))
