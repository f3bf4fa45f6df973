"""The shared names in resources/lib/constants.py agree with addon.xml and settings.xml."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from resources.lib import constants

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_addon_id_is_the_one_in_addon_xml():
    assert ET.parse(REPO_ROOT / "addon.xml").getroot().get("id") == constants.ADDON_ID


def test_the_trakt_url_settings_default_to_the_shared_url():
    root = ET.parse(REPO_ROOT / "resources" / "settings.xml").getroot()
    assert root.find("section").get("id") == constants.ADDON_ID
    defaults = {
        setting.get("id"): setting.findtext("default")
        for setting in root.iter("setting")
        if setting.get("id") in ("trakt_api_url", "trakt_oauth_url")
    }
    assert defaults == {
        "trakt_api_url": constants.DEFAULT_TRAKT_URL,
        "trakt_oauth_url": constants.DEFAULT_TRAKT_URL,
    }
