"""Settings snapshot, strings and paths against the real settings.xml and strings.po."""

from __future__ import annotations

import dataclasses
import os
import re

import kodistate
import pytest

from resources.lib.kodi import settings as settings_module
from resources.lib.kodi import strings
from resources.lib.kodi.localize import localize
from resources.lib.kodi.paths import get_paths

ARCHITECTURE = os.path.join(kodistate.REPO, "docs", "ARCHITECTURE.md")
TYPES = {"bool": "boolean", "int": "integer", "str": ("string", "time")}


def test_snapshot_covers_every_value_setting_with_its_type():
    defs = kodistate.STATE.setting_defs
    fields = {field.name: field.type for field in dataclasses.fields(settings_module.Settings)}
    value_settings = {key for key, (kind, _) in defs.items() if kind != "action"}
    assert set(fields) == value_settings
    for name, annotation in fields.items():
        expected = TYPES[annotation]
        assert defs[name][0] in (expected if isinstance(expected, tuple) else (expected,)), name


def test_snapshot_defaults_match_settings_xml(kodi):
    assert settings_module.load_settings() == settings_module.Settings()


def test_every_settings_id_in_architecture_exists():
    with open(ARCHITECTURE, encoding="utf-8") as handle:
        text = handle.read()
    section = text.split("## Settings ids", 1)[1].split("Script entry", 1)[0]
    ids = set(re.findall(r"`([a-z_]+)`", section))
    assert ids and ids <= set(kodistate.STATE.setting_defs)


@pytest.mark.parametrize("version", [19, 20, 21])
def test_kodi19_fallback_and_kodi20_api_read_the_same_values(kodi, version):
    kodistate.STATE.kodi_version = version
    kodi.set_setting("trakt_sync_interval", 60)
    kodi.set_setting("trakt_sync_auto", False)
    kodi.set_setting("trakt_sync_schedule_time", "23:15")
    loaded = settings_module.load_settings()
    assert loaded.trakt_sync_interval == 60 and loaded.trakt_sync_auto is False
    assert loaded.trakt_sync_schedule_time == "23:15"
    assert loaded.sync_interval_seconds == 3600


def test_seconds_override_and_categories(kodi):
    kodi.set_setting("trakt_sync_interval_seconds", 15)
    kodi.set_setting("trakt_sync_hidden", False)
    loaded = settings_module.load_settings()
    assert loaded.sync_interval_seconds == 15
    # The Trakt lists have no switch of their own: turning hidden off must not stop them.
    assert loaded.categories() == (
        "watched", "watchlist", "playback", "collection", "ratings", "lists",
    )  # fmt: skip
    assert settings_module.Settings().categories() is None


def test_urls_are_normalised():
    custom = settings_module.Settings(trakt_api_url=" http://127.0.0.1:8000/ ", trakt_oauth_url="")
    assert custom.api_url() == "http://127.0.0.1:8000"
    assert custom.oauth_url() == "https://api.trakt.tv"


@pytest.mark.parametrize("version", [19, 20])
def test_set_string_writes_the_username(kodi, version):
    kodistate.STATE.kodi_version = version
    settings_module.set_string("trakt_username", "alice")
    assert settings_module.load_settings().trakt_username == "alice"


def test_unknown_setting_id_fails_loudly(kodi):
    import xbmcaddon

    with pytest.raises(KeyError):
        xbmcaddon.Addon().getSettings().getBool("no_such_setting")


def test_every_named_string_exists_in_strings_po(kodi):
    names = [name for name in dir(strings) if name.isupper()]
    assert names
    for name in names:
        assert localize(getattr(strings, name)), name


def test_localize_fills_placeholders_and_survives_missing_ones(kodi):
    assert localize(strings.SYNC_DONE, changes=4) == "Trakt sync finished: 4 changes"
    assert localize(strings.SYNC_DONE, other=1) == "Trakt sync finished: {changes} changes"
    label = localize(strings.EPISODE_LABEL, show="Show", season=2, episode=3, title="Pilot")
    assert label == "Show 2x03. Pilot"


def test_paths_live_in_the_profile_addon_data(kodi):
    paths = get_paths()
    expected = os.path.join(kodi.profile_dir, "addon_data", "plugin.video.aiostreams")
    assert os.path.normpath(paths.data_dir) == expected and os.path.isdir(expected)
    assert paths.db_path == os.path.join(paths.data_dir, "trakt_sync.db")
    assert paths.token_path == os.path.join(paths.data_dir, "trakt_tokens.json")
