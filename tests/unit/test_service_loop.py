"""The service: decisions driven tick by tick on a fake clock, and the real loop in a thread."""

from __future__ import annotations

import json
import os
import threading
import time

import kodistate

from resources.lib.database.trakt_sync.result import SyncResult
from resources.lib.kodi import service as service_module
from resources.lib.kodi.paths import get_paths
from resources.lib.service import scheduler
from tests.support.service_rig import T0, FakeContext, FakeDb, NoPlayback, make_service, started


def triggers(db):
    return [call["trigger"] for call in db.calls]


def warnings(kodi, text=""):
    return kodi.log_lines(level=2, contains=text)


# ------------------------------------------------------------------ interval


def test_first_tick_syncs_when_authorised_and_never_synced(kodi):
    service, db, _, _ = make_service(kodi)
    started(service).tick()
    assert triggers(db) == ["auto"]


def test_interval_sync_waits_for_the_interval(kodi):
    service, db, _, clock = make_service(kodi, trakt_sync_interval=5)
    started(service).tick()
    for _ in range(9):  # 9 ticks of 30 s = 270 s: not due
        clock.advance(30)
        service.tick()
    assert triggers(db) == ["auto"]
    clock.advance(30)
    service.tick()
    assert triggers(db) == ["auto", "auto"]


def test_seconds_override_shortens_the_interval_and_forces_past_the_throttle(kodi):
    service, db, _, clock = make_service(
        kodi, trakt_sync_interval_seconds=20, service_tick_seconds=5
    )
    started(service).tick()
    clock.advance(20)
    service.tick()
    assert triggers(db) == ["auto", "auto"]
    assert all(call["force"] for call in db.calls)


def test_no_sync_when_auto_sync_is_off(kodi):
    service, db, _, clock = make_service(kodi, trakt_sync_auto=False)
    started(service).tick()
    service.post_event("wake", "screensaver")
    clock.advance(3600)
    service.tick()
    assert db.calls == []


def test_no_sync_when_not_authorised(kodi):
    service, db, _, clock = make_service(kodi, authorised=False)
    started(service).tick()
    clock.advance(3600)
    service.tick()
    assert db.calls == []


def test_recent_sync_recorded_in_database_is_not_repeated_at_start(kodi):
    db = FakeDb(last_sync_at="2027-01-15T08:00:00.000Z")
    epoch = 1_800_000_000.0  # 2027-01-15T08:00:00Z
    service, db, _, clock = make_service(kodi, db=db, clock=kodistate.FakeClock(epoch + 60))
    started(service).tick()
    assert db.calls == []
    clock.advance(240)
    service.tick()
    assert triggers(db) == ["auto"]


def test_nothing_is_read_between_ticks(kodi):
    service, db, ctx, clock = make_service(kodi)
    started(service).tick()
    reads = []
    ctx.is_authorised = lambda: reads.append(1) or True
    for _ in range(29):
        clock.advance(1)
        service.tick()
    assert reads == []


def test_selective_sync_passes_only_enabled_categories(kodi):
    service, db, _, _ = make_service(kodi, trakt_sync_ratings=False, trakt_sync_collection=False)
    started(service).tick()
    assert db.calls[0]["categories"] == ("watched", "watchlist", "playback", "hidden", "lists")


# ---------------------------------------------------------------------- wake


def test_wake_burst_is_one_sync_and_skips_the_interval(kodi):
    service, db, _, clock = make_service(kodi)
    started(service).tick()
    clock.advance(10)
    monitor = service.monitor
    monitor.onScreensaverDeactivated()
    monitor.onNotification("xbmc", "GUI.OnScreensaverDeactivated", "{}")
    monitor.onScreensaverDeactivated()
    service.tick()
    assert triggers(db) == ["auto"]  # waits for the burst to settle
    clock.advance(1)
    service.tick()
    assert triggers(db) == ["auto", "wake"]
    clock.advance(30)  # another wake inside the debounce window
    monitor.onScreensaverDeactivated()
    clock.advance(2)
    service.tick()
    assert triggers(db) == ["auto", "wake"]
    clock.advance(60)
    monitor.onScreensaverDeactivated()
    clock.advance(2)
    service.tick()
    assert triggers(db) == ["auto", "wake", "wake"]


