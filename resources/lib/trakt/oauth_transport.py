"""The OAuth side of a Trakt client: what :mod:`.auth` needs from it, and nothing more.

The device-code flow, token refresh and revoke send ``POST``s to the OAuth URL without a bearer
token, through the client's retry loop, rate limiter and abortable waits. ``OAuthTransport``
gives them exactly that (see :class:`.protocols.OAuthTransport`), so ``auth`` never reaches
into the client's private members.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple

from . import errors
from .http import Response, build_url
from .tokens import TokenStore

if TYPE_CHECKING:  # pragma: no cover
    from .client import TraktClient


class OAuthTransport:
    """Unauthenticated JSON ``POST``s to one client's OAuth URL, plus its clocks and waits."""

    def __init__(self, client: TraktClient) -> None:
        self._client = client
        self.client_id: str = client.client_id
        self.client_secret: str = client.client_secret
        self.token_store: Optional[TokenStore] = client.token_store
        self.refresh_margin: float = client.refresh_margin
        self.lock_timeout: float = client.lock_timeout
        self.should_abort: Optional[Callable[[], bool]] = client.should_abort

    def post(
        self, path: str, body: Dict[str, Any], idempotent: bool, retry: bool = True
    ) -> Tuple[Response, Any]:
        """The final response and, for 2xx, its JSON (other statuses are the caller's)."""
        client = self._client
        return client._exchange(
            "POST",
            build_url(client.oauth_url, path),
            path,
            client._headers(None),
            json.dumps(body).encode("utf-8"),
            idempotent=idempotent,
            retry=retry,
        )

    def error(self, resp: Response, path: str) -> errors.TraktError:
        """The typed error for a refused ``POST path``."""
        return self._client._error(resp, "POST", path)

    def retry_after(self, resp: Response, attempt: int) -> float:
        return self._client._retry_after(resp, attempt)

    def wait(self, seconds: float, should_cancel: Optional[Callable[[], bool]] = None) -> None:
        """Abortable sleep (raises Aborted / DeviceAuthCancelled)."""
        self._client._wait(seconds, should_cancel)

    def monotonic(self) -> float:
        return self._client._monotonic()

    def now(self) -> float:
        return self._client._now()
