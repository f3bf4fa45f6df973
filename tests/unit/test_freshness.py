"""Fresh when opened: a list on a stale mirror asks the service for one check of Trakt, never
waits for it, and the service refreshes the open list when something changed."""

from __future__ import annotations

import json
import threading
import time

import kodistate
import pytest

from resources.lib.kodi import freshness, service_notify, window
from resources.lib.kodi import service as service_module
from resources.lib.kodi.paths import get_paths
from resources.lib.plugin import router
from resources.lib.trakt.tokens import Tokens, TokenStore
from sandbox.server import Sandbox

NOW = 1_800_000_000.0
URL = "plugin://plugin.video.aiostreams/"


@pytest.fixture
def kodi():
    state = kodistate.reset()
    yield state
    state.abort.set()
    kodistate.cleanup()


def synced_at(kodi, seconds_ago):
    window.publish_last_sync("ok", "auto", 0, 1, NOW - seconds_ago)


def asked(kodi):
    return kodi.builtins.count(freshness.BUILTIN)


# ------------------------------------------------------------------ the plugin side


@pytest.mark.parametrize(
    "last_check_ago, requests",
    [(None, 1), (5, 0), (59, 0), (60, 1), (3600, 1)],
)
def test_a_list_asks_only_when_the_last_check_is_a_minute_old(kodi, last_check_ago, requests):
    if last_check_ago is not None:
        synced_at(kodi, last_check_ago)
    assert freshness.request_if_stale(NOW) is bool(requests)
    assert asked(kodi) == requests


def test_lists_opened_within_a_minute_ask_once(kodi):
    synced_at(kodi, 600)
    results = [freshness.request_if_stale(NOW + offset) for offset in (0, 1, 30, 59)]
    assert results == [True, False, False, False] and asked(kodi) == 1
    assert freshness.request_if_stale(NOW + 60) and asked(kodi) == 2


def test_a_render_caused_by_the_services_own_refresh_does_not_ask(kodi):
    synced_at(kodi, 600)  # say the published time lags: the refresh mark alone must hold it
    assert service_notify.refresh_lists(NOW) is False  # no list of ours is open
    assert freshness.request_if_stale(NOW + 2) is False and asked(kodi) == 0
    assert freshness.request_if_stale(NOW + 61) is True


def test_a_broken_property_never_costs_the_list(kodi):
    window.set_text(window.LAST_SYNC, "{not json")
    window.set_text(window.FRESH_REQUESTED, "yesterday")
    assert freshness.request_if_stale(NOW) is True and asked(kodi) == 1


@pytest.mark.parametrize(
    "folder, refreshed",
    [
        (URL + "?action=next_up", True),
        ("plugin://plugin.video.aiostreams", True),
        ("plugin://plugin.video.aiostreams.other/?action=x", False),
        ("videodb://movies/titles/", False),
        ("", False),
    ],
)
def test_the_open_list_is_refreshed_only_when_it_is_ours(kodi, folder, refreshed):
    kodi.info_labels["Container.FolderPath"] = folder
    assert service_notify.refresh_lists(NOW) is refreshed
    assert kodi.builtins.count("Container.Refresh") == int(refreshed)
    assert window.get_text(window.FRESH_REFRESHED) == "%.3f" % NOW


@pytest.mark.parametrize(
    "sender, method, events",
    [
        ("plugin.video.aiostreams", "Other.freshness", [("fresh", "list")]),
        ("someone.else", "Other.freshness", []),
        ("plugin.video.aiostreams", "Other.other", []),
    ],
)
def test_the_monitor_turns_our_notification_into_a_freshness_event(sender, method, events):
    seen = []
    monitor = service_module.AIOStreamsMonitor(lambda kind, source="": seen.append((kind, source)))
    monitor.onNotification(sender, method, "")
    assert seen == events


# ------------------------------------------------------- the service reacting, with the sandbox


@pytest.fixture
def sandbox():
    with Sandbox(account="small", seed=3, port=0) as sb:
        yield sb


