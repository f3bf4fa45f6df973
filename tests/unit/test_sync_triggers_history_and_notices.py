"""What starts a sync and what it leaves behind: the decisions, table by table, on fake clocks.

Interval (1), sync on library update (2), selective sync (3, against the in-process sandbox),
history and statistics (4), background notifications (6) and the daily schedule (7).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import kodistate
import pytest

from resources.lib import cli
from resources.lib.database.trakt_sync import TraktSyncDatabase, engine, lease
from resources.lib.database.trakt_sync.result import SyncResult
from resources.lib.kodi import service as service_module
from resources.lib.kodi import service_notify
from resources.lib.kodi.log import setup_logging
from resources.lib.kodi.paths import get_paths
from resources.lib.kodi.settings import Settings
from resources.lib.service import history, scheduler
from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.tokens import Tokens, TokenStore
from sandbox.server import Sandbox

REPO = Path(__file__).resolve().parents[2]
SHIPPED = [REPO / "addon.py", REPO / "service.py", REPO / "script.py"] + sorted(
    path
    for path in (REPO / "resources").rglob("*")
    if path.is_file() and path.suffix in (".py", ".xml", ".po")
)
T0 = 1_800_000_000.0


# ------------------------------------------------------------------------- fakes


class FakeDb:
    def __init__(self, results=None):
        self.results = list(results or [])
        self.calls = []
        self.recovered = None

    def queued_scrobbles(self):  # the player's outbox (scrobble rows): none
        return []

    def push_scrobbles(self, client):
        return None

    def last_sync_at(self):
        return None

    def sync_activities(
        self, client, on_progress=None, should_abort=None, force=False, trigger="manual", **kw
    ):
        self.calls.append(dict(kw, trigger=trigger, force=force))
        if self.results:
            return self.results.pop(0)
        return SyncResult("ok", changes={}, requests=1)

    def close(self):
        pass


class FakeContext:
    def __init__(self, db):
        self.db = db
        self.client = object()
        self.paths = get_paths()
        self.settings = None

    def is_authorised(self):
        return True

    def close(self):
        pass


def make_service(kodi, results=None, start=T0, **settings):
    for key, value in settings.items():
        kodi.set_setting(key, value)
    db = FakeDb(results)
    clock = kodistate.FakeClock(start)
    kodi.clock = clock
    ctx = FakeContext(db)
    service = service_module.AIOStreamsService(
        clock=clock, context_factory=lambda settings, should_abort: ctx
    )
    setup_logging(service=True)
    service._start()
    return service, db, clock


def triggers(db):
    return [call["trigger"] for call in db.calls]


def run_ticks(service, clock, seconds, step=30):
    for _ in range(int(seconds // step)):
        clock.advance(step)
        service.tick()


def notifications(kodi):
    return [args[1] for args, _ in kodi.dialog_calls("notification")]


# -------------------------------------------------------------- 1. interval


def _setting(setting_id):
    root = ET.parse(str(REPO / "resources" / "settings.xml")).getroot()
    for setting in root.iter("setting"):
        if setting.get("id") == setting_id:
            return setting
    raise AssertionError(setting_id)


def test_interval_setting_offers_5_to_720_minutes_enabled_only_with_auto_sync():
    setting = _setting("trakt_sync_interval")
    options = [int(option.text) for option in setting.iter("option")]
    assert options == [5, 10, 15, 30, 60, 180, 360, 720] == list(scheduler.INTERVAL_CHOICES)
    assert setting.findtext("default") == "5"
    dependencies = [
        (dep.get("type"), dep.get("setting"), dep.text) for dep in setting.iter("dependency")
    ]
    assert dependencies == [("enable", "trakt_sync_auto", "true")]


@pytest.mark.parametrize(
    "value, minutes",
    [(5, 5), (720, 720), (60, 60), (0, 5), (-3, 5), (1, 5), (9999, 720), ("x", 5), (None, 5)],
)
def test_interval_minutes_stay_within_5_and_720(value, minutes):
    assert scheduler.interval_minutes(value) == minutes
    assert Settings(trakt_sync_interval=value).sync_interval_seconds == minutes * 60.0


def test_interval_and_library_syncs_obey_the_throttle_but_wake_bypasses_it(kodi):
    # The spec's wake flow bypasses the time check; the engine throttles the other triggers
    # (only the developer seconds override forces those).
    service, db, clock = make_service(
        kodi, trakt_sync_on_library_update=True, trakt_sync_schedule_enabled=True
    )
    service.tick()
    service.monitor.onScreensaverDeactivated()
    run_ticks(service, clock, 90)
    service.monitor.onScanFinished("video")
    run_ticks(service, clock, 60)
    assert triggers(db) == ["auto", "wake", "library"]
    assert [call["force"] for call in db.calls] == [False, True, False]


def test_force_sync_button_is_throttled_by_the_engine():
    source = (REPO / "resources" / "lib" / "plugin" / "actions.py").read_text()
    start = source.index("def force_trakt_sync(")
    body = source[start : source.index("# ---", start)]
    assert "force=False" in body and "force=True" not in body


# ------------------------------------------------------ 2. library update


def test_scan_then_clean_syncs_once_even_with_auto_sync_off(kodi):
    service, db, clock = make_service(
        kodi, trakt_sync_auto=False, trakt_sync_on_library_update=True
    )
    service.tick()
    assert triggers(db) == []
    service.monitor.onScanFinished("video")
    clock.advance(4)
    service.monitor.onCleanFinished("video")
    service.monitor.onScanFinished("music")
    for _ in range(40):
        clock.advance(1)
        service.tick()
    assert triggers(db) == ["library"]
    assert kodi.builtins == []


def test_library_update_ignored_while_its_setting_is_off(kodi):
    service, db, clock = make_service(kodi, trakt_sync_auto=False)
    service.monitor.onScanFinished("video")
    service.monitor.onCleanFinished("video")
    run_ticks(service, clock, 300)
    assert triggers(db) == []


def test_throttled_library_sync_is_deferred_not_lost(kodi):
    results = [
        SyncResult("ok", changes={}),
        SyncResult("throttled", next_allowed_at=T0 + 300),
        SyncResult("ok", changes={}),
    ]
    service, db, clock = make_service(
        kodi, results, trakt_sync_on_library_update=True, trakt_sync_interval=720
    )
    service.tick()
    clock.advance(60)
    service.monitor.onScanFinished("video")
    run_ticks(service, clock, 60, step=5)
    assert triggers(db) == ["auto", "library"]
    run_ticks(service, clock, 150, step=5)  # still inside the throttle
    assert triggers(db) == ["auto", "library"]
    run_ticks(service, clock, 60, step=5)
    assert triggers(db) == ["auto", "library", "library"]
    run_ticks(service, clock, 600)
    assert len(db.calls) == 3


_LIBRARY_UPDATE = re.compile(
    r"UpdateLibrary|CleanLibrary|VideoLibrary\.(Scan|Clean)|AudioLibrary\.(Scan|Clean)", re.I
)


def test_shipped_code_never_starts_a_library_update():
    offenders = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in SHIPPED
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if _LIBRARY_UPDATE.search(line)
    ]
    assert SHIPPED and offenders == []


# ------------------------------------------------------- 3. selective sync


@pytest.fixture
def rig(tmp_path):
    with Sandbox(account="small", seed=11, port=0) as sb:
        store = TokenStore(str(tmp_path / "tokens.json"))
        store.save(Tokens.from_response(sb.issue_tokens()))
        client = TraktClient(
            sb.client_id, sb.client_secret, token_store=store, api_url=sb.url, oauth_url=sb.url
        )
        db = TraktSyncDatabase(str(tmp_path / "trakt_sync.db"))
        try:
            yield sb, client, db
        finally:
            db.close()
            client.close()


def _rows(db, table):
    return db.connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()


def _endpoints(sb):
    return set(sb.requests()["by_endpoint"])


def test_an_off_category_is_neither_fetched_nor_changed_and_comes_back_in_full(rig):
    sb, client, db = rig
    assert db.sync_activities(client, force=True).status == "ok"
    assert db.snapshot()["watchlist"] == sb.truth()["watchlist"]
    listed = {(kind, trakt_id) for kind, trakt_id in sb.truth()["watchlist"]}
    movie = next(m for m in sorted(sb.state.catalog.movies) if ("movie", m) not in listed)
    sb.mutate("watchlist_add", type="movie", id=movie)
    before = _rows(db, "watchlist")

    others = [name for name in engine.CATEGORIES if name != "watchlist"]
    sb.reset_requests()
    result = db.sync_activities(client, force=True, categories=others)
    assert result.status == "ok" and "watchlist" not in result.changes
    assert not any("watchlist" in endpoint for endpoint in _endpoints(sb))
    assert _rows(db, "watchlist") == before

    # Meanwhile the mirror drifts (a row lost) while Trakt's watchlist timestamp stays put.
    with db.connection:
        db.connection.execute("DELETE FROM watchlist WHERE trakt_id = ?", (movie,))
    sb.reset_requests()
    result = db.sync_activities(client, force=True, categories=others)
    assert not any("watchlist" in endpoint for endpoint in _endpoints(sb))

    # Back on: fetched in full although the remote timestamp did not move since the last run.
    sb.reset_requests()
    result = db.sync_activities(client, force=True)
    assert result.status == "ok"
    assert any("watchlist" in endpoint for endpoint in _endpoints(sb))
    assert db.snapshot()["watchlist"] == sb.truth()["watchlist"]
    assert ["movie", movie] in db.snapshot()["watchlist"]
    # And only once: the next run with nothing moved fetches nothing but the activities.
    sb.reset_requests()
    db.sync_activities(client, force=True)
    assert _endpoints(sb) == {"GET /sync/last_activities"}


def test_service_passes_only_the_enabled_categories(kodi):
    service, db, _ = make_service(kodi, trakt_sync_watchlist=False, trakt_sync_ratings=False)
    service.tick()
    assert db.calls[0]["categories"] == ("watched", "playback", "hidden", "collection", "lists")


# ---------------------------------------------------- 4. history and stats


def _run(db, started, trigger="auto", status="ok", changes=None, requests=3, error=None):
    conn = db.connection
    run_id = lease.start_run(conn, trigger, started)
    lease.finish_run(conn, run_id, status, 1.25, requests, changes or {}, error)
    return run_id


def test_stats_total_the_last_seven_days_per_category(tmp_path):
    with TraktSyncDatabase(str(tmp_path / "db.sqlite")) as db:
        now = time.time()
        _run(db, now - 10 * 86400, changes={"watchlist": {"added": 50}})  # too old
        _run(db, now - 3 * 86400, "wake", changes={"watched_shows": {"added": 3, "changed": 1}})
        _run(db, now - 60, "library", changes={"watchlist": {"added": 1, "removed": 2}})
        _run(db, now - 30, "schedule", "error", error="NetworkError: timed out", requests=1)
        stats = db.sync_stats(days=7)
    assert stats["runs"] == 3 and stats["requests"] == 7
    assert stats["by_trigger"] == {"wake": 1, "library": 1, "schedule": 1}
    assert stats["changes"]["watched_shows"] == {"added": 3, "changed": 1, "removed": 0}
    assert stats["changes"]["watchlist"] == {"added": 1, "changed": 0, "removed": 2}
    fields = history.stats_fields(stats)
    assert (fields["runs"], fields["failed"], fields["added"], fields["removed"]) == (3, 1, 4, 2)
    assert fields["details"] == "watched shows +3 ~1 -0, watchlist +1 ~0 -2"


def test_history_is_pruned_by_age_and_count_but_keeps_the_last_fifty(tmp_path):
    with TraktSyncDatabase(str(tmp_path / "db.sqlite")) as db:
        old = time.time() - 30 * 86400
        for index in range(80):
            _run(db, old + index)
        count = db.connection.execute("SELECT COUNT(*) FROM sync_runs").fetchone()[0]
        assert count == lease.KEEP_RECENT == 50
        recent = time.time() - 3600
        for index in range(60):
            _run(db, recent + index)
        count = db.connection.execute("SELECT COUNT(*) FROM sync_runs").fetchone()[0]
        assert count == 60  # a week of runs is kept for the statistics
        assert len(db.sync_history(limit=50)) == 50
    assert lease.KEEP_RUNS >= 7 * 24 * 12 + 500  # a week at the 5-minute interval, and wakes


def test_history_lines_show_trigger_duration_requests_changes_and_errors():
    runs = [
        {
            "started_at": "2026-11-10T04:00:00Z",
            "trigger": "schedule",
            "status": "partial",
            "duration": 2.345,
            "requests": 9,
            "changes": {
                "watched_shows": {"added": 3, "changed": 0, "removed": 0},
                "watched_movies": {"added": 0, "changed": 1, "removed": 0},
                "metadata": {"added": 0, "changed": 2, "removed": 0},
            },
            "error": "ratings: HTTP 502",
        },
        {"started_at": "2026-11-10T03:00:00Z", "trigger": "library", "status": "ok",
         "duration": 0.5, "requests": 1, "changes": {}, "error": None},
    ]  # fmt: skip
    stats = {"days": 7, "runs": 2, "by_status": {"ok": 1, "partial": 1}, "requests": 10}
    lines = cli.format_history(runs, stats)
    text = "\n".join(lines)
    assert "schedule" in lines[1] and "partial" in lines[1] and "2.3s" in lines[1]
    assert "9 req" in lines[1]
    assert "watched movies +0 ~1 -0, watched shows +3 ~0 -0, show details +0 ~2 -0" in lines[1]
    assert lines[2].strip() == "error: ratings: HTTP 502"
    assert "library" in lines[3] and "no changes" in lines[3]
    assert "Last 7 days:" in text and "2 sync(s), 0 failed, 10 request(s)" in text
    row = history.run_fields(runs[0])
    assert row["result"] == "partial: ratings: HTTP 502"
    assert (row["added"], row["changed"], row["removed"]) == (3, 3, 0)


@pytest.mark.parametrize("trigger", ["auto", "wake", "manual", "library", "schedule"])
def test_every_trigger_is_recorded_in_the_history(tmp_path, trigger):
    with TraktSyncDatabase(str(tmp_path / "db.sqlite")) as db:
        _run(db, time.time(), trigger)
        assert db.sync_history()[0]["trigger"] == trigger


# ------------------------------------------------------- 6. notifications


CHANGED = {
    "watched_shows": {"added": 3, "changed": 0, "removed": 0},
    "watched_movies": {"added": 1, "changed": 0, "removed": 0},
    "metadata": {"added": 0, "changed": 4, "removed": 0},
}


def test_notification_setting_is_off_by_default():
    assert _setting("trakt_sync_notify").findtext("default") == "false"
    assert Settings().trakt_sync_notify is False


def test_announced_changes_name_what_changed():
    assert scheduler.announced_changes(CHANGED) == [("episode", 3), ("movie", 1)]
    assert (
        scheduler.announced_changes({"metadata": {"changed": 9}, "account": {"changed": 1}}) == []
    )
    assert scheduler.announced_changes(7) == []


def test_changed_auto_sync_is_announced_with_counts_and_logged(kodi):
    service, db, clock = make_service(
        kodi, [SyncResult("ok", changes=CHANGED)], trakt_sync_notify=True
    )
    service.tick()
    assert notifications(kodi) == ["Trakt: 3 episodes, 1 movie updated"]
    assert kodi.log_lines(contains="Notified: Trakt: 3 episodes, 1 movie updated")


@pytest.mark.parametrize(
    "notify, changes, playing, expected",
    [
        (False, CHANGED, False, 0),
        (True, {"metadata": {"changed": 4}}, False, 0),
        (True, {}, False, 0),
        (True, CHANGED, True, 0),
        (True, CHANGED, False, 1),
    ],
)
def test_completion_notification_rules_in_the_service(kodi, notify, changes, playing, expected):
    service, db, clock = make_service(
        kodi, [SyncResult("ok", changes=changes)], trakt_sync_notify=notify
    )
    kodi.playing_video = playing
    service.tick()
    assert len(notifications(kodi)) == expected


def test_wake_sync_is_announced_but_a_manual_one_never(kodi):
    results = [SyncResult("ok", changes={}), SyncResult("ok", changes=CHANGED)]
    service, db, clock = make_service(kodi, results, trakt_sync_notify=True)
    service.tick()
    service.monitor.onScreensaverDeactivated()
    run_ticks(service, clock, 10, step=1)
    assert triggers(db) == ["auto", "wake"]
    assert notifications(kodi) == ["Trakt: 3 episodes, 1 movie updated"]
    assert not scheduler.should_notify_completion(
        enabled=True, status="ok", changes=4, trigger="manual", playing_video=False
    )


def test_errors_are_announced_once_per_outage_and_never_during_playback(kodi):
    failing = [SyncResult("error", error="NetworkError: down")] * 3
    results = failing + [SyncResult("ok")] + failing
    service, db, clock = make_service(kodi, results, trakt_sync_notify=True)
    service.tick()
    while len(db.calls) < 4:
        clock.advance(30)
        service.tick()
    assert len(notifications(kodi)) == 1  # three failures, one outage
    kodi.playing_video = True
    while len(db.calls) < 7:
        clock.advance(30)
        service.tick()
    assert len(notifications(kodi)) == 1  # the second outage began during playback


def test_notification_strings_have_singular_and_plural():
    names = service_notify.NOUN_STRINGS
    assert [noun for _, noun in scheduler.ANNOUNCED_UNITS] == list(names)
    kodistate.reset()
    try:
        message = service_notify.changes_message(
            [("movie", 2), ("watchlist", 1), ("resume", 1), ("rating", 5)]
        )
    finally:
        kodistate.cleanup()
    assert message == "Trakt: 2 movies, 1 watchlist item, 1 resume point, 5 ratings updated"


# ------------------------------------------------------ 7. daily schedule


def _at(day, hour, minute=0):
    return dt.datetime(2026, 11, day, hour, minute).timestamp()


def test_schedule_runs_on_time_once_a_day_even_with_auto_sync_off(kodi):
    service, db, clock = make_service(
        kodi,
        start=_at(10, 3, 50),
        trakt_sync_auto=False,
        trakt_sync_schedule_enabled=True,
        trakt_sync_schedule_time="04:00",
    )
    ran_at = []
    for _ in range(2 * 24 * 60):  # two days, one tick a minute
        clock.advance(60)
        before = len(db.calls)
        service.tick()
        if len(db.calls) > before:
            ran_at.append(dt.datetime.fromtimestamp(clock.time()))
    assert triggers(db) == ["schedule", "schedule"]
    assert [(d.day, d.hour, d.minute) for d in ran_at] == [(10, 4, 0), (11, 4, 0)]


def test_schedule_missed_while_asleep_runs_at_the_next_wake(kodi):
    service, db, clock = make_service(
        kodi,
        start=_at(10, 1),
        trakt_sync_auto=False,
        trakt_sync_schedule_enabled=True,
        trakt_sync_schedule_time="04:00",
    )
    service.tick()
    clock.advance(_at(10, 9, 30) - _at(10, 1))  # the device slept from 01:00 to 09:30
    service.monitor.onNotification("xbmc", "System.OnWake", "{}")
    service.tick()
    assert triggers(db) == ["schedule"]
    run_ticks(service, clock, 3600)
    assert triggers(db) == ["schedule"]


def test_failed_scheduled_sync_is_retried_after_the_backoff(kodi):
    results = [SyncResult("error", error="NetworkError: down"), SyncResult("ok")]
    service, db, clock = make_service(
        kodi,
        results,
        start=_at(10, 3, 59),
        trakt_sync_auto=False,
        trakt_sync_schedule_enabled=True,
        trakt_sync_schedule_time="04:00",
    )
    run_ticks(service, clock, 90)
    assert triggers(db) == ["schedule"]
    run_ticks(service, clock, 120)
    assert triggers(db) == ["schedule", "schedule"]
    run_ticks(service, clock, 3600)
    assert len(db.calls) == 2


def test_turning_the_schedule_off_drops_a_deferred_run(kodi):
    results = [SyncResult("throttled", next_allowed_at=_at(10, 4, 5))]
    service, db, clock = make_service(
        kodi,
        results,
        start=_at(10, 3, 59),
        trakt_sync_auto=False,
        trakt_sync_schedule_enabled=True,
    )
    run_ticks(service, clock, 90)
    assert service.state.deferred == "schedule"
    kodi.set_setting("trakt_sync_schedule_enabled", False)
    service.monitor.onSettingsChanged()
    run_ticks(service, clock, 900)
    assert triggers(db) == ["schedule"] and service.state.deferred is None


def test_settings_page_documents_every_setting_in_the_readme():
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Settings") :]
    section = section[: section.index("\n## ", 1)] if "\n## " in section[1:] else section
    root = ET.parse(str(REPO / "resources" / "settings.xml")).getroot()
    ids = [setting.get("id") for setting in root.iter("setting")]
    missing = [setting_id for setting_id in ids if f"`{setting_id}`" not in section]
    assert missing == []
    for shot in re.findall(r"\]\((docs/screenshots/settings_[^)]+\.png)\)", section):
        assert (REPO / shot).is_file(), shot
    assert "docs/screenshots/settings_" in section


def test_history_rows_are_json_safe(tmp_path):
    with TraktSyncDatabase(str(tmp_path / "db.sqlite")) as db:
        _run(db, time.time(), changes={"watchlist": {"added": 1, "changed": 0, "removed": 0}})
        assert json.loads(json.dumps(db.sync_stats()))["changes"]["watchlist"]["added"] == 1
        assert json.dumps(db.sync_history())