def test_system_wake_waits_for_network_then_retries_quietly(kodi):
    results = [
        SyncResult("ok", requests=1),
        SyncResult("error", error="NetworkError: refused"),
        SyncResult("error", error="NetworkError: refused"),
        SyncResult("ok", changes={"watchlist": {"added": 1}}, requests=3),
    ]
    service, db, _, clock = make_service(kodi, db=FakeDb(results))
    started(service).tick()
    service.monitor.onNotification("xbmc", "System.OnWake", "{}")
    clock.advance(4)
    service.tick()
    assert triggers(db) == ["auto"]
    clock.advance(1)
    service.tick()
    assert triggers(db) == ["auto", "wake"]
    for _ in range(2):
        clock.advance(scheduler.WAKE_RETRY_SECONDS)
        service.tick()
    assert triggers(db) == ["auto", "wake", "wake", "wake"]
    assert warnings(kodi) == []
    assert service.state.backoff == scheduler.Backoff()


def test_wake_ignored_when_auto_sync_off(kodi):
    service, db, _, clock = make_service(kodi, trakt_sync_auto=False)
    started(service)
    service.monitor.onNotification("xbmc", "System.OnWake", "{}")
    clock.advance(30)
    service.tick()
    assert db.calls == []


# ------------------------------------------------------------------ settings


def test_settings_burst_reloads_once_and_auto_off_stops_syncs_at_once(kodi):
    service, db, _, clock = make_service(kodi)
    started(service).tick()
    kodi.set_setting("trakt_sync_auto", False)
    clock.advance(299.5)
    for _ in range(3):
        service.monitor.onSettingsChanged()
    service.post_event("wake", "screensaver")
    clock.advance(0.5)  # the interval is now due, but the settings are still settling
    service.tick()
    assert triggers(db) == ["auto"]
    assert kodi.log_lines(contains="Settings reloaded") == []
    clock.advance(1)
    service.tick()
    assert len(kodi.log_lines(contains="Settings reloaded: auto_sync=False")) == 1
    clock.advance(3600)
    service.tick()
    assert triggers(db) == ["auto"]


def test_enabling_auto_sync_syncs_promptly(kodi):
    service, db, _, clock = make_service(kodi, trakt_sync_auto=False)
    started(service).tick()
    kodi.set_setting("trakt_sync_auto", True)
    service.monitor.onSettingsChanged()
    clock.advance(1)
    service.tick()
    assert triggers(db) == ["auto"]


def test_changed_connection_settings_rebuild_the_context(kodi):
    contexts = []

    def factory(settings, should_abort):
        contexts.append(FakeContext(FakeDb()))
        return contexts[-1]

    kodi.clock = clock = kodistate.FakeClock(T0)
    service = service_module.AIOStreamsService(clock=clock, context_factory=factory)
    started(service)
    kodi.set_setting("trakt_api_url", "http://127.0.0.1:9")
    service.monitor.onSettingsChanged()
    clock.advance(2)
    service.tick()
    # contexts[1] is the player worker's own (built at start to recover its outbox)
    assert len(contexts) == 3 and contexts[0].closed and service.ctx is contexts[2]


# ------------------------------------------------------------------- library


def test_library_scan_then_clean_is_one_sync(kodi):
    service, db, _, clock = make_service(kodi, trakt_sync_on_library_update=True)
    started(service).tick()
    clock.advance(5)
    service.monitor.onScanFinished("video")
    clock.advance(3)
    service.monitor.onCleanFinished("video")
    service.monitor.onScanFinished("music")
    service.tick()
    clock.advance(scheduler.LIBRARY_QUIET_SECONDS)
    service.tick()
    clock.advance(scheduler.LIBRARY_QUIET_SECONDS)
    service.tick()
    assert triggers(db) == ["auto", "library"]
    assert "UpdateLibrary(video)" not in " ".join(kodi.builtins)


