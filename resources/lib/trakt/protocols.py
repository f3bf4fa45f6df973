"""The Trakt client's seams as ``Protocol``s: what its users may rely on, and nothing more.

``TraktApi`` is the surface the sync engine, the plugin, the scrobbler and the CLI use; the real
:class:`.client.TraktClient` satisfies it, and so may a test double. ``OAuthTransport`` is what
the OAuth flows (:mod:`.auth`) get from the client instead of its private members.
JSON values stay ``Any``: Trakt's answers are decoded JSON of many shapes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, Optional, Tuple

try:  # typing.Protocol is 3.8+; the annotations below are never evaluated at runtime
    from typing import Protocol
except ImportError:  # pragma: no cover
    Protocol = object  # type: ignore[assignment,misc]

if TYPE_CHECKING:  # pragma: no cover
    from .auth import DeviceCode
    from .errors import TraktError
    from .http import Response
    from .tokens import Tokens, TokenStore

AbortCheck = Optional[Callable[[], bool]]


class TraktApi(Protocol):
    """Trakt API v2 calls (see docs/ARCHITECTURE.md "Trakt client")."""

    should_abort: AbortCheck

    @property
    def request_count(self) -> int: ...

    def is_authorized(self) -> bool: ...

    def for_run(self, should_abort: AbortCheck = None, fail_fast_connect: bool = False) -> TraktApi:
        """A per-run view with its own abort check, sharing the transport."""
        ...

    def get(self, path: str, params: Optional[Dict[str, Any]] = None, auth: bool = True) -> Any: ...

    def post(
        self, path: str, body: Any = None, auth: bool = True, idempotent: bool = False
    ) -> Any: ...

    def put(self, path: str, body: Any = None, auth: bool = True) -> Any: ...

    def delete(self, path: str, auth: bool = True) -> Any: ...

    def paginate(
        self,
        path: str,
        params: Optional[Dict[str, Any]] = None,
        limit: int = 250,
        auth: bool = True,
    ) -> Iterator[Any]: ...

    def request_device_code(self) -> DeviceCode: ...

    def poll_device_token(self, code: DeviceCode, should_cancel: AbortCheck = None) -> Tokens: ...

    def revoke(self) -> bool: ...

    def close(self) -> None: ...


class OAuthTransport(Protocol):
    """Unauthenticated ``POST``s to the OAuth URL through the client's retries and waits."""

    client_id: str
    client_secret: str
    token_store: Optional[TokenStore]
    refresh_margin: float
    lock_timeout: float
    should_abort: AbortCheck

    def post(
        self, path: str, body: Dict[str, Any], idempotent: bool, retry: bool = True
    ) -> Tuple[Response, Any]: ...

    def error(self, resp: Response, path: str) -> TraktError: ...

    def retry_after(self, resp: Response, attempt: int) -> float: ...

    def wait(self, seconds: float, should_cancel: AbortCheck = None) -> None: ...

    def monotonic(self) -> float: ...

    def now(self) -> float: ...
