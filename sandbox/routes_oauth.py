"""OAuth endpoints (device flow, refresh, revoke) on the same base URL as the API."""

from __future__ import annotations

from typing import Any

from .web import ApiError, Request, Response, json_response, routes

_DEVICE_ERRORS = {
    400: "authorization_pending",
    404: "invalid_code",
    409: "already_used",
    410: "expired_token",
    418: "access_denied",
    429: "slow_down",
}


def _check_client(request: Request, app: Any, body: dict, secret: bool) -> None:
    client_id = body.get("client_id") or request.headers.get("trakt-api-key")
    if client_id != app.client_id or (secret and body.get("client_secret") != app.client_secret):
        raise ApiError(401, {"error": "invalid_client", "error_description": "unknown client"})


@routes.route("POST", "/oauth/device/code", kind="oauth")
def device_code(request: Request, app: Any) -> Response:
    body = request.json_object()
    _check_client(request, app, body, secret=False)
    return json_response(app.oauth.new_device_code())


@routes.route("POST", "/oauth/device/token", kind="oauth")
def device_token(request: Request, app: Any) -> Response:
    body = request.json_object()
    _check_client(request, app, body, secret=True)
    result = app.oauth.poll(str(body.get("code") or ""))
    if isinstance(result, int):
        return json_response({"error": _DEVICE_ERRORS[result]}, result)
    return json_response(result)


@routes.route("POST", "/oauth/token", kind="oauth")
def token(request: Request, app: Any) -> Response:
    body = request.json_object()
    _check_client(request, app, body, secret=True)
    if body.get("grant_type") != "refresh_token":
        raise ApiError(400, {"error": "unsupported_grant_type"})
    result = app.oauth.refresh(str(body.get("refresh_token") or ""))
    if result is None:
        raise ApiError(
            400,
            {
                "error": "invalid_grant",
                "error_description": "The provided authorization grant is invalid, expired, "
                "revoked, does not match the redirection URI used in the authorization request, "
                "or was issued to another client.",
            },
        )
    return json_response(result)


@routes.route("POST", "/oauth/revoke", kind="oauth")
def revoke(request: Request, app: Any) -> Response:
    body = request.json_object()
    app.oauth.revoke(str(body.get("token") or ""))
    return json_response({})
