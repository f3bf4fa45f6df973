"""AIOStreams sign-in with UUID and password against the sandbox's ``/api/v1/user``: Basic auth
only (the query-string form is refused), the manifest URL it yields works, the password stays
out of every log and URL and is stored 0600; the User-Agent on every route, every manifest URL
form, and error / statistic streams filtered out."""

from __future__ import annotations

import logging
import os
import stat
import urllib.request

import pytest

from aiostreams_sandbox.server import DEFAULT_UUID, AIOStreamsSandbox
from aiostreams_sandbox.userapi import ALIAS, PLAIN_PASSWORD
from resources.lib.aiostreams import errors
from resources.lib.aiostreams.catalog_client import StremioResources
from resources.lib.aiostreams.client import AIOStreamsClient
from resources.lib.aiostreams.connection import test_connection
from resources.lib.aiostreams.credentials import CredentialStore, Login
from resources.lib.aiostreams.http import RequestSpacer
from resources.lib.aiostreams.manifest import USER_AGENT
from resources.lib.aiostreams.signin import basic_header, sign_in


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    sb = AIOStreamsSandbox(cache_dir=str(tmp_path_factory.mktemp("aiostreams-media")))
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture(autouse=True)
def fresh(sandbox):
    sandbox.reset()
    yield


def _client(url):
    return AIOStreamsClient(url, spacer=RequestSpacer(0.0))


def test_sign_in_yields_a_working_manifest_url(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    result = sign_in(sandbox.url, DEFAULT_UUID, PLAIN_PASSWORD)
    assert result.ok, result
    assert result.manifest_url == sandbox.manifest_url
    assert _client(result.manifest_url).movie_streams("tt0111161").playable
    (request,) = [r for r in sandbox.requests() if r["path"].startswith("/api/v1/user")]
    assert request["path"] == "/api/v1/user"  # no credentials in the URL
    assert request["status"] == 200
    assert PLAIN_PASSWORD not in caplog.text
    assert basic_header(DEFAULT_UUID, PLAIN_PASSWORD)[6:] not in caplog.text


def test_sign_in_from_a_pasted_configure_address_and_alias(sandbox):
    result = sign_in(sandbox.url + "/stremio/configure", ALIAS, PLAIN_PASSWORD)
    assert result.ok
    assert result.manifest_url == sandbox.manifest_url  # the real uuid, not the alias


def test_wrong_password_is_a_code_with_the_instance_text(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    result = sign_in(sandbox.url, DEFAULT_UUID, PLAIN_PASSWORD + "x")
    assert result.code == "wrong_credentials"
    assert result.detail == "Invalid UUID or password"
    assert not result.manifest_url
    assert PLAIN_PASSWORD not in caplog.text


def test_query_string_credentials_are_refused(sandbox):
    """What AIOStreams before v2.30 accepted; our sign-in never sends it, the sandbox (like
    v2.30+) refuses it."""
    query = "uuid=%s&password=%s" % (DEFAULT_UUID, urllib.request.quote(PLAIN_PASSWORD))
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(sandbox.url + "/api/v1/user?" + query, timeout=10)
    assert raised.value.code == 400
    assert b"MISSING_REQUIRED_FIELDS" in raised.value.read()


@pytest.mark.parametrize(
    "instance, uuid, password, code",
    [("", DEFAULT_UUID, "pw", "missing"), ("http://h", "", "pw", "missing"),
     ("ftp://h", DEFAULT_UUID, "pw", "invalid_url"),
     ("http://127.0.0.1:9", DEFAULT_UUID, "pw", "unreachable")],
)  # fmt: skip
def test_sign_in_failures_are_codes(instance, uuid, password, code):
    assert sign_in(instance, uuid, password, timeout=5).code == code


def test_an_instance_that_is_not_aiostreams(sandbox):
    # The sandbox's /media/ route answers 404 JSON without AIOStreams' envelope.
    assert sign_in(sandbox.url + "/media", DEFAULT_UUID, PLAIN_PASSWORD).code == "not_aiostreams"


def test_login_file_is_private_and_hides_the_password(tmp_path):
    store = CredentialStore.in_folder(str(tmp_path / "data"))
    login = Login("https://h", DEFAULT_UUID, PLAIN_PASSWORD, "https://h/stremio/a/b/manifest.json")
    store.save(login)
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert store.load() == login
    assert PLAIN_PASSWORD not in repr(login)
    assert store.clear() and store.load() is None


def test_unreadable_login_file_is_no_login(tmp_path):
    path = tmp_path / "aiostreams_login.json"
    path.write_text("{not json")
    assert CredentialStore(str(path)).load() is None


# -- User-Agent, URL forms, error and statistic streams --------------------------------------


def test_user_agent_on_every_aiostreams_request(sandbox):
    sign_in(sandbox.url, DEFAULT_UUID, PLAIN_PASSWORD)
    _client(sandbox.manifest_url).movie_streams("tt0111161")
    resources = StremioResources(sandbox.manifest_url, spacer=RequestSpacer(0.0))
    resources.manifest()
    test_connection(sandbox.manifest_url)
    agents = {r["user_agent"] for r in sandbox.requests()}
    assert agents == {USER_AGENT}
    assert len(sandbox.requests()) >= 4


def _forms(sandbox):
    base = "%s/stremio/%s/%s" % (sandbox.url, sandbox.uuid, sandbox.password)
    return {
        "plain": base + "/manifest.json",
        "path_variant": base + "/v/lite/manifest.json",
        "query_variant": base + "/manifest.json?v=4k",
        "alias": sandbox.url + "/stremio/u/" + ALIAS + "/manifest.json",
        "alias_query_variant": sandbox.url + "/stremio/u/" + ALIAS + "/manifest.json?v=lite",
    }


@pytest.mark.parametrize(
    "form", ["plain", "path_variant", "query_variant", "alias", "alias_query_variant"]
)
def test_every_manifest_url_form_reaches_every_route(sandbox, form):
    url = _forms(sandbox)[form]
    assert test_connection(url).ok
    streams = _client(url).movie_streams("tt0111161")
    assert streams.playable
    resources = StremioResources(url, spacer=RequestSpacer(0.0))
    assert resources.manifest()
    paths = [r["path"] for r in sandbox.requests() if r["status"] == 200]
    if "variant" in form:
        wanted = (
            "v=4k"
            if form == "query_variant"
            else ("/v/lite/" if form == "path_variant" else "v=lite")
        )
        # the manifest, the stream and the manifest again all carry the variant
        assert len([p for p in paths if wanted in p]) >= 3, paths


def test_unknown_variant_shows_the_instance_error(sandbox):
    base = "%s/stremio/%s/%s" % (sandbox.url, sandbox.uuid, sandbox.password)
    with pytest.raises(errors.InstanceError) as raised:
        _client(base + "/v/nope/manifest.json").movie_streams("tt0111161")
    assert "Unknown variant: nope" in raised.value.user_message


def test_statistic_and_error_streams_never_offered(sandbox):
    result = _client(sandbox.manifest_url).movie_streams("tt0111161")
    assert result.statistics, "the sandbox sends a statistic stream"
    assert all(s.kind not in ("error", "statistic") for s in result.streams)
    assert all(s.kind not in ("error", "statistic") for s in result.playable)


def test_only_an_error_stream_left_shows_its_own_text(sandbox):
    with pytest.raises(errors.InstanceError) as raised:
        _client(sandbox.manifest_url_with("wrong")).movie_streams("tt0111161")
    assert raised.value.user_message == "Invalid password"
