"""The add-on's lists when the database file cannot be used: words from strings.po, no
traceback, the file untouched (xbmc doubles over the real strings.po)."""

from __future__ import annotations

import os
import sqlite3

import pytest

from resources.lib.kodi import strings
from resources.lib.kodi.localize import localize
from resources.lib.kodi.paths import get_paths
from resources.lib.plugin import router

URL = "plugin://plugin.video.aiostreams/"


def test_a_foreign_database_is_named_in_words_and_left_alone(kodi):
    paths = get_paths()
    os.makedirs(paths.data_dir, exist_ok=True)
    conn = sqlite3.connect(paths.db_path)
    conn.execute("CREATE TABLE photos (path TEXT)")
    conn.commit()
    conn.close()
    with open(paths.db_path, "rb") as handle:
        before = handle.read()
    texts = []
    for query in ("?action=next_up", "?action=watchlist_movies", "?action=sync_history"):
        kodi.ended.clear()
        kodi.directory.clear()
        router.run([URL, "5", query, "resume:false"])
        assert kodi.ended and kodi.ended[-1]["handle"] == 5
        labels = [item.getLabel() for _, _, item, _ in kodi.directory]
        assert len(labels) == 1, labels  # one item says why: never an empty folder
        texts.append(labels[0])
    assert set(texts) == {localize(strings.FOREIGN_DATABASE)}, texts
    assert "another program" in texts[0]
    assert not kodi.dialog_calls("notification")  # a list may be a widget: no dialog
    assert not kodi.log_lines(level=3), kodi.log_lines(level=3)  # no traceback, no ERROR
    with open(paths.db_path, "rb") as handle:
        assert handle.read() == before


@pytest.mark.parametrize(
    "code, name",
    [("disk_full", "DISK_FULL"), ("read_only", "DATA_FOLDER_READ_ONLY"),
     ("foreign_database", "FOREIGN_DATABASE"), ("unavailable", "DATABASE_UNUSABLE")],
)  # fmt: skip
def test_every_storage_code_has_words(kodi, code, name):
    message_id = strings.storage_message_id(code)
    assert message_id == getattr(strings, name)
    text = localize(message_id, error="x")
    assert text and str(message_id) not in text
    assert all(ord(ch) < 128 for ch in text)  # no glyph Kodi's default font lacks


def test_maintenance_on_a_foreign_database_says_so_in_words(kodi):
    from resources.lib.plugin import actions

    paths = get_paths()
    os.makedirs(paths.data_dir, exist_ok=True)
    conn = sqlite3.connect(paths.db_path)
    conn.execute("CREATE TABLE photos (path TEXT)")
    conn.commit()
    conn.close()
    with open(paths.db_path, "rb") as handle:
        before = handle.read()
    assert actions.run_script(["script.py", "action=database_vacuum"]) == "error"
    texts = [args[1] for args, _ in kodi.dialog_calls("ok")]
    assert texts == [localize(strings.FOREIGN_DATABASE)], texts
    with open(paths.db_path, "rb") as handle:
        assert handle.read() == before
