"""Issue 10, section 3: what failed is said in plain words from strings.po, in the manual sync
dialog, the service notification, the sync history and the CLI; a partial run does not back off
the service, a run that failed as a whole does; a network-down Force Sync answers at once."""

from __future__ import annotations

import socket
import time

from resources.lib import cli, i18n
from resources.lib.database.trakt_sync.result import SyncResult
from resources.lib.kodi import service_notify
from resources.lib.kodi.paths import get_paths
from resources.lib.plugin import actions, syncui
from resources.lib.service import failure_text, history
from resources.lib.trakt.tokens import Tokens, TokenStore
from tests.support.service_rig import FakeDb, make_service, started

# 21:05 local time tomorrow: always in the future, for the checks that use the real clock.
_TOMORROW = time.localtime(time.time() + 86400)
RETRY_AT = time.mktime((_TOMORROW.tm_year, _TOMORROW.tm_mon, _TOMORROW.tm_mday, 21, 5, 0, 0, 0, -1))
NOW = RETRY_AT - 600
WATCHLIST_429 = {"unit": "watchlist", "part": None, "reason": "rate_limited", "retry_at": RETRY_AT}
HIDDEN_404 = {"unit": "hidden", "part": "dropped", "reason": "not_offered", "retry_at": NOW + 9e4}
NETWORK = {"unit": None, "part": None, "reason": "network", "retry_at": None}
RAW = ("RateLimited", "HTTP 429", "/sync/", "watched_shows", "rate_limited", "not_offered")


def _no_raw(text):
    assert not [word for word in RAW if word in text], text


def test_every_failure_string_id_exists_in_strings_po():
    known = i18n.strings()
    ids = [failure_text.LINE, failure_text.LINE_RETRY, failure_text.STATUS_WITH_FAILURES]
    ids += [failure_text.PARTIAL_DIALOG, failure_text.UNREACHABLE_DIALOG]
    ids += [failure_text.FAILED_DIALOG, failure_text.FAILING_NOTIFICATION]
    ids += list(failure_text.REASONS.values()) + list(failure_text.UNITS.values())
    ids += list(failure_text.STATUSES.values())
    assert [string_id for string_id in ids if not known.get(string_id)] == []
    for string_id in ids:  # words, not glyphs Kodi's font lacks
        assert all(ord(ch) < 128 for ch in known[string_id]), known[string_id]


def test_a_failure_record_in_words():
    line = failure_text.failure_line(WATCHLIST_429, i18n.localize, NOW)
    assert line == "Watchlist: Trakt is limiting requests, retrying at 21:05"
    assert failure_text.failure_line(NETWORK, i18n.localize, NOW) == "Trakt could not be reached"
    assert failure_text.failure_line(HIDDEN_404, i18n.localize, NOW) == (
        "Hidden items: not offered by this server"
    )


def test_partial_dialog_names_what_failed(kodi):
    result = SyncResult("partial", requests=3, failures=[WATCHLIST_429, HIDDEN_404])
    outcome = syncui.report(result)
    (text,) = [args[1] for args, _ in kodi.dialog_calls("ok")]
    assert "Watchlist: Trakt is limiting requests, retrying at " in text
    assert "Hidden items" not in text  # not offered is not a failure
    _no_raw(text)
    assert outcome.endswith("failures=watchlist:rate_limited,hidden:not_offered")


def test_network_down_dialog_says_trakt_could_not_be_reached(kodi):
    syncui.report(SyncResult("error", error="NetworkError ... connect", failures=[NETWORK]))
    (text,) = [args[1] for args, _ in kodi.dialog_calls("ok")]
    assert text == kodi.localized(30742)
    assert text.startswith("Trakt could not be reached")


def test_a_whole_run_failure_of_another_kind_is_said_in_words(kodi):
    record = dict(NETWORK, reason="account_locked")
    syncui.report(SyncResult("error", error="AccountLocked HTTP 423 (GET /x)", failures=[record]))
    (text,) = [args[1] for args, _ in kodi.dialog_calls("ok")]
    assert text == "Trakt sync failed: the Trakt account is locked."


def _closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_network_down_force_sync_answers_at_once_with_words(kodi):
    url = "http://127.0.0.1:%d" % _closed_port()
    for key, value in (("trakt_api_url", url), ("trakt_oauth_url", url),
                       ("trakt_client_id", "id"), ("trakt_client_secret", "secret")):  # fmt: skip
        kodi.set_setting(key, value)
    TokenStore(get_paths().token_path).save(
        Tokens("access", "refresh", time.time() + 86400 * 90, time.time(), "public")
    )
    started_at = time.monotonic()
    result = actions.run_script(["script.py", "action=force_sync"])
    seconds = time.monotonic() - started_at
    assert result.startswith("error ") and result.endswith("failures=run:network")
    assert seconds < 3.0, seconds  # was 7 s of connection retries (44 s in Kodi)
    texts = [args[1] for args, _ in kodi.dialog_calls("ok")]
    assert texts == [kodi.localized(30742)]
    done = [u for u in kodi.progress_updates if u[0] == "progressbg" and u[1] == 100]
    assert done == []  # no "100% Done" after a failure


