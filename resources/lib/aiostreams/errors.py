"""Typed errors for the AIOStreams client.

Every error has a stable ``code`` (the Kodi front end maps it to a strings.po id) and a
``user_message`` in plain English used when no translation exists. An :class:`InstanceError`
carries the instance's own text (an error stream), which is shown to the user as is.
"""

from __future__ import annotations

from typing import Optional


class AIOStreamsError(Exception):
    """Base class: something went wrong talking to an AIOStreams instance."""

    code = "error"

    def __init__(self, user_message: str, detail: Optional[str] = None) -> None:
        super().__init__(user_message if not detail else f"{user_message} ({detail})")
        self.user_message = user_message
        self.detail = detail


class InvalidManifestUrl(AIOStreamsError):
    """The configured address is not a usable manifest URL."""

    code = "invalid_url"


class Unreachable(AIOStreamsError):
    """The host could not be reached (DNS, refused, reset, TLS)."""

    code = "unreachable"


class Timeout(Unreachable):
    """The instance did not answer in time."""

    code = "timeout"


class NotAIOStreams(AIOStreamsError):
    """The address answered, but not like an AIOStreams instance."""

    code = "not_aiostreams"


class BadResponse(AIOStreamsError):
    """The instance answered with something that is not the expected JSON."""

    code = "bad_response"


class HttpError(AIOStreamsError):
    """An HTTP status the client cannot use (4xx/5xx other than 429)."""

    code = "http_error"

    def __init__(self, status: int, user_message: str, detail: Optional[str] = None) -> None:
        super().__init__(user_message, detail)
        self.status = status


class InstanceError(AIOStreamsError):
    """The instance reported an error, usually as an "error stream" inside an HTTP 200.

    ``user_message`` is the instance's own text (e.g. "Invalid password").
    """

    code = "instance_error"


class RateLimited(AIOStreamsError):
    """The instance rate-limited us and retrying did not help (or it said so in an error stream)."""

    code = "rate_limited"

    def __init__(
        self, user_message: str, retry_after: Optional[float] = None, detail: Optional[str] = None
    ) -> None:
        super().__init__(user_message, detail)
        self.retry_after = retry_after


class Aborted(AIOStreamsError):
    """``should_abort()`` turned true (Kodi is shutting down or the user cancelled)."""

    code = "aborted"