def authorise(kodi, sandbox):
    for key, value in (
        ("trakt_api_url", sandbox.url),
        ("trakt_oauth_url", sandbox.url),
        ("trakt_client_id", sandbox.client_id),
        ("trakt_client_secret", sandbox.client_secret),
    ):
        kodi.set_setting(key, value)
    TokenStore(get_paths().token_path).save(Tokens.from_response(sandbox.issue_tokens()))


def browse(kodi, query, handle=7):
    kodi.directory.clear()
    kodi.ended.clear()
    router.run([URL, str(handle), query, "resume:false"])
    assert kodi.ended and kodi.ended[-1]["handle"] == handle
    return [item.getLabel() for _, _, item, _ in kodi.directory]


def wait_for(condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_a_play_on_another_device_shows_in_the_open_next_up_within_5_s(kodi, sandbox, capsys):
    authorise(kodi, sandbox)
    kodi.clock = None  # real waits
    lag = [120.0]  # the first sync happened two minutes ago (the mirror is stale)
    service = service_module.AIOStreamsService(clock=lambda: time.time() - lag[0])
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    try:
        assert kodi.wait_for_log("Sync finished: status=ok trigger=auto", timeout=30)
        lag[0] = 0.0
        kodi.info_labels["Container.FolderPath"] = URL + "?action=next_up"
        before = browse(kodi, "?action=next_up")
        truth = sandbox.truth()["next_up"]
        shows = sandbox.state.catalog.shows
        top = before[0]  # the show on top of the open list, as the mirror has it
        show = next(s for s in sorted(truth, key=int) if top.startswith(shows[int(s)].title + " "))
        step = truth[show]
        assert "%dx%02d" % (step["season"], step["number"]) in top
        sandbox.reset_requests()

        played = time.monotonic()
        sandbox.mutate(
            "watch_episode", show=int(show), season=step["season"], number=step["number"]
        )
        opened = time.monotonic()
        assert browse(kodi, "?action=next_up") == before  # rendered at once, from the mirror
        render_seconds = time.monotonic() - opened
        assert kodi.builtins.count(freshness.BUILTIN) == 1
        # Kodi delivers NotifyAll to every monitor as "Other.<message>": the doubles do not.
        service.monitor.onNotification("plugin.video.aiostreams", "Other.freshness", "")
        assert wait_for(lambda: "Container.Refresh" in kodi.builtins, 5.0)
        after = browse(kodi, "?action=next_up")
        shown = time.monotonic() - played
        assert top not in after and shown < 5.0  # the episode played elsewhere left Next Up
        assert kodi.builtins.count(freshness.BUILTIN) == 1  # the refreshed render did not ask
        assert json.loads(kodi.home_property("aiostreams.last_sync"))["trigger"] == "fresh"
        with capsys.disabled():
            print(
                "\nfresh when opened: play -> shown in open Next Up %.2f s; render %.3f s; "
                "requests %s" % (shown, render_seconds, sandbox.requests().get("total"))
            )
    finally:
        kodi.abort.set()
        thread.join(5.0)


def test_a_freshness_check_that_finds_nothing_new_is_one_request_and_no_refresh(kodi, sandbox):
    authorise(kodi, sandbox)
    kodi.clock = None  # real waits
    lag = [120.0]
    service = service_module.AIOStreamsService(clock=lambda: time.time() - lag[0])
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    try:
        assert kodi.wait_for_log("Sync finished: status=ok trigger=auto", timeout=30)
        lag[0] = 0.0
        kodi.info_labels["Container.FolderPath"] = URL + "?action=next_up"
        sandbox.reset_requests()
        browse(kodi, "?action=next_up")
        service.monitor.onNotification("plugin.video.aiostreams", "Other.freshness", "")
        assert kodi.wait_for_log("Sync finished: status=ok trigger=fresh changes=0 requests=1")
        assert sandbox.requests().get("total") == 1
        assert "Container.Refresh" not in kodi.builtins
    finally:
        kodi.abort.set()
        thread.join(5.0)
