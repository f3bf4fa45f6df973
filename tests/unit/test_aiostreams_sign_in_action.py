"""The settings button "Sign in with UUID and password" against the AIOStreams sandbox: the
manifest URL is saved, the password leaves Kodi's settings for the private login file, failures
are words from strings.po, and the password is in no log."""

from __future__ import annotations

import os
import stat

import pytest

from aiostreams_sandbox.server import AIOStreamsSandbox
from aiostreams_sandbox.userapi import PLAIN_PASSWORD
from resources.lib.aiostreams.credentials import CredentialStore
from resources.lib.kodi.paths import get_paths
from resources.lib.plugin import actions


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with AIOStreamsSandbox(cache_dir=str(tmp_path_factory.mktemp("media"))) as sb:
        yield sb


@pytest.fixture
def kodi(kodi, sandbox):
    kodi.set_setting("aiostreams_instance_url", sandbox.url)
    kodi.set_setting("aiostreams_uuid", sandbox.uuid)
    return kodi


def _run():
    return actions.run_script(["script.py", "action=aiostreams_sign_in"])


def test_sign_in_saves_the_manifest_url_and_moves_the_password(kodi, sandbox):
    kodi.set_setting("aiostreams_password", PLAIN_PASSWORD)
    assert _run() == "ok"
    assert kodi.setting_value("aiostreams_manifest_url") == sandbox.manifest_url
    assert kodi.setting_value("aiostreams_password") == ""
    store = CredentialStore.in_folder(get_paths().data_dir)
    assert store.load().manifest_url == sandbox.manifest_url
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert not any(PLAIN_PASSWORD in line for line in kodi.logs)
    # Again with the field empty: the kept password is used.
    kodi.set_setting("aiostreams_manifest_url", "")
    assert _run() == "ok"
    assert kodi.setting_value("aiostreams_manifest_url") == sandbox.manifest_url


def test_wrong_password_is_said_in_words(kodi):
    kodi.set_setting("aiostreams_password", "nope nope")
    assert _run() == "wrong_credentials"
    ((args, _),) = kodi.dialog_calls("ok")
    assert "Sign-in failed: wrong UUID or password (Invalid UUID or password)" in args[1]
    assert kodi.setting_value("aiostreams_manifest_url") == ""


def test_missing_fields_are_said_in_words(kodi):
    kodi.set_setting("aiostreams_uuid", "")
    assert _run() == "missing"
    ((args, _),) = kodi.dialog_calls("ok")
    assert "enter the AIOStreams address, the UUID and the password" in args[1]
