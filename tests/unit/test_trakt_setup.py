"""*Authorise Trakt* with no app set: the guided setup, driven through the xbmc doubles against
the local Trakt sandbox (which refuses an unknown client id and a wrong secret as Trakt does)."""

from __future__ import annotations

import pytest
import xbmcgui

from resources.lib.kodi.paths import get_paths
from resources.lib.plugin import actions
from resources.lib.trakt import app_check, errors
from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.tokens import TokenStore
from sandbox.server import Sandbox

REGISTER_URL = "trakt.tv/oauth/applications/new"
REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(account="small", seed=7, port=0, auto_approve=True, device_interval=0.2) as sb:
        yield sb


@pytest.fixture
def kodi(kodi, sandbox):
    """Trakt URLs point at the sandbox; no Trakt app is set."""
    state = kodi
    state.set_setting("trakt_api_url", sandbox.url)
    state.set_setting("trakt_oauth_url", sandbox.url)
    sandbox.reset_requests()
    return state


def run():
    return actions.run_script(["script.py", "action=trakt_auth"])


def tokens():
    return TokenStore(get_paths().token_path).load()


def texts(kodi, name):
    return [args[1] for args, _ in kodi.dialog_calls(name)]


def device_code_requests(sandbox):
    return sandbox.requests()["by_endpoint"].get("POST /oauth/device/code", 0)


def app_settings(kodi):
    return kodi.setting_value("trakt_client_id"), kodi.setting_value("trakt_client_secret")


def test_no_app_walks_through_register_keyboard_check_and_device_code(kodi, sandbox):
    kodi.script("yesno", True)
    kodi.script("input", "  " + sandbox.client_id + " ", sandbox.client_secret)
    assert run() == "done"

    # 1. Where to create the app: the URL and what to enter, with Continue / Cancel.
    ((args, kwargs),) = kodi.dialog_calls("yesno")
    heading, message = args
    assert heading == "Set up Trakt"
    assert REGISTER_URL in message and REDIRECT_URI in message and "Step 1 of 3" in message
    assert kwargs == {"yeslabel": "Continue", "nolabel": "Cancel"}
    # 2. The id, then the secret with hidden input, on Kodi's keyboard.
    (id_args, id_kwargs), (secret_args, secret_kwargs) = kodi.dialog_calls("input")
    assert "Client ID" in id_args[0] and id_kwargs["option"] == 0
    assert "Client Secret" in secret_args[0]
    assert secret_kwargs["option"] == xbmcgui.ALPHANUM_HIDE_INPUT and secret_args[1] == ""
    # 3. + 4. The id was checked by asking for the device code that the dialog then shows.
    ((progress_args, _),) = kodi.dialog_calls("progress.create")
    assert "Step 3 of 3" in progress_args[1] and "trakt.tv/activate" in progress_args[1]
    assert device_code_requests(sandbox) == 1
    # Authorised, and the app saved (without the spaces typed around the id).
    assert tokens() is not None
    assert app_settings(kodi) == (sandbox.client_id, sandbox.client_secret)
    assert kodi.settings["trakt_username"]
    assert texts(kodi, "ok") == []


def test_an_unknown_client_id_is_refused_and_asked_again(kodi, sandbox):
    kodi.script("yesno", True)
    kodi.script("input", "not-my-app", sandbox.client_secret, sandbox.client_id)
    assert run() == "done"
    assert texts(kodi, "ok") == [kodi.localized(30845)]
    inputs = kodi.dialog_calls("input")
    assert len(inputs) == 3
    assert "Client ID" in inputs[2][0][0] and inputs[2][0][1] == "not-my-app"  # to correct it
    assert device_code_requests(sandbox) == 2  # the refused check, then the accepted one
    assert app_settings(kodi) == (sandbox.client_id, sandbox.client_secret)


