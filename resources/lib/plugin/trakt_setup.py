"""*Authorise Trakt*: the device-code sign-in, guided when no Trakt API app is set yet.

Guided steps (issue 10): 1. where to register the app (the URL, the name, the redirect URI);
2. its client id and secret with Kodi's keyboard (the secret hidden); 3. the client id checked
against Trakt (asking for the device code is the check, see ``trakt.app_check``); 4. the device
code. Trakt sees the secret only at the token poll: a refusal there says that the secret is wrong
and asks for it again. The typed id and secret are saved only once authorisation succeeded, so a
cancel at any step leaves the old settings as they were.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any, Optional, Tuple

from resources.lib.kodi import dialogs, strings
from resources.lib.kodi.context import AddonContext
from resources.lib.kodi.localize import localize
from resources.lib.kodi.progress import Progress
from resources.lib.kodi.settings import set_string
from resources.lib.kodi.system import abort_requested
from resources.lib.plugin import syncui
from resources.lib.trakt import app_check, errors

log = logging.getLogger(__name__)

BAD_SECRET = "bad_secret"  # internal: the token poll refused the secret (asked again)


def authorise(ctx: AddonContext) -> str:
    """Sign in to Trakt; returns done | cancelled | denied | expired | error."""
    client_id = ctx.settings.trakt_client_id.strip()
    secret = ctx.settings.trakt_client_secret.strip()
    guided = not (client_id and secret)
    if guided:
        log.info("No Trakt API app set: guided setup")
        if not _register_step():
            return _cancelled("register")
    ask_id = ask_secret = guided
    while True:
        if ask_id:
            typed = dialogs.ask_text(localize(strings.SETUP_CLIENT_ID), default=client_id)
            if typed is None:
                return _cancelled("client id")
            client_id = typed
        if ask_secret:
            typed = dialogs.ask_text(localize(strings.SETUP_CLIENT_SECRET), hidden=True)
            if typed is None:
                return _cancelled("client secret")
            secret = typed
        session = _session(ctx, client_id, secret)
        try:
            check = app_check.check_client_id(session.client)
            if check.outcome == app_check.UNKNOWN_CLIENT:
                log.warning("Trakt does not know the client id (%s)", check.error)
                dialogs.ok(localize(strings.SETUP_CLIENT_ID_REFUSED), heading=_heading())
                ask_id, ask_secret = True, False
                continue
            if check.outcome != app_check.OK:
                dialogs.ok(localize(strings.AUTH_FAILED, error=syncui.short_error(check.error)))
                return "error"
            result = _device_code_step(session, check.device_code, guided)
            if result == BAD_SECRET:
                log.warning("Trakt refused the client secret at the token poll")
                dialogs.ok(localize(strings.SETUP_SECRET_REFUSED), heading=_heading())
                ask_id, ask_secret, guided = False, True, True
                continue
            if result == "done":
                _save_app(ctx, client_id, secret)
                user = _adopt_account(session, session.client)
                set_string("trakt_username", user)
                dialogs.notification(
                    localize(strings.AUTH_DONE, user=user or localize(strings.TRAKT))
                )
            return result
        finally:
            session.close()


def _heading() -> str:
    return localize(strings.SETUP_HEADING)


def _register_step() -> bool:
    """Step 1: where and how to register the app; False when the user cancels."""
    return dialogs.yesno(
        localize(strings.SETUP_REGISTER_APP),
        heading=_heading(),
        yeslabel=localize(strings.CONTINUE),
        nolabel=localize(strings.CANCEL),
    )


def _cancelled(step: str) -> str:
    log.info("Trakt setup cancelled at the %s step: settings unchanged", step)
    dialogs.notification(localize(strings.AUTH_CANCELLED))
    return "cancelled"


def _session(ctx: AddonContext, client_id: str, secret: str) -> AddonContext:
    """A context whose Trakt client uses the typed id and secret (the settings stay as they are
    until authorisation succeeds)."""
    settings = dataclasses.replace(
        ctx.settings, trakt_client_id=client_id, trakt_client_secret=secret
    )
    return AddonContext(settings=settings, paths=ctx.paths, should_abort=ctx.should_abort)


def _save_app(ctx: AddonContext, client_id: str, secret: str) -> None:
    if (client_id, secret) == (
        ctx.settings.trakt_client_id.strip(),
        ctx.settings.trakt_client_secret.strip(),
    ):
        return
    set_string("trakt_client_id", client_id)
    set_string("trakt_client_secret", secret)
    log.info("Trakt API app saved in the settings")


def _device_code_step(session: AddonContext, code: Any, guided: bool) -> str:
    """Step 4: show the code and URL, poll until done/denied/expired/cancelled."""
    result, user_message = _poll(session.client, code, guided)
    if result == "cancelled":
        dialogs.notification(localize(strings.AUTH_CANCELLED))
    elif result == "denied":
        dialogs.ok(localize(strings.AUTH_DENIED))
    elif result == "expired":
        dialogs.ok(localize(strings.AUTH_EXPIRED_CODE))
    elif result == "error":
        dialogs.ok(localize(strings.AUTH_FAILED, error=user_message))
    return result


def _poll(client: Any, code: Any, guided: bool) -> Tuple[str, str]:
    """(result, user message) of the device-token poll under a cancellable progress dialog."""
    message = localize(strings.AUTH_INSTRUCTIONS, url=code.verification_url, code=code.user_code)
    if guided:
        message = dialogs.lines(localize(strings.SETUP_CODE_STEP), message)
    log.info("Device authorisation started (expires in %ss)", int(code.expires_in))
    started = time.monotonic()
    expires = max(1.0, float(code.expires_in or 600))
    with Progress(message, heading=localize(strings.AUTHORISE_TRAKT)) as progress:

        def should_cancel() -> bool:
            remaining = 1.0 - (time.monotonic() - started) / expires
            progress.update(100.0 * max(0.0, remaining))
            return progress.iscanceled() or abort_requested()

        try:
            client.poll_device_token(code, should_cancel=should_cancel)
            return "done", ""
        except (errors.DeviceAuthCancelled, errors.Aborted):
            return "cancelled", ""
        except errors.DeviceCodeDenied:
            return "denied", ""
        except errors.DeviceCodeExpired:
            return "expired", ""
        except errors.TraktError as exc:
            if app_check.secret_refused(exc):
                return BAD_SECRET, ""
            return "error", syncui.short_error(exc)


def _adopt_account(ctx: AddonContext, client: Any) -> str:
    """Record who signed in (another user's mirror and queued changes are dropped); returns the
    username to show in the settings. Best effort: authorisation itself already worked."""
    try:
        data = client.get("/users/settings")
    except Exception:
        log.warning("Could not read the Trakt username", exc_info=True)
        return ""
    try:
        ctx.db.adopt_account(data)
    except Exception:  # the next sync's account check still catches a switch
        log.warning("Could not record the Trakt account in the database", exc_info=True)
    user: Optional[dict] = (data or {}).get("user") or {}
    return str(user.get("username") or user.get("name") or "")