def test_library_update_ignored_when_setting_off(kodi):
    service, db, _, clock = make_service(kodi)
    started(service).tick()
    service.monitor.onScanFinished("video")
    clock.advance(20)
    service.tick()
    assert triggers(db) == ["auto"]


# ------------------------------------------------------------------ schedule


def test_daily_schedule_runs_once_at_local_time(kodi):
    import datetime as dt

    start = dt.datetime(2026, 11, 10, 3, 58).timestamp()
    service, db, _, clock = make_service(
        kodi,
        clock=kodistate.FakeClock(start),
        trakt_sync_schedule_enabled=True,
        trakt_sync_interval=720,
    )
    started(service).tick()
    assert triggers(db) == ["auto"]
    for _ in range(20):  # 10 minutes of ticks across 04:00
        clock.advance(30)
        service.tick()
    assert triggers(db) == ["auto", "schedule"]


# ------------------------------------------------------------------ outcomes


def test_unauthorized_notifies_once(kodi):
    results = [SyncResult("unauthorized", error="401")] * 3
    service, db, _, clock = make_service(kodi, db=FakeDb(results))
    started(service).tick()
    for _ in range(2):
        clock.advance(300)
        service.tick()
    assert len(db.calls) == 3
    notes = kodi.dialog_calls("notification")
    assert len(notes) == 1
    assert notes[0][0][1] == kodi.localized(30110)


def test_network_failures_back_off_and_warn_once(kodi):
    results = [SyncResult("error", error="NetworkError: timed out")] * 4 + [SyncResult("ok")]
    service, db, _, clock = make_service(kodi, db=FakeDb(results))
    started(service).tick()
    attempts = [clock.time()]
    for _ in range(2000):
        clock.advance(10)
        before = len(db.calls)
        service.tick()
        if len(db.calls) > before:
            attempts.append(clock.time())
        if len(db.calls) == 5:
            break
    gaps = [round(b - a) for a, b in zip(attempts, attempts[1:])]
    assert gaps[0] >= 60 and gaps[1] >= 120 and gaps[2] >= 240 and gaps[3] >= 480
    assert len(warnings(kodi, "Sync failed")) == 1
    assert len(kodi.log_lines(level=1, contains="Sync finished: status=error")) == 1
    assert len(kodi.log_lines(level=1, contains="Sync recovered")) == 1


def test_failure_notification_only_when_enabled_and_once(kodi):
    results = [SyncResult("error", error="ServerError HTTP 502")] * 3
    service, db, _, clock = make_service(kodi, db=FakeDb(results), trakt_sync_notify=True)
    started(service).tick()
    while len(db.calls) < 3:
        clock.advance(30)
        service.tick()
    assert len(kodi.dialog_calls("notification")) == 1


def test_throttled_waits_until_allowed(kodi):
    results = [SyncResult("throttled", next_allowed_at=T0 + 200)]
    service, db, _, clock = make_service(kodi, db=FakeDb(results))
    started(service).tick()
    clock.advance(180)
    service.tick()
    assert len(db.calls) == 1
    clock.advance(30)
    service.tick()
    assert len(db.calls) == 2


def test_completion_notification_never_during_video(kodi):
    changed = {"watched_movies": {"added": 2, "changed": 0, "removed": 0}}
    results = [SyncResult("ok", changes=changed), SyncResult("ok", changes=changed)]
    service, db, _, clock = make_service(kodi, db=FakeDb(results), trakt_sync_notify=True)
    kodi.playing_video = True
    started(service).tick()
    assert kodi.dialog_calls("notification") == []
    kodi.playing_video = False
    clock.advance(300)
    service.tick()
    notes = kodi.dialog_calls("notification")
    assert [args[1] for args, _ in notes] == ["Trakt: 2 movies updated"]