def test_a_wrong_secret_is_caught_at_the_token_poll_and_asked_again(kodi, sandbox):
    kodi.script("yesno", True)
    kodi.script("input", sandbox.client_id, "wrong-secret", sandbox.client_secret)
    assert run() == "done"
    assert texts(kodi, "ok") == [kodi.localized(30846)]
    inputs = kodi.dialog_calls("input")
    assert len(inputs) == 3
    assert "Client Secret" in inputs[2][0][0] and inputs[2][1]["option"] > 0
    assert device_code_requests(sandbox) == 2  # a fresh code with the corrected secret
    assert app_settings(kodi) == (sandbox.client_id, sandbox.client_secret)
    assert tokens() is not None


def test_a_wrong_secret_in_the_settings_is_asked_for_again_too(kodi, sandbox):
    kodi.set_setting("trakt_client_id", sandbox.client_id)
    kodi.set_setting("trakt_client_secret", "stale-secret")
    kodi.script("input", sandbox.client_secret)
    assert run() == "done"
    assert kodi.dialog_calls("yesno") == []  # an app is set: no registration step
    assert texts(kodi, "ok") == [kodi.localized(30846)]
    assert app_settings(kodi) == (sandbox.client_id, sandbox.client_secret)


@pytest.mark.parametrize("step", ["register", "client id", "client secret", "device code"])
@pytest.mark.parametrize("old", [("", ""), ("half-set-id", "")])
def test_cancel_at_any_step_leaves_the_old_settings_unchanged(
    kodi, sandbox, monkeypatch, step, old
):
    kodi.set_setting("trakt_client_id", old[0])
    kodi.set_setting("trakt_client_secret", old[1])
    kodi.script("yesno", step != "register")
    if step == "client id":
        kodi.script("input", "")  # Kodi answers Cancel with ""
    elif step == "client secret":
        kodi.script("input", sandbox.client_id, "")
    elif step == "device code":
        kodi.script("input", sandbox.client_id, sandbox.client_secret)
        monkeypatch.setattr(sandbox.app.oauth, "auto_approve", False)
        kodi.progress_cancel_after = 1
    assert run() == "cancelled"
    assert app_settings(kodi) == old
    assert tokens() is None
    assert "trakt_username" not in kodi.settings
    assert kodi.log_lines(level=1, contains="[AIOStreams] Action trakt_auth finished: cancelled")


def test_trakt_unreachable_at_the_check_says_so_and_changes_nothing(kodi, sandbox):
    kodi.set_setting("trakt_oauth_url", "http://127.0.0.1:9")  # nothing listens there
    kodi.script("yesno", True)
    kodi.script("input", sandbox.client_id, sandbox.client_secret)
    assert run() == "error"
    (text,) = texts(kodi, "ok")
    assert text.startswith("Could not authorise Trakt:")
    assert app_settings(kodi) == ("", "")
    assert tokens() is None


# --------------------------------------------------------------- the core check


def client_for(sandbox, client_id, secret="x"):
    return TraktClient(client_id, secret, api_url=sandbox.url, oauth_url=sandbox.url)


def test_check_client_id_against_the_sandbox(sandbox):
    with client_for(sandbox, sandbox.client_id) as client:
        known = app_check.check_client_id(client)
    assert known.outcome == app_check.OK and known.device_code.user_code
    with client_for(sandbox, "unknown-id") as client:
        unknown = app_check.check_client_id(client)
    assert unknown.outcome == app_check.UNKNOWN_CLIENT and unknown.error.status == 401


def test_only_a_refusal_of_the_token_poll_means_a_wrong_secret():
    assert app_check.secret_refused(errors.Unauthorized(status=401))
    assert app_check.secret_refused(errors.Forbidden(status=403))
    assert not app_check.secret_refused(errors.DeviceCodeDenied(status=418))
    assert not app_check.secret_refused(errors.NetworkError())
    assert not app_check.secret_refused(RuntimeError("boom"))
