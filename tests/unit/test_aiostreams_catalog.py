"""Manifest catalogs, extras encoding and the parsing of catalog and meta answers."""

from __future__ import annotations

import urllib.parse

import pytest

from aiostreams_sandbox import metas as sandbox_metas
from resources.lib.aiostreams import errors
from resources.lib.aiostreams.catalog import (
    catalog_path,
    catalogs_from_manifest,
    encode_extras,
    group_by_type,
    meta_path,
    parse_catalog_answer,
    raise_for_account_error,
)
from resources.lib.aiostreams.meta import meta_from_dict, parse_meta, parse_preview

MANIFEST = {
    "catalogs": [
        {
            "type": "movie",
            "id": "c1.top",
            "name": "Popular",
            "extra": [
                {"name": "search"},
                {"name": "genre", "options": ["Drama", None, "Action"]},
                {"name": "skip"},
            ],
        },
        {
            "type": "movie",
            "id": "t2.search",
            "name": "TMDB Search",
            "extra": [{"name": "search", "isRequired": True}],
        },
        {
            "type": "series",
            "id": "t2.discover",
            "name": "Discover",
            "extra": [{"name": "genre", "isRequired": True, "options": ["None", "Drama"]}],
        },
        {
            "type": "anime",
            "id": "k3.old",
            "name": "Legacy",
            "extraSupported": ["genre", "skip"],
            "extraRequired": [],
            "genres": ["Isekai"],
        },
        {"type": "movie", "id": "c1.top", "name": "Duplicate"},
        {"type": "movie", "name": "no id"},
        "garbage",
        {
            "type": "tv",
            "id": "x.needs-date",
            "name": "Guide",
            "extra": [{"name": "date", "isRequired": True}],
        },
    ]
}


def test_manifest_catalogs_keep_order_names_and_extras():
    found = catalogs_from_manifest(MANIFEST)
    assert [(c.type, c.id, c.name) for c in found] == [
        ("movie", "c1.top", "Popular"),
        ("movie", "t2.search", "TMDB Search"),
        ("series", "t2.discover", "Discover"),
        ("anime", "k3.old", "Legacy"),
        ("tv", "x.needs-date", "Guide"),
    ]
    top, search, discover, legacy, guide = found
    assert top.supports_search and not top.search_only and top.genres == ("Drama", "Action")
    assert top.default_genre is None and top.browsable
    assert search.search_only and not search.browsable
    assert discover.default_genre == "None" and discover.browsable
    assert legacy.genres == ("Isekai",) and legacy.extra("skip") is not None
    assert not guide.browsable  # a required extra we cannot fill


def test_groups_list_browsable_catalogs_by_type_in_manifest_order():
    groups = group_by_type(catalogs_from_manifest(MANIFEST))
    assert [(kind, [c.id for c in cats]) for kind, cats in groups] == [
        ("movie", ["c1.top"]),
        ("series", ["t2.discover"]),
        ("anime", ["k3.old"]),
    ]


def test_a_manifest_without_catalogs_has_none():
    assert catalogs_from_manifest({}) == []
    assert catalogs_from_manifest(None) == []
    assert catalogs_from_manifest({"catalogs": "nope"}) == []


def test_extras_go_in_the_last_path_segment_percent_encoded():
    assert catalog_path("movie", "c1.top") == "catalog/movie/c1.top.json"
    assert (
        catalog_path("movie", "c1.top", {"skip": 0, "genre": None}) == "catalog/movie/c1.top.json"
    )
    path = catalog_path(
        "series", "c1.top", {"skip": 100, "genre": "Science Fiction", "search": "the wire"}
    )
    assert path == "catalog/series/c1.top/search=the%20wire&genre=Science%20Fiction&skip=100.json"


def test_unicode_and_slashes_survive_the_extras_segment():
    encoded = encode_extras({"search": "Amélie/千と千尋"})
    assert "/" not in encoded
    assert urllib.parse.unquote(encoded) == "search=Amélie/千と千尋"


