"""Typed errors of the Trakt client.

Every error the client raises is a :class:`TraktError` (except :class:`Aborted`), carries a
``user_message`` a user can act on (English; front ends may map ``code`` to a localized string)
and, where one exists, the HTTP ``status``. Messages never contain tokens or device codes.
"""

from __future__ import annotations

from typing import Dict, Mapping, Optional, Type


class Aborted(Exception):
    """``should_abort()`` turned true during a wait, between pages or while a request was in
    flight (Kodi is shutting down)."""


class TraktError(Exception):
    """Base class of every error the Trakt client raises."""

    code = "trakt_error"
    default_user_message = "Trakt could not complete the request. Please try again later."

    def __init__(
        self,
        message: Optional[str] = None,
        *,
        status: Optional[int] = None,
        method: Optional[str] = None,
        path: Optional[str] = None,
        user_message: Optional[str] = None,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.user_message = user_message or self.default_user_message
        if message is None:
            where = " ".join(part for part in (method, path) if part)
            message = "{}{}{}".format(
                type(self).__name__,
                f" HTTP {status}" if status is not None else "",
                f" ({where})" if where else "",
            )
        super().__init__(message)


class Unauthorized(TraktError):
    code = "unauthorized"
    default_user_message = (
        "Trakt rejected the sign-in. Please authorise Trakt again in the add-on settings."
    )


class ReauthorizationRequired(TraktError):
    code = "reauthorization_required"
    default_user_message = (
        "Trakt is not connected or the sign-in has expired. "
        "Please authorise Trakt again in the add-on settings."
    )


class Forbidden(TraktError):
    code = "forbidden"
    default_user_message = (
        "Trakt refused the request (403): check the Trakt client id and secret in the "
        "add-on's Trakt settings and that your Trakt API app is approved."
    )


class AppCredentialsRejected(Forbidden):
    """``/oauth/token`` answered ``invalid_client`` (or 403): the add-on's Trakt app id or
    secret are wrong. The user's sign-in is not at fault and is kept."""

    code = "app_credentials_rejected"
    default_user_message = (
        "Trakt rejected the add-on's Trakt app: check its client id and secret in the "
        "settings. Your Trakt sign-in is kept."
    )


class NotFound(TraktError):
    code = "not_found"
    default_user_message = "Trakt could not find this item (404)."


class Conflict(TraktError):
    code = "conflict"
    default_user_message = "Trakt already has this (409): nothing was changed."


class AccountLimit(TraktError):
    code = "account_limit"
    default_user_message = (
        "Trakt account limit reached (420): upgrade to VIP or remove items "
        "(for example from your watchlist or collection) and try again."
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.upgrade_url = kwargs.pop("upgrade_url", None)
        self.account_limit = kwargs.pop("account_limit", None)
        self.vip = kwargs.pop("vip", None)
        super().__init__(*args, **kwargs)


class AccountLocked(TraktError):
    code = "account_locked"
    default_user_message = (
        "Your Trakt account is locked or deactivated (423). "
        "Sign in at trakt.tv or contact Trakt support to unlock it."
    )


class VipOnly(TraktError):
    code = "vip_only"
    default_user_message = "This Trakt feature is VIP only (426): upgrade to Trakt VIP to use it."


class RateLimited(TraktError):
    code = "rate_limited"
    default_user_message = "Trakt is limiting requests right now (429). Please try again later."

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.retry_after = kwargs.pop("retry_after", None)
        super().__init__(*args, **kwargs)


class ServerError(TraktError):
    code = "server_error"
    default_user_message = "Trakt is having problems right now. Please try again later."


class NetworkError(TraktError):
    code = "network_error"
    default_user_message = "Could not reach Trakt. Check your internet connection and try again."


class BadResponse(TraktError):
    code = "bad_response"
    default_user_message = "Trakt sent an unreadable or incomplete answer. Please try again later."


class ClientError(TraktError):
    code = "client_error"
    default_user_message = "Trakt rejected the request. Please try again later."


class LockTimeout(TraktError):
    """The cross-process token lock could not be taken in time (another process holds it)."""

    code = "lock_timeout"
    default_user_message = (
        "Another part of the add-on is busy signing in to Trakt. Please try again in a moment."
    )


class DeviceCodeExpired(TraktError):
    code = "device_code_expired"
    default_user_message = "The Trakt code expired before it was entered. Please start again."


class DeviceCodeDenied(TraktError):
    code = "device_code_denied"
    default_user_message = "Trakt authorisation was denied on trakt.tv."


class DeviceCodeInvalid(TraktError):
    code = "device_code_invalid"
    default_user_message = "Trakt did not recognise the code. Please start again."


class DeviceCodeUsed(TraktError):
    code = "device_code_used"
    default_user_message = "This Trakt code was already used. Please start again."


class DeviceAuthCancelled(TraktError):
    code = "device_auth_cancelled"
    default_user_message = "Trakt authorisation was cancelled."


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
        if (headers.get("x-account-deactivated") or "").lower() == "true":
            kwargs["user_message"] = (
                "Your Trakt account is deactivated (423). Contact Trakt support to reactivate it."
            )
        return AccountLocked(message, **kwargs)
    return cls(message, **kwargs)