def test_history_lines_say_the_result_in_words(kodi, tmp_path):
    row = {"started_at": "2026-12-06T20:00:00Z", "trigger": "auto", "status": "partial",
           "duration": 1.0, "requests": 4, "changes": {},
           "error": "watchlist: RateLimited HTTP 429 (GET /sync/watchlist)",
           "failures": [WATCHLIST_429]}  # fmt: skip
    fields = history.run_fields(row, localize=i18n.localize)
    assert fields["result"].startswith("Partly synced: Watchlist: Trakt is limiting requests")
    _no_raw(fields["result"])
    ok = dict(row, status="ok", error=None, failures=[HIDDEN_404])
    result = history.run_fields(ok, localize=i18n.localize)["result"]
    assert result == "OK: Hidden items: not offered by this server"
    legacy = dict(row, failures=[])
    assert history.run_fields(legacy, localize=i18n.localize)["result"] == "Partly synced"


def test_cli_sync_and_history_output_name_failures_in_words():
    result = SyncResult("partial", requests=2, duration=0.5,
                        error="watchlist: RateLimited HTTP 429 (GET /sync/watchlist)",
                        failures=[WATCHLIST_429])  # fmt: skip
    text = cli.format_sync_result(result)
    assert "Watchlist: Trakt is limiting requests" in text
    _no_raw(text)
    network = SyncResult("error", error="NetworkError: connect", failures=[NETWORK])
    assert cli.format_sync_result(network).endswith("; Trakt could not be reached")
    run = {"started_at": "2026-12-06T20:00:00Z", "trigger": "manual", "status": "error",
           "duration": 0.1, "requests": 0, "changes": {}, "error": "NetworkError: connect",
           "failures": [NETWORK]}  # fmt: skip
    stats = {"days": 7, "runs": 1, "by_status": {"error": 1}, "requests": 0,
             "last_error": {"started_at": "2026-12-06T20:00:00Z", "error": "NetworkError",
                            "failures": '[{"unit": null, "reason": "network"}]'}}  # fmt: skip
    lines = cli.format_history([run], stats)
    text = "\n".join(lines)
    assert "      Trakt could not be reached" in lines
    assert "last error: " in text and text.rstrip().endswith("Trakt could not be reached")
    assert "NetworkError" not in text
    local = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(1796587200.0))
    assert lines[1].startswith("  " + local)  # local time, not the stored UTC text


# ---- the service: backoff and notification -------------------------------------------------


def test_a_partial_run_does_not_back_off_the_service(kodi):
    results = [SyncResult("partial", failures=[WATCHLIST_429])] * 3
    service, db, _, clock = make_service(kodi, db=FakeDb(results))
    started(service).tick()
    assert service.state.backoff.failures == 0 and service.state.not_before is None
    clock.advance(300)  # the next interval sync runs on time
    service.tick()
    assert len(db.calls) == 2


def test_a_whole_run_failure_backs_off_and_notifies_in_words(kodi):
    results = [SyncResult("error", error="NetworkError ...", failures=[NETWORK])] * 3
    service, db, _, clock = make_service(kodi, db=FakeDb(results), trakt_sync_notify=True)
    started(service).tick()
    assert service.state.backoff.failures == 1 and service.state.not_before is not None
    clock.advance(30)
    service.tick()
    assert len(db.calls) == 1  # backing off
    (note,) = kodi.dialog_calls("notification")
    text = note[0][1]
    assert text == "Trakt sync is failing: Trakt could not be reached. It will retry later."
    assert service_notify.failing_message([NETWORK]) == text


def test_a_new_authorisation_makes_the_service_sync_at_once(kodi):
    results = [SyncResult("unauthorized", error="401", failures=[dict(NETWORK, reason="x")])]
    service, db, ctx, clock = make_service(kodi, db=FakeDb(results))
    started(service).tick()
    assert len(db.calls) == 1  # unauthorised: Trakt refused the sign-in
    ctx.authorised = False  # the store is marked: the user must authorise again
    clock.advance(60)
    service.tick()
    assert len(db.calls) == 1
    ctx.authorised = True  # authorised again in the settings
    clock.advance(30)  # the next check (authorising also reloads the settings: at once)
    service.tick()
    assert len(db.calls) == 2  # at once, not after the rest of the interval