def test_recovered_database_notifies_once(kodi):
    service, db, _, clock = make_service(kodi, db=FakeDb(recovered="/tmp/trakt_sync.db.corrupt"))
    started(service).tick()
    clock.advance(300)
    service.tick()
    notes = [args[1] for args, _ in kodi.dialog_calls("notification")]
    assert notes == [kodi.localized(30111)]


def test_sync_publishes_window_property_and_one_info_line(kodi):
    result = SyncResult(
        "ok", changes={"watchlist": {"added": 2, "changed": 1, "removed": 0}}, requests=4
    )
    service, db, _, clock = make_service(kodi, db=FakeDb([result]))
    started(service).tick()
    lines = kodi.log_lines(level=1, contains="Sync finished")
    expected = "Sync finished: status=ok trigger=auto changes=3 requests=4 duration=0.0s"
    assert lines == ["[AIOStreams Service] " + expected]
    published = json.loads(kodi.home_property("aiostreams.last_sync"))
    assert (
        published["status"] == "ok" and published["changes"] == 3 and published["time"] == int(T0)
    )


def test_sync_exception_never_kills_the_service(kodi):
    service, db, _, clock = make_service(kodi)
    db.raise_error = RuntimeError("boom")
    started(service).tick()
    clock.advance(60)
    db.raise_error = None
    for _ in range(8):
        clock.advance(30)
        service.tick()
    assert len(db.calls) == 2


# --------------------------------------------------------------- the real loop


def run_in_thread(service):
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    return thread


def test_loop_logs_start_syncs_and_stops_quickly(kodi):
    service, db, _, _ = make_service(kodi)
    kodi.clock = None  # real waits
    thread = run_in_thread(service)
    assert kodi.wait_for_log("[AIOStreams Service] Service started")
    assert kodi.wait_for_log("Sync finished: status=ok trigger=auto")
    stop_at = time.monotonic()
    kodi.abort.set()
    thread.join(2.0)
    assert not thread.is_alive()
    assert time.monotonic() - stop_at < 2.0
    assert kodi.log_lines(level=1, contains="[AIOStreams Service] Service stopped")
    assert json.loads(kodi.home_property("aiostreams.service"))["state"] == "stopped"


def test_loop_stops_within_two_seconds_of_abort_mid_sync(kodi):
    service, db, _, _ = make_service(kodi, db=FakeDb(block=True))
    kodi.clock = None
    thread = run_in_thread(service)
    assert db.entered.wait(5)
    stop_at = time.monotonic()
    kodi.abort.set()
    thread.join(2.0)
    assert not thread.is_alive()
    assert time.monotonic() - stop_at < 2.0
    assert kodi.log_lines(contains="Sync finished: status=aborted")
    assert kodi.log_lines(contains="Service stopped")


def test_loop_with_fake_clock_syncs_at_the_interval_and_reacts_to_wake(kodi):
    service, db, _, clock = make_service(
        kodi, trakt_sync_interval_seconds=120, service_tick_seconds=10
    )
    thread = run_in_thread(service)
    assert kodi.wait_for(lambda: len(db.calls) >= 3, timeout=10)
    service.monitor.onScreensaverDeactivated()
    assert kodi.wait_for(lambda: "wake" in triggers(db), timeout=10)
    kodi.abort.set()
    thread.join(2.0)
    assert not thread.is_alive()


def test_migration_failure_is_not_fatal(kodi, monkeypatch):
    from resources.lib.database import migration

    def broken(data_dir, db_path, now=None):
        raise OSError("disk on fire")

    monkeypatch.setattr(migration, "run_migration", broken)
    service, db, _, _ = make_service(kodi)
    started(service).tick()
    assert kodi.log_lines(level=2, contains="Migration check failed")
    assert triggers(db) == ["auto"]


def test_migration_runs_at_start(kodi):
    service, db, ctx, _ = make_service(kodi)
    started(service)
    assert os.path.exists(os.path.join(ctx.paths.data_dir, ".migration_complete"))


