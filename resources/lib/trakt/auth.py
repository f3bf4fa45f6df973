"""Trakt OAuth: the device-code flow, token refresh serialised across processes, revoke.

Refresh tokens are single-use, so a refresh happens only under the token store's cross-process
lock, after re-reading the token file: when another interpreter (the service, a plugin call)
refreshed in the meantime, its tokens are used and Trakt is not called. The refresh request is
never resent by the client's retry loop: a lost answer may already have spent the refresh token.

Why ``/oauth/token`` refused decides what happens to the tokens:

* ``invalid_grant`` (400 or 401): the refresh token is dead; the store is marked needs-reauth and
  from then on authenticated calls fail fast without any HTTP request (authorise again);
* ``invalid_client`` (or 403): the add-on's app id or secret are wrong, not the user's sign-in:
  :class:`errors.AppCredentialsRejected`, tokens kept;
* any other 401: :class:`errors.Unauthorized`, tokens kept (a burst of 401s must not sign out),
  and the same refresh token is not tried again in this process for a minute (one request);
* 5xx, a lost or unreadable answer (HTML, bad JSON): transient, tokens kept, tried again later.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

from . import errors
from .tokens import Tokens

if TYPE_CHECKING:  # pragma: no cover
    from .protocols import OAuthTransport

log = logging.getLogger(__name__)

REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
SLOW_DOWN_STEP = 5.0
DEFAULT_INTERVAL = 5.0
DEFAULT_EXPIRES_IN = 600.0
# After Trakt refused a refresh with a plain 401 (tokens kept), the same refresh token is not
# tried again in this process for this long: a burst of 401s costs one refresh request.
REFUSED_REFRESH_QUIET = 60.0
_refused: Dict[str, float] = {}  # token file + refresh token fingerprint -> when refused
_refused_lock = threading.Lock()


def _refusal_key(store: Any, token: str) -> str:
    return "%s:%s" % (getattr(store, "path", ""), hashlib.sha256(token.encode()).hexdigest()[:16])


class DeviceCode:
    """A device-code grant in progress. ``device_code`` is secret: it is never shown or logged."""

    __slots__ = (
        "device_code",
        "user_code",
        "verification_url",
        "expires_in",
        "interval",
        "requested_at",
    )

    def __init__(
        self,
        device_code: str,
        user_code: str,
        verification_url: str,
        expires_in: float = DEFAULT_EXPIRES_IN,
        interval: float = DEFAULT_INTERVAL,
        requested_at: Optional[float] = None,
    ) -> None:
        self.device_code = device_code
        self.user_code = user_code
        self.verification_url = verification_url
        self.expires_in = expires_in
        self.interval = interval
        # Client monotonic time of the request; expiry counts from here.
        self.requested_at = requested_at

    def __repr__(self) -> str:
        return (
            f"DeviceCode(user_code={self.user_code!r}, verification_url="
            f"{self.verification_url!r}, expires_in={self.expires_in}, interval={self.interval})"
        )


def _number(value: Any, default: float) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    return default


def request_device_code(client: OAuthTransport) -> DeviceCode:
    """``POST /oauth/device/code``; raises a typed error when Trakt refuses."""
    path = "/oauth/device/code"
    resp, data = client.post(path, {"client_id": client.client_id}, idempotent=True)
    if not 200 <= resp.status < 300:
        raise client.error(resp, path)
    if not isinstance(data, dict):
        raise errors.BadResponse("device code response is not an object", status=resp.status)
    device_code = data.get("device_code")
    user_code = data.get("user_code")
    if not isinstance(device_code, str) or not isinstance(user_code, str):
        raise errors.BadResponse("device code response without codes", status=resp.status)
    url = data.get("verification_url")
    return DeviceCode(
        device_code,
        user_code,
        url if isinstance(url, str) and url else "https://trakt.tv/activate",
        _number(data.get("expires_in"), DEFAULT_EXPIRES_IN),
        _number(data.get("interval"), DEFAULT_INTERVAL),
        requested_at=client.monotonic(),
    )


_DEVICE_FAILURES = {
    404: errors.DeviceCodeInvalid,
    409: errors.DeviceCodeUsed,
    410: errors.DeviceCodeExpired,
    418: errors.DeviceCodeDenied,
}


def poll_device_token(
    client: OAuthTransport,
    code: DeviceCode,
    should_cancel: Optional[Callable[[], bool]] = None,
) -> Tokens:
    """Poll ``POST /oauth/device/token`` every ``interval`` s until approved, failed or expired.

    On success the tokens are saved to the client's store (when it has one) and returned.
    ``should_cancel`` (and the client's ``should_abort``) are checked every 0.25 s.
    """
    path = "/oauth/device/token"
    payload = {
        "code": code.device_code,
        "client_id": client.client_id,
        "client_secret": client.client_secret,
    }
    interval = _number(code.interval, DEFAULT_INTERVAL)
    start = code.requested_at if code.requested_at is not None else client.monotonic()
    deadline = start + _number(code.expires_in, DEFAULT_EXPIRES_IN)
    while True:
        remaining = deadline - client.monotonic()
        if remaining <= 0:
            raise errors.DeviceCodeExpired("device code expired while polling")
        client.wait(min(interval, remaining), should_cancel)
        if client.monotonic() >= deadline:
            raise errors.DeviceCodeExpired("device code expired while polling")
        try:
            resp, data = client.post(path, payload, idempotent=False, retry=False)
        except errors.NetworkError as exc:
            log.warning("Device token poll failed (%s): polling on", exc)
            continue
        status = resp.status
        if 200 <= status < 300:
            tokens = Tokens.from_response(data, client.now())
            if client.token_store is not None:
                client.token_store.save(tokens)
            log.info("Trakt device authorisation approved; tokens saved")
            return tokens
        if status == 400:
            continue  # pending: the user has not entered the code yet
        if status in _DEVICE_FAILURES:
            raise _DEVICE_FAILURES[status](f"device token poll -> {status}", status=status)
        if status == 429:
            interval += SLOW_DOWN_STEP
            if "retry-after" in resp.headers:
                interval = max(interval, client.retry_after(resp, 0))
            log.info("Device token poll -> 429 slow down: interval now %.0f s", interval)
            continue
        if status >= 500:
            log.warning("Device token poll -> %d: polling on", status)
            continue
        raise client.error(resp, path)


class Authenticator:
    """Valid access tokens for a client: refreshes early or after a 401, once, under lock.

    Works through the client's :class:`.protocols.OAuthTransport` (``client.oauth()``)."""

    def __init__(self, transport: OAuthTransport) -> None:
        self.transport = transport
        store = transport.token_store
        if store is None:
            raise errors.ReauthorizationRequired("no token store configured")
        self.store = store

    def valid_tokens(self) -> Tokens:
        """Tokens usable now; refreshes when they expire within ``refresh_margin``.

        Raises :class:`errors.ReauthorizationRequired` without any HTTP request when the store
        has no tokens or is marked needs-reauth.
        """
        if self.store.needs_reauth():
            raise errors.ReauthorizationRequired("token store is marked needs-reauth")
        tokens = self.store.load()
        if tokens is None:
            raise errors.ReauthorizationRequired("no Trakt tokens stored")
        if tokens.expires_within(self.transport.refresh_margin, self.transport.now()):
            log.info("Trakt access token expires soon: refreshing")
            return self.refresh(tokens)
        return tokens

    def refresh(self, stale: Tokens) -> Tokens:
        """Replace ``stale`` tokens, unless another process already did (then reuse theirs)."""
        with self.store.lock(self.transport.lock_timeout, self.transport.should_abort):
            if self.store.needs_reauth():
                raise errors.ReauthorizationRequired("token store is marked needs-reauth")
            current = self.store.load()
            if current is None:
                raise errors.ReauthorizationRequired("no Trakt tokens stored")
            if current.refresh_token != stale.refresh_token:
                log.info("Trakt tokens were already refreshed by another process")
                return current
            with _refused_lock:
                refused_at = _refused.get(_refusal_key(self.store, current.refresh_token))
            if (
                refused_at is not None
                and self.transport.monotonic() - refused_at < REFUSED_REFRESH_QUIET
            ):
                raise errors.Unauthorized("refresh refused moments ago: not tried again yet")
            return self._refresh_now(current)

    def _refresh_now(self, current: Tokens) -> Tokens:
        client = self.transport
        path = "/oauth/token"
        body = {
            "refresh_token": current.refresh_token,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "redirect_uri": REDIRECT_URI,
            "grant_type": "refresh_token",
        }
        # Not idempotent: resent only when it certainly did not reach Trakt (see the docstring).
        resp, data = client.post(path, body, idempotent=False)
        status = resp.status
        if 200 <= status < 300:
            tokens = Tokens.from_response(data, client.now())
            self.store.save(tokens)
            log.info("Trakt access token refreshed")
            return tokens
        reason = _oauth_error(resp.body)
        where = {"status": status, "method": "POST", "path": path}
        if reason == "invalid_grant" and status in (400, 401):
            log.warning("Trakt refused the refresh token (%d invalid_grant): re-authorise", status)
            self.store.mark_needs_reauth()
            raise errors.ReauthorizationRequired("refresh rejected: invalid_grant", **where)
        if reason == "invalid_client" or status == 403:
            log.warning("Trakt rejected the app's client id or secret (%d): tokens kept", status)
            raise errors.AppCredentialsRejected("refresh refused: invalid_client", **where)
        if status == 401:
            log.warning("Trakt refused the refresh (401 %s): tokens kept", (reason or "-")[:40])
            with _refused_lock:
                _refused[_refusal_key(self.store, current.refresh_token)] = client.monotonic()
            raise errors.Unauthorized("refresh refused without invalid_grant", **where)
        if 400 <= status < 500 and reason is None:
            # An answer we cannot read is no verdict on the tokens: try again later.
            raise errors.BadResponse("unreadable refresh refusal", **where)
        raise client.error(resp, path)


def _oauth_error(body: bytes) -> Optional[str]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, str) else None


def revoke(client: OAuthTransport) -> bool:
    """Revoke the access token (best effort) and always clear the local store."""
    store = client.token_store
    if store is None:
        return False
    tokens = store.load()
    confirmed = False
    try:
        if tokens is not None:
            path = "/oauth/revoke"
            body = {
                "token": tokens.access_token,
                "client_id": client.client_id,
                "client_secret": client.client_secret,
            }
            try:
                resp, _ = client.post(path, body, idempotent=True)
                confirmed = 200 <= resp.status < 300
                if not confirmed:
                    log.warning("Trakt token revoke -> %d; signing out locally", resp.status)
            except errors.TraktError as exc:
                log.warning("Trakt token revoke failed (%s); signing out locally", exc)
    finally:
        store.clear()
    return confirmed
