"""Manifest URL parsing and the pieces of the connection test that need no network."""

from __future__ import annotations

import os
import re

import pytest

from resources.lib.aiostreams import errors
from resources.lib.aiostreams.connection import test_connection
from resources.lib.aiostreams.http import redact_url
from resources.lib.aiostreams.manifest import (
    USER_AGENT,
    instance_error_text,
    looks_like_aiostreams,
    manifest_url_for,
    parse_manifest_url,
)

ADDON_XML = os.path.join(os.path.dirname(__file__), "..", "..", "addon.xml")
URL = "https://aio.example.com/stremio/5f0c-uuid/ZW5jcnlwdGVk/manifest.json"


def test_manifest_url_gives_the_base_url_without_manifest_json():
    parsed = parse_manifest_url(URL)
    assert parsed.base_url == "https://aio.example.com/stremio/5f0c-uuid/ZW5jcnlwdGVk"
    assert parsed.manifest_url == URL
    assert parsed.route("stream/movie/tt1.json") == parsed.base_url + "/stream/movie/tt1.json"
    assert parsed.host == "aio.example.com"


@pytest.mark.parametrize(
    "text",
    [
        "  " + URL + "  ",
        URL[: -len("/manifest.json")],
        URL[: -len("manifest.json")],
        "stremio://aio.example.com/stremio/5f0c-uuid/ZW5jcnlwdGVk/manifest.json",
    ],
)
def test_manifest_url_variants_normalise_to_the_same_url(text):
    assert parse_manifest_url(text).manifest_url == URL


def test_alias_form_is_accepted():
    # AIOStreams' alias route is /stremio/u/<alias>/<rest>: no password segment (alias.ts).
    parsed = parse_manifest_url("https://h/stremio/u/myalias/manifest.json")
    assert parsed.user == "u/myalias"
    assert parsed.base_url == "https://h/stremio/u/myalias"
    assert (
        parsed.route("stream/movie/tt1.json") == "https://h/stremio/u/myalias/stream/movie/tt1.json"
    )


def test_path_variant_stays_in_every_route():
    parsed = parse_manifest_url("https://h/stremio/id/pw/v/lite/manifest.json")
    assert parsed.base_url == "https://h/stremio/id/pw/v/lite"
    assert parsed.variant == "lite" and parsed.user == "id"
    assert (
        parsed.route("meta/series/tt1.json")
        == "https://h/stremio/id/pw/v/lite/meta/series/tt1.json"
    )


def test_query_variant_is_sent_with_every_route():
    parsed = parse_manifest_url("https://h/stremio/id/pw/manifest.json?v=4k")
    assert parsed.manifest_url == "https://h/stremio/id/pw/manifest.json?v=4k"
    assert parsed.variant == "4k"
    assert (
        parsed.route("stream/movie/tt1.json")
        == "https://h/stremio/id/pw/stream/movie/tt1.json?v=4k"
    )
    assert parsed.route("catalog/movie/c1/skip=50.json").endswith("/skip=50.json?v=4k")


def test_alias_with_path_variant_and_without_manifest_json():
    parsed = parse_manifest_url("stremio://h/stremio/u/me/v/lite")
    assert parsed.base_url == "https://h/stremio/u/me/v/lite"
    assert parsed.manifest_url == "https://h/stremio/u/me/v/lite/manifest.json"


@pytest.mark.parametrize(
    "url",
    ["https://h/stremio/u/manifest.json", "https://h/stremio/id/pw/v/manifest.json",
     "https://h/stremio/id/pw/extra/manifest.json"],
)  # fmt: skip
def test_malformed_forms_are_refused(url):
    with pytest.raises(errors.InvalidManifestUrl):
        parse_manifest_url(url)


def test_manifest_url_from_a_sign_in():
    assert manifest_url_for("https://aio.example/", "id-1", "enc/pw=") == (
        "https://aio.example/stremio/id-1/enc%2Fpw%3D/manifest.json"
    )
    assert manifest_url_for("https://h/aio/stremio/configure", "u", "p") == (
        "https://h/aio/stremio/u/p/manifest.json"
    )


def test_user_agent_carries_the_addon_version():
    version = re.search(r'<addon [^>]*version="([^"]+)"', open(ADDON_XML).read()).group(1)
    assert USER_AGENT == "AIOStreams/Kodi-" + version


def test_instance_under_a_sub_path_keeps_the_prefix():
    parsed = parse_manifest_url("https://h/aio/stremio/id/pw/manifest.json")
    assert parsed.base_url == "https://h/aio/stremio/id/pw"


@pytest.mark.parametrize(
    "text",
    ["", "ftp://h/stremio/a/b/manifest.json", "https://h/manifest.json", "not a url", "https://"],
)
def test_unusable_urls_raise_invalid_manifest_url(text):
    with pytest.raises(errors.InvalidManifestUrl):
        parse_manifest_url(text)


def test_redaction_hides_uuid_and_password():
    assert "5f0c-uuid" not in redact_url(URL)
    assert "ZW5jcnlwdGVk" not in redact_url(URL)
    assert parse_manifest_url(URL).redacted.startswith("https://aio.example.com/stremio/")


def test_only_aiostreams_manifests_are_recognised():
    assert looks_like_aiostreams(
        {"id": "com.aiostreams.viren070", "name": "My streams", "resources": ["stream"]}
    )
    assert not looks_like_aiostreams(
        {"id": "com.stremio.torrentio.addon", "name": "Torrentio", "resources": ["stream"]}
    )
    assert not looks_like_aiostreams(["AIOStreams"])


def test_instance_error_text_reads_the_api_error_shape():
    body = {"success": False, "error": {"code": "USER_INVALID_DETAILS", "message": "Bad pw"}}
    assert instance_error_text(body) == "Bad pw"
    assert instance_error_text({"error": "not found"}) is None
    assert instance_error_text(None) is None


def test_connection_test_reports_an_invalid_url_in_words_without_raising():
    report = test_connection("https://example.com/manifest.json")
    assert not report.ok
    assert report.status == "invalid_url"
    assert report.reason == "shape"