def test_quit_announcement_stops_the_loop_and_a_running_sync_before_kodi_aborts(kodi):
    service, db, _, _ = make_service(kodi, db=FakeDb(block=True))
    kodi.clock = None
    thread = run_in_thread(service)
    assert db.entered.wait(5)
    service.monitor.onNotification("xbmc", "System.OnQuit", '{"exitcode": 0}')
    thread.join(2.0)
    assert not thread.is_alive()  # Kodi's abort flag was never raised
    assert kodi.log_lines(contains="Sync finished: status=aborted")
    assert kodi.log_lines(contains="Service stopped")


# ------------------------------------------------------------ review fixes


def test_wake_sync_bypasses_the_throttle_with_default_settings(kodi):
    # G3: no seconds override; a wake 2 minutes after the last sync must not be throttled.
    service, db, _, clock = make_service(kodi)
    started(service).tick()
    assert service.settings.trakt_sync_interval_seconds == 0
    clock.advance(120)
    service.monitor.onScreensaverDeactivated()
    clock.advance(2)
    service.tick()
    assert [(call["trigger"], call["force"]) for call in db.calls] == [
        ("auto", False),
        ("wake", True),
    ]
    clock.advance(300)  # the next interval sync is throttled by the engine again
    service.tick()
    assert [(call["trigger"], call["force"]) for call in db.calls][-1] == ("auto", False)


def test_settings_changes_are_logged_at_debug_only(kodi):
    # G4: settings changes are DEBUG (spec, Logging).
    service, db, _, clock = make_service(kodi)
    started(service).tick()
    kodi.set_setting("trakt_sync_interval", 10)
    kodi.set_setting("trakt_api_url", "http://127.0.0.1:9")
    service.monitor.onSettingsChanged()
    clock.advance(2)
    service.tick()
    assert kodi.log_lines(level=0, contains="Settings reloaded: auto_sync=True interval=600s")
    assert kodi.log_lines(level=1, contains="Settings reloaded") == []
    assert kodi.log_lines(level=1, contains="connection settings changed") == []
    state = json.loads(kodi.home_property("aiostreams.service"))  # where the change shows
    assert state["state"] == "running" and state["auto_sync"] is True
    assert state["settings_reloads"] == 1 and state["schedule"] == "off"


def test_throttled_service_sync_warns_once_with_the_next_allowed_time(kodi):
    # G4: throttling is a WARNING; the sync still has exactly one INFO line.
    results = [SyncResult("throttled", next_allowed_at=T0 + 200)]
    service, db, _, clock = make_service(kodi, db=FakeDb(results))
    started(service).tick()
    for _ in range(8):
        clock.advance(30)
        service.tick()
    assert len(db.calls) == 2
    assert len(warnings(kodi, "Sync throttled (trigger=auto): next sync allowed at")) == 1
    assert len(kodi.log_lines(level=1, contains="Sync finished: status=throttled")) == 1


class ReplaceableContext(FakeContext):
    """A context whose database another process can replace on disk."""

    def __init__(self, db):
        super().__init__(db)
        self.reopened = 0

    def reopen_db(self):
        self.reopened += 1
        self.db.close()
        self.db = FakeDb()


def test_database_replaced_by_another_process_is_reopened_before_syncing(kodi):
    # G5: a plugin call moved a corrupt file aside; the service must not sync into it.
    db = FakeDb()
    db.replaced = False
    db.replaced_on_disk = lambda: db.replaced
    ctx = ReplaceableContext(db)
    kodi.clock = clock = kodistate.FakeClock(T0)
    service = service_module.AIOStreamsService(
        clock=clock, context_factory=lambda settings, should_abort: ctx
    )
    started(service).tick()
    assert triggers(db) == ["auto"] and ctx.reopened == 0
    db.replaced = True
    clock.advance(300)
    service.tick()
    assert ctx.reopened == 1 and db.closed
    assert triggers(db) == ["auto"] and triggers(ctx.db) == ["auto"]
    assert len(warnings(kodi, "replaced by another process")) == 1
    clock.advance(300)
    service.tick()
    assert ctx.reopened == 1 and triggers(ctx.db) == ["auto", "auto"]


