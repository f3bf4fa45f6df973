"""The optional rating prompt after playback: the decision from a table, the finale from the
mirror's episodes, and the service hook (remembers the stop, waits, asks, queues the rating; never
while a video plays again or Up Next is active)."""

from __future__ import annotations

import pytest

from resources.lib.database.connection import write_transaction
from resources.lib.database.trakt_sync import TraktSyncDatabase
from resources.lib.kodi import rating_prompt as kodi_prompt
from resources.lib.kodi.paths import get_paths
from resources.lib.scrobble import rating_prompt as rule
from resources.lib.scrobble.media import MediaRef

ON = rule.PromptSettings(movies=True, season_finale=True)
MOVIES = rule.PromptSettings(movies=True)
FINALES = rule.PromptSettings(season_finale=True)
OFF = rule.PromptSettings()


@pytest.mark.parametrize(
    "kind, progress, settings, finale, playing, upnext, code",
    [
        ("movie", 95.0, MOVIES, None, False, False, rule.PROMPT),
        ("movie", 80.0, ON, None, False, False, rule.PROMPT),
        ("movie", 79.9, ON, None, False, False, rule.NOT_ENDED),
        ("movie", 95.0, FINALES, None, False, False, rule.OFF),
        ("movie", 95.0, OFF, None, False, False, rule.OFF),
        ("movie", 95.0, MOVIES, None, True, False, rule.PLAYING),
        ("movie", 95.0, MOVIES, None, False, True, rule.UP_NEXT),
        ("episode", 95.0, FINALES, True, False, False, rule.PROMPT),
        ("episode", 95.0, FINALES, False, False, False, rule.NOT_FINALE),
        ("episode", 95.0, FINALES, None, False, False, rule.NOT_FINALE),  # season unknown
        ("episode", 95.0, MOVIES, True, False, False, rule.OFF),
        ("episode", 50.0, FINALES, True, False, False, rule.NOT_ENDED),
        ("episode", 99.0, FINALES, True, True, False, rule.PLAYING),  # the next one started
        ("episode", 99.0, FINALES, True, False, True, rule.UP_NEXT),
        ("episode", 99.0, FINALES, True, True, True, rule.UP_NEXT),
        ("show", 99.0, ON, True, False, False, rule.UNKNOWN),
    ],
)
def test_decision_table(kind, progress, settings, finale, playing, upnext, code):
    assert rule.decide(kind, progress, settings, finale, playing, upnext) == code


@pytest.mark.parametrize(
    "number, last, finale", [(10, 10, True), (9, 10, False), (11, 10, True), (3, None, None)]
)
def test_finale_is_the_seasons_last_known_episode(number, last, finale):
    assert rule.is_finale(number, last) is finale


@pytest.fixture
def mirror(kodi):
    db = TraktSyncDatabase(get_paths().db_path)
    with write_transaction(db.connection):
        db.connection.execute("INSERT INTO shows (trakt_id, title) VALUES (9, 'Show')")
        for number in (1, 2, 3):
            db.connection.execute(
                "INSERT INTO episodes (show_id, season, number, trakt_id, has_metadata) "
                "VALUES (9, 1, ?, ?, 1)",
                (number, 900 + number),
            )
    db.close()
    return kodi


def _run(prompt, media, progress):
    prompt.stopped(media, progress, "Title")
    prompt.ended()
    if prompt.thread is not None:
        prompt.thread.join(10)
        assert not prompt.thread.is_alive()


def _db():
    return TraktSyncDatabase(get_paths().db_path)


def test_a_movie_ended_is_rated_through_the_outbox(mirror):
    mirror.set_setting("rating_prompt_movies", True)
    asked = []
    prompt = kodi_prompt.PromptAfterPlayback(
        wait=lambda s: False, ask=lambda current, title: asked.append((current, title)) or 8
    )
    _run(prompt, MediaRef.movie({"trakt": 5}), 96.0)
    assert asked == [(None, "Title")]
    db = _db()
    try:
        assert db.ratings_for([("movie", 5, None, None, None)]) == [8]
        assert [(r.kind, r.payload["rating"]) for r in db.outbox_rows()] == [("rate", 8)]
    finally:
        db.close()


