"""The log handler (levels, prefixes, redaction), dialogs and list items on Kodi 19 and 20."""

from __future__ import annotations

import logging

import kodistate
import pytest

from resources.lib.kodi import dialogs, directory
from resources.lib.kodi.log import redact, setup_logging
from resources.lib.kodi.progress import BackgroundProgress, Progress

SECRET = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


@pytest.fixture
def kodi(kodi):
    """The shared state; afterwards the Kodi log handlers these tests install are removed."""
    yield kodi
    logging.getLogger().handlers = [
        h for h in logging.getLogger().handlers if type(h).__name__ != "KodiLogHandler"
    ]


@pytest.mark.parametrize(
    "level, kodi_level",
    [
        (logging.DEBUG, 0),
        (logging.INFO, 1),
        (logging.WARNING, 2),
        (logging.ERROR, 3),
        (logging.CRITICAL, 4),
    ],
)
def test_levels_map_to_kodi_levels(kodi, level, kodi_level):
    setup_logging(service=False)
    logging.getLogger("resources.lib.database.x").log(level, "hello %s", "there")
    assert kodi.logs == [(kodi_level, "[AIOStreams] hello there")]


def test_service_prefix_and_idempotent_setup(kodi):
    setup_logging(service=False)
    setup_logging(service=True)
    logging.getLogger("any").info("one line")
    assert kodi.logs == [(1, "[AIOStreams Service] one line")]


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer " + SECRET,
        '{"access_token": "abc123xyz", "refresh_token": "def456"}',
        "refresh_token=abc123xyz&client_secret=s3cr3t",
        "device_code: 0123456789abcdef0123456789abcdef",
        "token " + SECRET,
        "client_secret='hunter2'",
    ],
)
def test_secrets_are_masked(kodi, text):
    setup_logging(service=True)
    logging.getLogger("x").warning("request failed: %s", text)
    ((_, line),) = kodi.logs
    for secret in (SECRET, "abc123xyz", "def456", "s3cr3t", "0123456789abcdef", "hunter2"):
        assert secret not in line


def test_harmless_text_is_not_masked():
    text = "Sync finished: status=ok trigger=auto changes=3 requests=4 status_code=500"
    assert redact(text) == text


def test_tracebacks_are_logged_and_redacted(kodi):
    setup_logging(service=True)
    try:
        raise ValueError("access_token=abc123xyz")
    except ValueError:
        logging.getLogger("x").exception("failed")
    ((level, line),) = kodi.logs
    assert level == 3 and "Traceback" in line and "abc123xyz" not in line


def test_yesno_passes_labels_as_keywords(kodi):
    kodi.script("yesno", True)
    assert dialogs.yesno("Delete?", heading="H", yeslabel="Delete", nolabel="Keep") is True
    ((args, kwargs),) = kodi.dialog_calls("yesno")
    assert args == ("H", "Delete?") and kwargs == {"yeslabel": "Delete", "nolabel": "Keep"}


def test_fake_yesno_rejects_positional_labels(kodi):
    import xbmcgui

    with pytest.raises(TypeError):
        xbmcgui.Dialog().yesno("H", "message", "line2", "line3")


def test_notification_is_silent_and_uses_addon_heading(kodi):
    dialogs.notification("done")
    ((args, _),) = kodi.dialog_calls("notification")
    assert args == ("AIOStreams", "done", "info", 5000, False)


def test_progress_dialogs_close_even_when_work_raises(kodi):
    with pytest.raises(RuntimeError):
        with BackgroundProgress("start") as bar:
            bar.update(150, "too far")
            raise RuntimeError("x")
    assert kodi.progress_updates == [("progressbg", 100, "too far")]
    assert kodi.dialog_calls("progressbg.close")
    with Progress("message") as progress:
        progress.update(-5)
        assert not progress.iscanceled()
    assert kodi.dialog_calls("progress.close")


def sample_item():
    return directory.Item(
        label="Show 1x02. Title",
        url="plugin://plugin.video.aiostreams/?action=play",
        playable=True,
        mediatype="episode",
        title="Title",
        year=2020,
        tvshowtitle="Show",
        season=1,
        episode=2,
        unique_ids={"trakt": "5", "imdb": "tt1", "tmdb": "7"},
        playcount=0,
        resume_seconds=600.0,
        total_seconds=2400.0,
    )


def test_kodi20_list_item_uses_info_tag_setters(kodi):
    item = directory.build_listitem(sample_item())
    tag = item.tag
    assert tag["mediaType"] == "episode" and tag["season"] == 1 and tag["episode"] == 2
    assert tag["uniqueIDs"] == ({"trakt": "5", "imdb": "tt1", "tmdb": "7"}, "tmdb")
    assert tag["resumePoint"] == (600.0, 2400.0)
    assert item.info == {} and item.getProperty("IsPlayable") == "true"


def test_kodi19_list_item_uses_setinfo(kodi):
    kodistate.STATE.kodi_version = 19
    item = directory.build_listitem(sample_item())
    assert item.info["mediatype"] == "episode" and item.info["tvshowtitle"] == "Show"
    assert item.unique_ids == {"trakt": "5", "imdb": "tt1", "tmdb": "7"}
    assert item.getProperty("ResumeTime") == "600.0" and item.getProperty("TotalTime") == "2400.0"


def test_directory_is_never_cached_and_refused_handles_are_ignored(kodi):
    directory.show(4, [sample_item()], content="episodes")
    assert kodi.ended == [
        {"handle": 4, "succeeded": True, "updateListing": False, "cacheToDisc": False}
    ]
    directory.show(-1, [sample_item()])
    directory.end_empty(-1)
    assert len(kodi.ended) == 1
