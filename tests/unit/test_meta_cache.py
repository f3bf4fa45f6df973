"""The meta cache database on a real SQLite file: expiry, "no meta", size bound, modes, history."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from resources.lib.database import meta_cache, meta_cache_schema


@pytest.fixture
def cache(tmp_path, clock):
    with meta_cache.opened(str(tmp_path / "meta_cache.db"), clock=clock) as opened:
        yield opened


def test_an_entry_is_fresh_until_it_expires_then_stale_but_kept(cache, clock):
    cache.put("meta", "movie:tt1", {"name": "Ünïcode 千"}, ttl=100)
    entry = cache.get("meta", "movie:tt1")
    assert entry.fresh and entry.payload == {"name": "Ünïcode 千"} and not entry.missing
    clock.advance(101)
    stale = cache.get("meta", "movie:tt1")
    assert stale is not None and not stale.fresh and stale.payload == {"name": "Ünïcode 千"}
    assert cache.get("meta", "movie:tt2") is None


def test_no_meta_is_remembered_until_its_expiry(cache, clock):
    cache.put_missing("meta", "movie:tt404", ttl=50)
    entry = cache.get("meta", "movie:tt404")
    assert entry.missing and entry.fresh and entry.payload is None
    clock.advance(51)
    assert not cache.get("meta", "movie:tt404").fresh


def test_get_many_reads_a_batch_in_one_call(cache):
    for n in range(1200):
        cache.put("meta", f"movie:tt{n}", {"n": n}, ttl=100)
    found = cache.get_many("meta", [f"movie:tt{n}" for n in range(0, 1300, 2)])
    assert len(found) == 600 and found["movie:tt998"].payload == {"n": 998}


def test_the_size_bound_evicts_the_oldest_entries(tmp_path, clock):
    with meta_cache.opened(str(tmp_path / "m.db"), max_bytes=20_000, clock=clock) as small:
        for n in range(100):
            clock.advance(1)
            small.put("meta", f"movie:tt{n:03d}", {"plot": "x" * 500}, ttl=10_000)
        assert small.total_bytes() <= 20_000
        kept = sorted(small.get_many("meta", [f"movie:tt{n:03d}" for n in range(100)]))
        assert kept and kept[-1] == "movie:tt099"
        assert kept == [f"movie:tt{n:03d}" for n in range(100 - len(kept), 100)]  # newest kept
        real = small._conn.execute("SELECT COALESCE(SUM(size), 0) FROM entries").fetchone()[0]
        assert small.total_bytes() == real  # the trigger-kept total matches the rows


def test_replacing_an_entry_keeps_the_byte_total_right(cache):
    cache.put("catalog", "k", {"a": "x" * 1000}, ttl=10)
    cache.put("catalog", "k", {"a": "y"}, ttl=10)
    real = cache._conn.execute("SELECT SUM(size) FROM entries").fetchone()[0]
    assert cache.total_bytes() == real < 200


def test_files_are_private_and_wal(tmp_path):
    path = str(tmp_path / "meta_cache.db")
    with meta_cache.opened(path) as opened:
        opened.put("meta", "movie:tt1", {"x": 1}, ttl=10)
        assert opened._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        for suffix in ("", "-wal", "-shm"):
            assert stat.S_IMODE(os.stat(path + suffix).st_mode) == 0o600, suffix


def test_schema_is_versioned_and_reopening_keeps_data(tmp_path):
    path = str(tmp_path / "meta_cache.db")
    with meta_cache.opened(path) as first:
        first.put("meta", "movie:tt1", {"x": 1}, ttl=1e9)
    with meta_cache.opened(path) as second:
        rows = second._conn.execute("SELECT version, name FROM schema_migrations").fetchall()
        assert [tuple(r) for r in rows] == [(1, "initial")]
        assert meta_cache_schema.current_version(second._conn) == meta_cache_schema.LATEST_VERSION
        assert second.get("meta", "movie:tt1").payload == {"x": 1}


def test_a_corrupt_cache_file_is_moved_aside_and_replaced(tmp_path):
    path = tmp_path / "meta_cache.db"
    path.write_bytes(b"this is not a database" * 100)
    with meta_cache.opened(str(path)) as opened:
        assert opened.recovered is not None and os.path.exists(opened.recovered)
        opened.put("meta", "movie:tt1", {"x": 1}, ttl=10)
        assert opened.get("meta", "movie:tt1").payload == {"x": 1}


def test_an_unreadable_payload_counts_as_absent(cache):
    cache.put("meta", "movie:tt1", {"x": 1}, ttl=10)
    cache._conn.execute("UPDATE entries SET payload = '{broken' WHERE key = 'movie:tt1'")
    assert cache.get("meta", "movie:tt1") is None


def test_search_history_keeps_the_last_20_newest_first(cache, clock):
    for n in range(25):
        clock.advance(1)
        cache.add_search(f"query {n}", "movie")
    clock.advance(1)
    cache.add_search("  query   7 ", "movie")  # repeated (spaces normalised): moves to the top
    entries = cache.searches()
    assert len(entries) == meta_cache.HISTORY_LIMIT
    assert [e.query for e in entries[:3]] == ["query 7", "query 24", "query 23"]
    assert "query 4" not in [e.query for e in entries]
    cache.add_search("   ")  # nothing recorded for a blank query
    assert len(cache.searches()) == 20


def test_a_search_can_be_removed_and_the_history_cleared(cache):
    cache.add_search("the wire", "series")
    cache.add_search("the wire", "movie")  # another type: another entry
    first = cache.searches()[0]
    assert cache.remove_search(first.id) and not cache.remove_search(first.id)
    assert [(e.query, e.media_type) for e in cache.searches()] == [("the wire", "series")]
    assert cache.clear_searches() == 1 and cache.searches() == []


def test_clear_drops_answers_but_keeps_history_and_info_counts(cache, clock):
    cache.put("meta", "movie:tt1", {"x": 1}, ttl=10)
    cache.put_missing("meta", "movie:tt2", ttl=1)
    cache.put("catalog", "p", {"metas": []}, ttl=10)
    cache.add_search("q")
    clock.advance(5)
    info = cache.info()
    assert info["entries"] == {
        "meta": {"ok": 1, "none": 1, "expired": 1},
        "catalog": {"ok": 1, "none": 0, "expired": 0},
    }
    assert info["searches"] == 1 and info["file_bytes"] > 0 and info["payload_bytes"] > 0
    cache.clear()
    assert cache.info()["entries"] == {} and cache.total_bytes() == 0
    assert [e.query for e in cache.searches()] == ["q"]


def test_a_second_process_sees_committed_entries(tmp_path, cache):
    cache.put("meta", "series:tt5", {"name": "x"}, ttl=10)
    other = sqlite3.connect(cache.path)
    try:
        assert other.execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 1
    finally:
        other.close()


def test_clearing_the_trakt_database_keeps_the_meta_cache(tmp_path):
    from resources.lib.database import maintenance
    from tests.support.browse_mirror import seed_mirror

    seed_mirror(str(tmp_path / "trakt_sync.db")).close()
    with meta_cache.opened(str(tmp_path / meta_cache.FILE_NAME)) as cache:
        cache.put("meta", "series:tt0903747", {"name": "Breaking Bad"}, ttl=100)
        cache.add_search("breaking")
        maintenance.clear_database(str(tmp_path / "trakt_sync.db"))
        assert cache.get("meta", "series:tt0903747").payload == {"name": "Breaking Bad"}
        assert [e.query for e in cache.searches()] == ["breaking"]


def test_corruption_found_while_reading_moves_the_file_aside_and_starts_empty(tmp_path):
    path = str(tmp_path / "meta_cache.db")
    with meta_cache.opened(path) as first:
        for n in range(300):
            first.put("meta", f"movie:tt{n}", {"plot": "x" * 2000}, ttl=1e9)
    with open(path, "r+b") as handle:  # the header survives, the pages behind it do not
        handle.seek(4096 * 3)
        handle.write(b"\xff" * 4096 * 40)
    with meta_cache.opened(path) as reopened:
        assert reopened.recovered is None  # opened without a full check
        assert reopened.get_many("meta", [f"movie:tt{n}" for n in range(300)]) == {}
        assert reopened.recovered is not None and os.path.exists(reopened.recovered)
        reopened.put("meta", "movie:tt1", {"x": 1}, ttl=10)
        assert reopened.get("meta", "movie:tt1").payload == {"x": 1}