@pytest.mark.parametrize(
    "number, playing, upnext, asked",
    [(3, False, "", True), (2, False, "", False), (3, True, "", False), (3, False, "true", False)],
)
def test_a_season_finale_prompts_unless_the_next_episode_plays(
    mirror, number, playing, upnext, asked
):
    import xbmcgui

    mirror.set_setting("rating_prompt_season_finale", True)
    mirror.playing_video = playing
    xbmcgui.Window(10000).setProperty(kodi_prompt.UPNEXT_ACTIVE_PROPERTY, upnext)
    calls = []
    prompt = kodi_prompt.PromptAfterPlayback(
        wait=lambda s: calls.append(("wait", s)) and False,
        ask=lambda current, title: calls.append("ask"),
    )
    media = MediaRef.episode({"trakt": 9}, 1, number)
    _run(prompt, media, 99.0)
    assert ("ask" in calls) is asked
    assert calls[0] == ("wait", rule.SETTLE_SECONDS)  # it waits before looking
    db = _db()
    try:
        assert db.outbox_rows() == []  # a cancelled select (None) queues nothing
    finally:
        db.close()


def test_a_show_known_only_from_local_plays_has_no_finale(mirror, monkeypatch):
    """Episodes a local play created (no episode list yet, ``has_metadata`` 0) do not tell the
    season's last episode: each would count as the finale."""
    from resources.lib.kodi import scrobbling
    from resources.lib.kodi.context import build_context
    from resources.lib.scrobble.state import Action

    mirror.set_setting("rating_prompt_season_finale", True)
    service = scrobbling.PlaybackScrobbling(get_paths().data_dir, build_context)
    asked = []
    service.rating_prompt = kodi_prompt.PromptAfterPlayback(
        wait=lambda s: False, ask=lambda current, title: asked.append(title)
    )
    media = MediaRef.episode({"trakt": 11}, 1, 2)
    service._record_local(media, Action("stop", 99.0, 1.7e9), "E2")
    service._playback_ended()
    service.rating_prompt.thread.join(10)
    assert asked == []
    assert [code for code, _, _ in service.rating_prompt.outcomes] == [rule.NOT_FINALE]
    db = _db()
    try:
        rows = db.connection.execute(
            "SELECT plays, has_metadata FROM episodes WHERE show_id = 11"
        ).fetchall()
        assert [tuple(row) for row in rows] == [(1, 0)]  # the play did reach the mirror
        assert db.last_episode_number(11, 1) is None
        assert db.last_episode_number(9, 1) == 3
    finally:
        db.close()


def test_the_service_keeps_only_the_last_twenty_decisions(mirror):
    mirror.set_setting("rating_prompt_movies", True)
    prompt = kodi_prompt.PromptAfterPlayback(
        wait=lambda s: False, ask=lambda current, title: pytest.fail("asked")
    )
    for trakt in range(1, 26):  # a service runs for weeks: one decision per playback
        _run(prompt, MediaRef.movie({"trakt": trakt}), 50.0)
    assert len(prompt.outcomes) == 20
    assert [ids["trakt_id"] for _, _, ids in prompt.outcomes] == list(range(6, 26))
    assert {code for code, _, _ in prompt.outcomes} == {rule.NOT_ENDED}


def test_with_both_switches_off_nothing_waits(mirror):
    prompt = kodi_prompt.PromptAfterPlayback(wait=lambda s: pytest.fail("waited"))
    _run(prompt, MediaRef.movie({"trakt": 5}), 99.0)
    assert prompt.thread is None


def test_the_select_offers_10_to_1_and_remove_only_with_a_rating(kodi):
    labels, answers = kodi_prompt.rating_options(None)
    assert labels == [str(n) for n in range(10, 0, -1)] and answers == list(range(10, 0, -1))
    labels, answers = kodi_prompt.rating_options(7)
    assert labels[3] == "7 (your rating now)" and labels[-1] == "Remove rating"
    assert answers[-1] == kodi_prompt.REMOVE
    kodi.script("select", 10)
    assert kodi_prompt.ask_rating(7, "Film") == kodi_prompt.REMOVE
    assert kodi.dialog_calls("select")[-1][0][0] == "Rate Film"
    kodi.script("select", -1)
    assert kodi_prompt.ask_rating(None) is None


def test_the_service_scrobbling_feeds_the_prompt_each_stop_and_end(mirror, monkeypatch):
    from resources.lib.kodi import scrobbling
    from resources.lib.kodi.context import build_context
    from resources.lib.scrobble.state import Action

    mirror.set_setting("rating_prompt_movies", True)
    service = scrobbling.PlaybackScrobbling(get_paths().data_dir, build_context)
    asked = []
    service.rating_prompt = kodi_prompt.PromptAfterPlayback(
        wait=lambda s: False, ask=lambda current, title: asked.append(title) or 6
    )
    service._record_local(MediaRef.movie({"trakt": 5}), Action("stop", 91.0, 1.7e9), "Film")
    service._playback_ended()
    service.rating_prompt.thread.join(10)
    assert asked == ["Film"]
    db = _db()
    try:
        assert db.ratings_for([("movie", 5, None, None, None)]) == [6]
        assert db.is_movie_watched(5)  # the stop still reached the mirror
    finally:
        db.close()
