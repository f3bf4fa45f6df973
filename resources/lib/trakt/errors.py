"""Typed errors of the Trakt client.

Every error the client raises is a :class:`TraktError` (except :class:`Aborted`), carries a
``message_code`` (the class's ``code``, or a finer one such as ``account_deactivated``) and,
where one exists, the HTTP ``status``. The words a user reads live in strings.po: a front end
turns the code into its own localized text (``trakt/messages.py``); ``user_message`` is the
English text of that code for logs and the command line. Messages never contain tokens or
device codes.
"""

from __future__ import annotations

from typing import Dict, Mapping, Optional, Type

from .messages import message_text


class Aborted(Exception):
    """``should_abort()`` turned true during a wait, between pages or while a request was in
    flight (Kodi is shutting down)."""


class TraktError(Exception):
    """Base class of every error the Trakt client raises."""

    code = "trakt_error"

    def __init__(
        self,
        message: Optional[str] = None,
        *,
        status: Optional[int] = None,
        method: Optional[str] = None,
        path: Optional[str] = None,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        if message is None:
            where = " ".join(part for part in (method, path) if part)
            message = "{}{}{}".format(
                type(self).__name__,
                f" HTTP {status}" if status is not None else "",
                f" ({where})" if where else "",
            )
        super().__init__(message)

    @property
    def message_code(self) -> str:
        """The code of the message a user reads for this error (``trakt/messages.py``)."""
        return self.code

    @property
    def user_message(self) -> str:
        """The English text of ``message_code`` from strings.po (logs, the command line)."""
        return message_text(self)


class Unauthorized(TraktError):
    code = "unauthorized"


class ReauthorizationRequired(TraktError):
    code = "reauthorization_required"


class Forbidden(TraktError):
    code = "forbidden"


class AppCredentialsRejected(Forbidden):
    """``/oauth/token`` answered ``invalid_client`` (or 403): the add-on's Trakt app id or
    secret are wrong. The user's sign-in is not at fault and is kept."""

    code = "app_credentials_rejected"


class NotFound(TraktError):
    code = "not_found"


class Conflict(TraktError):
    code = "conflict"


class AccountLimit(TraktError):
    code = "account_limit"

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.upgrade_url = kwargs.pop("upgrade_url", None)
        self.account_limit = kwargs.pop("account_limit", None)
        self.vip = kwargs.pop("vip", None)
        super().__init__(*args, **kwargs)


class AccountLocked(TraktError):
    code = "account_locked"

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.deactivated = bool(kwargs.pop("deactivated", False))
        super().__init__(*args, **kwargs)

    @property
    def message_code(self) -> str:
        return "account_deactivated" if self.deactivated else self.code


class VipOnly(TraktError):
    code = "vip_only"


class RateLimited(TraktError):
    code = "rate_limited"

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.retry_after = kwargs.pop("retry_after", None)
        super().__init__(*args, **kwargs)


class ServerError(TraktError):
    code = "server_error"


class NetworkError(TraktError):
    code = "network_error"


class BadResponse(TraktError):
    code = "bad_response"


class ClientError(TraktError):
    code = "client_error"


class LockTimeout(TraktError):
    """The cross-process token lock could not be taken in time (another process holds it)."""

    code = "lock_timeout"


class DeviceCodeExpired(TraktError):
    code = "device_code_expired"


class DeviceCodeDenied(TraktError):
    code = "device_code_denied"


class DeviceCodeInvalid(TraktError):
    code = "device_code_invalid"


class DeviceCodeUsed(TraktError):
    code = "device_code_used"


class DeviceAuthCancelled(TraktError):
    code = "device_auth_cancelled"


_BY_STATUS: Dict[int, Type[TraktError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    420: AccountLimit,
    423: AccountLocked,
    426: VipOnly,
    429: RateLimited,
}


def error_for_status(
    status: int,
    headers: Optional[Mapping[str, str]] = None,
    method: Optional[str] = None,
    path: Optional[str] = None,
    detail: Optional[str] = None,
) -> TraktError:
    """Build the typed error for a final (not retried any more) non-2xx HTTP status.

    ``headers`` must use lower-case names. ``detail`` is a short, secret-free server hint
    (Trakt's JSON ``error`` field) appended to the log message, never to the user message.
    """
    headers = headers or {}
    if status in _BY_STATUS:
        cls: Type[TraktError] = _BY_STATUS[status]
    elif status >= 500:
        cls = ServerError
    elif 400 <= status < 500:
        cls = ClientError
    else:
        cls = BadResponse
    message = "{} HTTP {} ({} {})".format(cls.__name__, status, method or "", path or "")
    if detail:
        message += ": " + detail[:200]
    kwargs = {"status": status, "method": method, "path": path}
    if cls is AccountLimit:
        return AccountLimit(
            message,
            upgrade_url=headers.get("x-upgrade-url"),
            account_limit=headers.get("x-account-limit"),
            vip=(headers.get("x-vip-user") or "").lower() == "true",
            **kwargs,
        )
    if cls is AccountLocked:
        deactivated = (headers.get("x-account-deactivated") or "").lower() == "true"
        return AccountLocked(message, deactivated=deactivated, **kwargs)
    return cls(message, **kwargs)