def test_recovery_announced_by_another_process_is_not_notified_again(kodi):
    # G5: the home window property carries the moved-aside path across interpreters.
    from resources.lib.kodi import context as context_module

    moved = "/tmp/trakt_sync.db.corrupt-20270101T000000Z-000001"
    assert context_module.announce_recovery(moved) is True  # e.g. in a plugin call
    assert kodi.home_property("aiostreams.db_recovered") == moved
    service, db, _, _ = make_service(kodi, db=FakeDb(recovered=moved))
    started(service).tick()
    assert [args[1] for args, _ in kodi.dialog_calls("notification")] == [kodi.localized(30111)]
    other = moved.replace("000001", "000002")
    assert context_module.announce_recovery(other) is True
    assert kodi.home_property("aiostreams.db_recovered") == other
    assert len(kodi.dialog_calls("notification")) == 2


def test_without_a_client_id_the_service_never_syncs_and_logs_once(kodi, monkeypatch):
    # D4: tokens exist, but no client id/secret: treated as not authorised, no request.
    from resources.lib.database.trakt_sync import TraktSyncDatabase
    from resources.lib.trakt import client as client_module
    from resources.lib.trakt.tokens import Tokens, TokenStore

    TokenStore(get_paths().token_path).save(
        Tokens("access", "refresh", expires_at=T0 + 86400, created_at=T0)
    )

    def refuse(*args, **kwargs):
        raise AssertionError("no Trakt client may be built without a client id")

    monkeypatch.setattr(client_module, "TraktClient", refuse)
    monkeypatch.setattr(TraktSyncDatabase, "sync_activities", refuse)
    kodi.set_setting("trakt_client_secret", "a-secret")
    kodi.clock = clock = kodistate.FakeClock(T0)
    service = service_module.AIOStreamsService(
        clock=clock, playback_factory=lambda ctx: NoPlayback()
    )
    started(service).tick()
    service.monitor.onScreensaverDeactivated()
    for _ in range(40):
        clock.advance(30)
        service.tick()
    assert service.sync_count == 0
    lines = kodi.log_lines(level=2, contains="No Trakt client id/secret configured")
    assert len(lines) == 1
    assert "a-secret" not in "\n".join(message for _, message in kodi.logs)
    service._shutdown()


def test_a_new_install_without_a_trakt_app_logs_no_warning(kodi):
    kodi.clock = clock = kodistate.FakeClock(T0)
    service = service_module.AIOStreamsService(
        clock=clock, playback_factory=lambda ctx: NoPlayback()
    )
    started(service).tick()
    clock.advance(30)
    service.tick()
    assert service.sync_count == 0
    assert not kodi.log_lines(level=2, contains="No Trakt client id/secret configured")
    assert kodi.log_lines(level=1, contains="No Trakt client id/secret configured")
    service._shutdown()


def test_the_service_checks_the_database_at_start_and_announces_a_moved_file(kodi):
    db = FakeDb()
    db.moved_by_check = "/tmp/trakt_sync.db.corrupt-20270101T000000Z-000002"
    service, db, _, clock = make_service(kodi, db=db)
    started(service).tick()
    assert db.integrity_checks == 1
    assert [args[1] for args, _ in kodi.dialog_calls("notification")] == [kodi.localized(30111)]
    service._shutdown()


def test_damage_a_plugin_call_met_makes_the_service_check_within_30_s(kodi):
    from resources.lib.database import connection

    service, db, ctx, clock = make_service(kodi)
    started(service).tick()
    assert db.integrity_checks == 1  # the start's check
    clock.advance(31)
    service.tick()
    assert db.integrity_checks == 1  # nothing asked: no check
    connection.request_integrity_check(ctx.paths.db_path)  # a plugin call met a DatabaseError
    clock.advance(31)
    service.tick()
    assert db.integrity_checks == 2
    service._shutdown()