def test_ampersand_and_equals_cannot_split_a_value():
    # AIOStreams decodes the segment, then splits on "&" and "=": keep them out of values.
    encoded = encode_extras({"search": "tom & jerry = fun"})
    assert sandbox_metas.parse_extras(urllib.parse.unquote(encoded)) == {"search": "tom jerry fun"}


def test_meta_path_keeps_episode_colons():
    assert meta_path("series", "tt0903747") == "meta/series/tt0903747.json"
    assert meta_path("movie", "tmdb:550") == "meta/movie/tmdb:550.json"


def test_catalog_answer_splits_error_metas_from_items():
    answer = parse_catalog_answer(
        {
            "metas": [
                {"id": "tt1", "type": "movie", "name": "One"},
                {"id": "broken"},
                sandbox_metas.error_meta("Request timed out", "[❌] Cinemeta"),
            ]
        }
    )
    assert [m.id for m in answer.metas] == ["tt1"]
    assert answer.errors == ("Request timed out",)


def test_catalog_answer_without_metas_list_is_a_bad_response():
    with pytest.raises(errors.BadResponse):
        parse_catalog_answer({"streams": []})
    with pytest.raises(errors.BadResponse):
        parse_catalog_answer([])


@pytest.mark.parametrize(
    "text, error",
    [
        ("Rate Limit Exceeded", errors.RateLimited),
        ("Invalid password", errors.InstanceError),
        ("Please configure the addon first", errors.InstanceError),
        ("User not found", errors.InstanceError),
    ],
)
def test_account_errors_raise_item_errors_do_not(text, error):
    with pytest.raises(error):
        raise_for_account_error((text,))
    assert raise_for_account_error(("Request timed out",)) is None


def test_preview_fields_are_parsed_leniently():
    preview = parse_preview(
        {
            "id": "tmdb:550",
            "imdb_id": "tt0137523",
            "type": "movie",
            "name": "  Fight Club ",
            "releaseInfo": "1999",
            "imdbRating": "8.8",
            "runtime": "2h 19min",
            "genres": ["Drama", "Drama", 7, None],
            "poster": "",
            "background": "http://b",
        }
    )
    assert preview.imdb_id == "tt0137523" and preview.name == "Fight Club"
    assert (preview.year, preview.imdb_rating, preview.runtime) == (1999, 8.8, 139)
    assert preview.genres == ("Drama", "7") and preview.poster is None
    assert preview.background == "http://b"


@pytest.mark.parametrize(
    "value, minutes",
    [
        ("142 min", 142),
        (45, 45),
        ("1h", 60),
        ("", None),
        ("about an hour", None),
        ("90 mins", 90),
        ("1h 5m", 65),
        (0, None),
    ],
)
def test_runtime_forms(value, minutes):
    preview = parse_preview({"id": "tt1", "type": "movie", "name": "x", "runtime": value})
    assert preview.runtime == minutes


def test_a_meta_reads_videos_with_episode_or_number_and_round_trips():
    meta = parse_meta(
        {
            "meta": {
                "id": "tt1",
                "type": "series",
                "name": "Show",
                "releaseInfo": "2008-2013",
                "status": "Ended",
                "videos": [
                    {
                        "id": "tt1:1:1",
                        "season": 1,
                        "episode": 1,
                        "title": "Pilot",
                        "released": "2008-01-20T00:00:00.000Z",
                    },
                    {
                        "id": "tt1:1:2",
                        "season": "1",
                        "number": 2,
                        "name": "Second",
                        "description": "Plot",
                    },
                    {"season": 1},
                ],
            }
        }
    )
    assert meta.year == 2008 and meta.status == "Ended"
    assert [(v.season, v.episode, v.title) for v in meta.videos] == [
        (1, 1, "Pilot"),
        (1, 2, "Second"),
    ]
    assert meta.videos[1].overview == "Plot"
    assert meta_from_dict(meta.to_dict()) == meta


def test_error_metas_and_empty_answers_are_not_metas():
    assert parse_meta({"meta": sandbox_metas.error_meta("Invalid password")}) is None
    assert parse_meta({"meta": None}) is None
    assert parse_meta({"meta": {"name": "no id"}}) is None
    assert meta_from_dict({"unknown_field": 1}) is None
