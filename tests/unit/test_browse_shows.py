"""Seasons, episodes, merged search order and the mirror's marks, without the network."""

from __future__ import annotations

import pytest

from resources.lib.aiostreams.meta import MetaPreview, parse_meta
from resources.lib.browse.mirror import ShowMarks, item_marks, show_marks
from resources.lib.browse.policy import next_skip
from resources.lib.browse.records import Mark
from resources.lib.browse.shows import (
    aired_flags,
    build_episodes,
    build_seasons,
    merge_in_order,
    parse_time,
    show_mark,
)
from tests.support.browse_mirror import SHOW_ID, seed_mirror

NOW = parse_time("2026-06-01T00:00:00.000Z")


def _video(season, number, released="2020-01-01T00:00:00.000Z", **extra):
    video = {"id": f"tt1:{season}:{number}", "season": season, "episode": number}
    if released:
        video["released"] = released
    video.update(extra)
    return video


def _meta(videos, **extra):
    payload = {"id": "tt1", "type": "series", "name": "Show", "poster": "p", "videos": videos}
    payload.update(extra)
    return parse_meta({"meta": payload})


def test_specials_come_last_and_seasons_in_order():
    meta = _meta([_video(0, 1), _video(2, 1), _video(1, 2), _video(1, 1), _video(0, 2)])
    seasons = build_seasons(meta, ShowMarks(), NOW)
    assert [(s.number, s.episode_count, s.is_specials) for s in seasons] == [
        (1, 2, False),
        (2, 1, False),
        (0, 2, True),
    ]


def test_future_episodes_are_not_aired_nor_playable():
    meta = _meta([_video(1, 1), _video(1, 2, "2026-06-08T00:00:00.000Z")])
    episodes = build_episodes(meta, 1, ShowMarks(), NOW)
    assert [(e.number, e.aired, e.playable) for e in episodes] == [
        (1, True, True),
        (2, False, False),
    ]
    assert build_seasons(meta, ShowMarks(), NOW)[0].aired_count == 1


def test_an_undated_episode_after_an_unaired_one_is_not_aired():
    meta = _meta([_video(1, 1), _video(1, 2, "2027-01-01T00:00:00Z"), _video(1, 3, None)])
    assert aired_flags(meta, NOW) == {(1, 1): True, (1, 2): False, (1, 3): False}


def test_undated_episodes_of_an_add_on_without_dates_are_aired():
    meta = _meta([_video(1, 1, None), _video(1, 2, None), _video(0, 1, None)])
    assert set(aired_flags(meta, NOW).values()) == {True}


def test_duplicate_and_unnumbered_videos():
    meta = _meta(
        [_video(1, 1, title="first"), _video(1, 1, title="dup"), {"id": "extra", "title": "Bonus"}]
    )
    assert [e.title for e in build_episodes(meta, 1, ShowMarks(), NOW)] == ["first"]
    assert [(e.stremio_id, e.title) for e in build_episodes(meta, 0, ShowMarks(), NOW)] == [
        ("extra", "Bonus")
    ]


def test_episode_titles_may_be_missing_and_art_falls_back_to_the_show():
    meta = _meta([_video(1, 1, thumbnail="t")], name="進撃の巨人")
    (episode,) = build_episodes(meta, 1, ShowMarks(), NOW)
    assert episode.title is None and episode.art.thumb == "t" and episode.art.poster == "p"


def test_search_merge_keeps_first_occurrence_in_catalog_order():
    def preview(stremio_id, imdb=None):
        return MetaPreview(id=stremio_id, type="movie", name=stremio_id, imdb_id=imdb)

    first = [preview("tt1", "tt1"), preview("kitsu:5")]
    second = [preview("tmdb:9", "tt2"), preview("tmdb:1", "tt1"), preview("kitsu:5")]
    assert [m.id for m in merge_in_order([first, second])] == ["tt1", "kitsu:5", "tmdb:9"]


def test_marks_come_from_the_mirror(tmp_path):
    db = seed_mirror(str(tmp_path / "trakt_sync.db"))
    marks = item_marks(db, ["tt0111161", "tt0133093", "tt0068646", "tt0903747", "tt9", None])
    assert marks["tt0111161"] == Mark(playcount=1, watched=True, trakt_id=1)
    assert marks["tt0133093"].resume_percent == 60.0 and not marks["tt0133093"].watched
    assert marks["tt0068646"].in_watchlist
    show = marks["tt0903747"]
    assert (show.completed, show.aired, show.watched, show.trakt_id) == (2, 12, False, SHOW_ID)
    assert "tt9" not in marks
    assert item_marks(None, ["tt0111161"]) == {}


def test_episode_marks_watched_playcount_resume_and_next_up(tmp_path):
    db = seed_mirror(str(tmp_path / "trakt_sync.db"))
    marks = show_marks(db, "tt0903747")
    assert marks.show_id == SHOW_ID and marks.next_up == (1, 3)
    assert marks.mark(1, 1) == Mark(playcount=2, watched=True)
    assert marks.mark(1, 3) == Mark(resume_percent=40.0, next_up=True)
    assert marks.mark(2, 1) == Mark()
    assert Mark(resume_percent=40.0).resume_seconds(50) == 1200


def test_a_reset_show_counts_only_plays_after_the_reset(tmp_path):
    db = seed_mirror(str(tmp_path / "trakt_sync.db"))
    db.connection.execute(
        "UPDATE shows SET reset_at = '2024-01-01T12:00:00.000Z' WHERE trakt_id = ?", (SHOW_ID,)
    )
    marks = show_marks(db, "tt0903747")
    assert marks.mark(1, 1) == Mark(playcount=2, watched=False)  # played before the reset
    assert marks.mark(1, 2).watched


def test_a_show_hidden_from_next_up_has_no_next_up_mark(tmp_path):
    db = seed_mirror(str(tmp_path / "trakt_sync.db"))
    db.connection.execute(
        "INSERT INTO hidden (section, media_type, trakt_id) VALUES ('progress_watched', 'show', ?)",
        (SHOW_ID,),
    )
    marks = show_marks(db, "tt0903747")
    assert marks.next_up is None and not marks.mark(1, 3).next_up
    assert marks.mark(1, 3).resume_percent == 40.0


def test_show_mark_counts_aired_regular_episodes(tmp_path):
    db = seed_mirror(str(tmp_path / "trakt_sync.db"))
    meta = _meta([_video(0, 1), _video(1, 1), _video(1, 2), _video(1, 3, "2030-01-01T00:00:00Z")])
    mark = show_mark(meta, show_marks(db, "tt0903747"), NOW)
    assert (mark.completed, mark.aired, mark.watched, mark.playcount) == (2, 2, True, 3)


@pytest.mark.parametrize(
    "skip, count, page_size, expected",
    [
        (0, 50, 0, 50),  # a first page of 50: there may be more
        (0, 19, 0, None),  # a short first page ends the catalog
        (0, 20, 0, 20),
        (50, 50, 50, 100),
        (100, 30, 50, None),  # shorter than the first page: the last one
        (20, 20, 20, 40),  # an add-on paging by 20
        (0, 0, 0, None),
        (0, 100, 0, 100),
    ],
)
def test_next_page_rule(skip, count, page_size, expected):
    assert next_skip(skip, count, page_size) == expected
