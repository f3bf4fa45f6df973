"""Hostile legacy cache files never crash the migration (hypothesis fuzzing)."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resources.lib.database.migration import FLAG_NAME, run_migration

CACHE_TYPES = (
    "watchlist_movies",
    "watchlist_shows",
    "watched_movies",
    "watched_shows",
    "hidden_shows",
    "collection_movies",
    "show_progress_trakt_1388",
    "show_progress_tt0903747",
)
HASH = "0123456789abcdef" * 2

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([2**63, 2**63 - 1, -(2**63), 10**30])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.sampled_from(["2025-01-01T00:00:00.000Z", "0001-01-01T00:00:00+05:00", "\ud800", ""])
)
keys = st.sampled_from(
    ["ids", "trakt", "movie", "show", "seasons", "episodes", "number", "plays", "title",
     "rank", "listed_at", "last_watched_at", "reset_at", "aired", "year", "imdb", "tmdb"]
) | st.text(max_size=5)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=30,
)
# Items shaped like the real ones, with hostile leaves.
media = st.fixed_dictionaries(
    {"ids": st.fixed_dictionaries({"trakt": scalars}, optional={"imdb": scalars, "tmdb": scalars})},
    optional={"title": scalars, "year": scalars},
)
episode = st.fixed_dictionaries({"number": scalars, "plays": scalars})
shaped_item = st.fixed_dictionaries(
    {"movie": media, "show": media},
    optional={
        "plays": scalars,
        "rank": scalars,
        "id": scalars,
        "seasons": st.lists(
            st.fixed_dictionaries({"number": scalars, "episodes": st.lists(episode, max_size=3)}),
            max_size=3,
        ),
    },
)
payloads = st.one_of(
    json_values,
    st.lists(shaped_item | scalars, max_size=5),
)


def _run(files):
    with tempfile.TemporaryDirectory() as folder:
        cache = os.path.join(folder, "cache")
        os.makedirs(cache)
        for name, body in files.items():
            with open(os.path.join(cache, name), "wb") as handle:
                handle.write(body)
        db = os.path.join(folder, "trakt_sync.db")
        result = run_migration(folder, db)
        assert result.error is None
        assert result.flag_written and os.path.exists(os.path.join(folder, FLAG_NAME))
        conn = sqlite3.connect(db)
        try:
            assert conn.execute("SELECT COUNT(*) FROM activities").fetchone() == (0,)
            stored = conn.execute("SELECT COUNT(*) FROM episodes").fetchone()[0]
        finally:
            conn.close()
        assert stored == result.counts["watched_episodes"]
        return result


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CACHE_TYPES), payloads, st.booleans())
def test_hostile_json_never_crashes_the_migration(cache_type, data, wrapped):
    body = {"timestamp": 1.0, "cache_type": cache_type, "identifier": "trakt", "data": data}
    text = json.dumps(body if wrapped else data, allow_nan=True)
    _run({f"{cache_type}_{HASH}.json": text.encode("utf-8", "surrogatepass")})


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(CACHE_TYPES), st.binary(max_size=200))
def test_random_bytes_never_crash_the_migration(cache_type, raw):
    result = _run({f"{cache_type}_{HASH}.json": raw})
    assert len(result.skipped) <= 1


def test_deep_nesting_huge_numbers_and_lone_surrogates_are_survived():
    deep = "[" * 200000 + "]" * 200000
    huge = (
        '{"timestamp": 1, "cache_type": "watched_movies", "data": [{"plays": ' + "9" * 5000 + "}]}"
    )
    weird = json.dumps(
        {"timestamp": 1, "cache_type": "watchlist_movies", "data": [
            {"rank": 1, "movie": {"title": "\ud800 bad \udfff", "ids": {"trakt": 7, "tmdb": 2**80}}}
        ]}
    )  # fmt: skip
    result = _run(
        {
            f"watched_shows_{HASH}.json": deep.encode(),
            f"watched_movies_{HASH}.json": huge.encode(),
            f"watchlist_movies_{HASH}.json": weird.encode("utf-8", "surrogatepass"),
        }
    )
    assert {name.split("_")[1] for name, _ in result.skipped} == {"shows", "movies"}
    assert result.counts["watchlist_movies"] == 1
