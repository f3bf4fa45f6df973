"""The AIOStreams buttons of the settings: *Test connection* and *Sign in* (UUID and password)."""

from __future__ import annotations

from resources.lib.kodi import dialogs, strings
from resources.lib.kodi.context import AddonContext
from resources.lib.kodi.localize import localize
from resources.lib.kodi.progress import Progress
from resources.lib.kodi.settings import set_string
from resources.lib.kodi.system import abort_requested


def aiostreams_test(ctx: AddonContext) -> str:
    """Fetch the manifest and say in plain words what is wrong (or that it works)."""
    from resources.lib.aiostreams.connection import test_connection
    from resources.lib.aiostreams.connection_text import report_text

    with Progress(localize(strings.AIOSTREAMS_TEST), heading=localize(strings.AIOSTREAMS)) as bar:
        report = test_connection(
            ctx.settings.aiostreams_manifest_url,
            should_abort=lambda: bar.iscanceled() or abort_requested(),
        )
    text = strings.CONNECTION_OK if report.ok else strings.CONNECTION_FAILED
    words = report_text(report, localize)  # a strings.po id per status, details filled in
    dialogs.ok(localize(text, message=words), heading=localize(strings.AIOSTREAMS_TEST))
    return report.status


def aiostreams_sign_in(ctx: AddonContext) -> str:
    """UUID + password -> the manifest URL (``aiostreams.signin``). The password moves from the
    settings file into the private ``aiostreams_login.json`` (0600); a later sign-in with the
    password field empty reuses it."""
    from resources.lib.aiostreams.credentials import CredentialStore, Login
    from resources.lib.aiostreams.signin import sign_in

    settings, store = ctx.settings, CredentialStore.in_folder(ctx.paths.data_dir)
    saved = store.load()
    password = settings.aiostreams_password or (saved.password if saved else "")
    instance_url, uuid = settings.aiostreams_instance_url, settings.aiostreams_uuid
    with Progress(
        localize(strings.AIOSTREAMS_SIGN_IN), heading=localize(strings.AIOSTREAMS)
    ) as bar:
        stop = lambda: bar.iscanceled() or abort_requested()  # noqa: E731
        result = sign_in(instance_url, uuid, password, should_abort=stop)
    if not result.ok:
        reason = localize(strings.sign_in_reason_id(result.code))
        if result.detail:
            reason = f"{reason} ({result.detail})"
        dialogs.ok(
            localize(strings.AIOSTREAMS_SIGN_IN_FAILED, reason=reason),
            heading=localize(strings.AIOSTREAMS_SIGN_IN),
        )
        return result.code
    store.save(Login(instance_url.strip(), uuid.strip(), password, result.manifest_url))
    set_string("aiostreams_manifest_url", result.manifest_url)
    set_string("aiostreams_password", "")  # Kodi's settings file is not private
    dialogs.ok(localize(strings.AIOSTREAMS_SIGNED_IN), heading=localize(strings.AIOSTREAMS_SIGN_IN))
    return "ok"
