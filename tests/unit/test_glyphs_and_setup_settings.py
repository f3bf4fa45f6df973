"""Our own text draws in Kodi's default font, and the Trakt app's fields are easy to find.

Kodi's default skin font (Estuary's NotoSans) has no arrows: "→" showed as a box. The rule for
every string we show: printable ASCII, or a Latin letter (accents allowed: "é", "ø").
"""

from __future__ import annotations

import ast
import os
import re
import unicodedata
import xml.etree.ElementTree as ET

import kodistate
import pytest

RUNTIME = os.path.join(kodistate.REPO, "resources", "lib")
ADDON_XML = os.path.join(kodistate.REPO, "addon.xml")
STANDARD_LEVEL = 1  # Kodi's settings levels: 0 Basic, 1 Standard, 2 Advanced, 3 Expert


def bad_glyphs(text: str) -> list:
    """The characters of `text` that Kodi's default font may lack (with their names)."""
    found = []
    for char in text:
        if " " <= char <= "~" or unicodedata.category(char) == "Cc":
            continue  # printable ASCII; control characters draw nothing
        if unicodedata.category(char).startswith("L") and unicodedata.name(char, "").startswith(
            "LATIN"
        ):
            continue
        found.append(f"{char!r} {unicodedata.name(char, 'U+%04X' % ord(char))}")
    return found


@pytest.mark.parametrize(
    "text, bad",
    [
        ("Settings → Advanced", ["'→' RIGHTWARDS ARROW"]),
        ("Shows: 1 · Episodes: 2", ["'·' MIDDLE DOT"]),
        ("Loading…", ["'…' HORIZONTAL ELLIPSIS"]),
        ("[❌] Torrentio", ["'❌' CROSS MARK"]),
        ("Café Noël, Ærø, Łódź", []),
        ("Go to [B]trakt.tv/activate[/B] and enter the code", []),
    ],
)
def test_the_glyph_rule_itself(text, bad):
    assert bad_glyphs(text) == bad


def test_strings_po_uses_only_glyphs_the_default_font_has():
    offenders = {
        string_id: bad_glyphs(text)
        for string_id, text in kodistate.STATE.strings.items()
        if bad_glyphs(text)
    }
    assert offenders == {}


def test_addon_xml_texts_use_only_glyphs_the_default_font_has():
    root = ET.parse(ADDON_XML).getroot()
    texts = [node.text or "" for node in root.iter() if node.text] + [root.get("name", "")]
    assert [bad for bad in map(bad_glyphs, texts) if bad] == []


def _runtime_literals():
    """Every string literal of the runtime code that is not a docstring: (file:line, text)."""
    for folder, _, names in os.walk(RUNTIME):
        for name in sorted(names):
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as handle:
                tree = ast.parse(handle.read(), path)
            docstrings = set()
            for node in ast.walk(tree):
                body = getattr(node, "body", None)
                if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
                    value = body[0].value
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        docstrings.add(id(value))
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if id(node) not in docstrings:
                        where = f"{os.path.relpath(path, kodistate.REPO)}:{node.lineno}"
                        yield where, node.value


def test_runtime_string_literals_use_only_glyphs_the_default_font_has():
    offenders = {where: bad_glyphs(text) for where, text in _runtime_literals() if bad_glyphs(text)}
    assert offenders == {}


# ----------------------------------------------------------- the app's fields


def _settings_tree():
    return ET.parse(kodistate.SETTINGS_XML).getroot()


@pytest.mark.parametrize("setting_id", ["trakt_client_id", "trakt_client_secret"])
def test_the_app_fields_live_in_the_trakt_category_at_the_standard_level(setting_id):
    root = _settings_tree()
    category = root.find(".//category[@id='trakt']")
    node = category.find(f".//setting[@id='{setting_id}']")
    assert node is not None, f"{setting_id} is not in the Trakt category"
    assert int(node.findtext("level")) <= STANDARD_LEVEL
    # The app group comes before the account group: the app first, then Authorise Trakt.
    groups = [group.get("id") for group in category.findall("group")]
    assert groups.index("app") < groups.index("account"), groups


def test_the_secret_is_typed_hidden():
    node = _settings_tree().find(".//setting[@id='trakt_client_secret']")
    assert node.findtext("control/hidden") == "true"


def test_the_no_app_message_points_at_the_guided_setup_not_the_expert_level():
    text = kodistate.STATE.strings[30138]
    assert "Authorise Trakt" in text
    assert not re.search(r"Advanced|Expert", text), text
