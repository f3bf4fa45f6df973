"""The streaming reader of legacy cache files agrees with ``json.loads`` at every chunk size."""

from __future__ import annotations

import io
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resources.lib.database import legacy_json, migration
from resources.lib.database.migration import MAX_FILE_BYTES, run_migration


def read(text, chunk, collect=True):
    items = []
    handle = io.BytesIO(text.encode("utf-8", "surrogatepass"))
    reader_chunk = legacy_json.CHUNK
    legacy_json.CHUNK = chunk
    try:
        members = legacy_json.read_wrapper(handle, items.append if collect else None)
    finally:
        legacy_json.CHUNK = reader_chunk
    return members, items


def expected(text):
    whole = json.loads(text)
    if not isinstance(whole, dict):
        return None, []
    items = whole.get("data") if isinstance(whole.get("data"), list) else []
    if isinstance(whole.get("data"), list):
        whole["data"] = legacy_json.STREAMED
    return whole, items


values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner,
                                                                 max_size=4),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    data=st.lists(values, max_size=6),
    extra=st.dictionaries(st.sampled_from(["timestamp", "cache_type", "x"]), values, max_size=3),
    indent=st.sampled_from([None, 0, 4]),
    chunk=st.integers(1, 40),
)
def test_streamed_elements_and_members_equal_json_loads(data, extra, indent, chunk):
    text = json.dumps(dict(extra, data=data), indent=indent)
    assert read(text, chunk) == expected(text)


@pytest.mark.parametrize("chunk", range(1, 12))
def test_numbers_and_words_split_across_chunks_are_whole(chunk):
    text = '{"data": [1234567890, 98765, true, null, false, -1.5e10, "ab\\u00e9c"], "t": 12345}'
    assert read(text, chunk) == expected(text)


@pytest.mark.parametrize(
    "text",
    ['{"data": [1, 2', '{"data": [1, 2]', '{"data": [1 2]}', '{"data": [1, 2]} x', '{"data": [,]}',
     '{data: []}', '{"data" []}', '{"data": [{"a": 1}]', '{"a": 1 "data": []}'],
)  # fmt: skip
def test_broken_documents_raise_like_json_loads(text):
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    for chunk in (1, 3, 64):
        with pytest.raises(json.JSONDecodeError):
            read(text, chunk)


def test_non_wrapper_documents_and_empty_files():
    assert read("[1, 2]", 4) == (None, [])
    assert read(' "text" ', 2) == (None, [])
    with pytest.raises(legacy_json.EmptyFile):
        read("  \n ", 2)


def test_an_absurd_single_entry_is_refused_without_reading_it_whole(monkeypatch):
    monkeypatch.setattr(legacy_json, "MAX_ENTRY_CHARS", 1000)
    with pytest.raises(legacy_json.EntryTooLarge):
        read('{"data": ["' + "x" * 5000 + '"]}', 64)


def test_a_legacy_file_above_the_cap_is_skipped_with_a_message(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    big = cache / ("watched_movies_" + "0" * 32 + ".json")
    with open(str(big), "wb") as handle:  # sparse: no disk space used
        handle.truncate(MAX_FILE_BYTES + 1)
    result = run_migration(str(tmp_path), str(tmp_path / "trakt_sync.db"))
    assert result.skipped == [(big.name, "larger than the 128 MB a cache file may have")]
    assert MAX_FILE_BYTES == 128 * 1024 * 1024


def test_the_import_reads_big_lists_one_element_at_a_time(tmp_path, monkeypatch):
    """The watched list is never decoded whole: json.load/json.loads are not used for it."""
    cache = tmp_path / "cache"
    cache.mkdir()
    shows = [{"show": {"ids": {"trakt": 10 + i}, "title": "S%d" % i}, "plays": 1,
              "seasons": [{"number": 1, "episodes": [{"number": 1, "plays": 1}]}]}
             for i in range(50)]  # fmt: skip
    name = "watched_shows_" + "1" * 32 + ".json"
    (cache / name).write_text(json.dumps({"timestamp": 1.0, "data": shows}))

    def refuse(*args, **kwargs):
        raise AssertionError("the whole file was decoded at once")

    monkeypatch.setattr(migration.json, "loads", refuse)
    monkeypatch.setattr(migration.json, "load", refuse)
    result = run_migration(str(tmp_path), str(tmp_path / "trakt_sync.db"))
    assert result.counts["watched_shows"] == 50 and result.counts["watched_episodes"] == 50
    assert os.path.exists(str(tmp_path / ".migration_complete"))
