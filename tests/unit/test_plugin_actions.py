"""Settings-button actions (RunScript ... action=<name>) against the local sandbox."""

from __future__ import annotations

import json
import os
import re

import pytest

from resources.lib.database.trakt_sync import TraktSyncDatabase, lease
from resources.lib.kodi.paths import get_paths
from resources.lib.plugin import actions
from resources.lib.trakt.tokens import Tokens, TokenStore
from sandbox.server import Sandbox


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(account="small", seed=5, port=0, auto_approve=True, device_interval=0.3) as sb:
        yield sb


@pytest.fixture
def kodi(kodi, sandbox):
    state = kodi
    for key, value in (
        ("trakt_api_url", sandbox.url),
        ("trakt_oauth_url", sandbox.url),
        ("trakt_client_id", sandbox.client_id),
        ("trakt_client_secret", sandbox.client_secret),
    ):
        state.set_setting(key, value)
    return state


@pytest.fixture
def authorised(kodi, sandbox):
    store = TokenStore(get_paths().token_path)
    store.save(Tokens.from_response(sandbox.issue_tokens()))
    return store


def finished(kodi, name):
    lines = kodi.log_lines(level=1, contains=f"[AIOStreams] Action {name} finished: ")
    assert len(lines) == 1, kodi.logs
    return lines[0].split("finished: ", 1)[1]


def run(name):
    return actions.run_script(["script.py", "action=" + name])


def dialog_texts(kodi, name):
    return [args[1] for args, _ in kodi.dialog_calls(name)]


# ------------------------------------------------------------------ sync


def test_force_sync_shows_real_progress_and_publishes_the_result(kodi, authorised):
    result = run("force_sync")
    assert result.startswith("ok changes=")
    assert finished(kodi, "force_sync") == result
    percents = [pct for kind, pct, _ in kodi.progress_updates if kind == "progressbg"]
    labels = {label for kind, _, label in kodi.progress_updates if kind == "progressbg"}
    assert percents[-1] == 100 and percents == sorted(percents) and len(set(percents)) > 3
    assert "Syncing watched movies" in labels and "Checking Trakt activity" in labels
    assert kodi.dialog_calls("progressbg.close")
    published = json.loads(kodi.home_property("aiostreams.last_sync"))
    assert published["status"] == "ok" and published["trigger"] == "manual"
    assert published["changes"] > 0


def test_force_sync_obeys_the_throttle_and_says_when_in_local_time(kodi, authorised):
    run("force_sync")
    result = run("force_sync")
    assert result.startswith("throttled next_allowed=")
    when = result.split("=", 1)[1]
    assert re.match(r"^\d\d:\d\d:\d\d$", when) or re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d$", when)
    assert any(when in text for text in dialog_texts(kodi, "ok"))


def test_force_sync_needs_authorisation(kodi):
    assert run("force_sync") == "unauthorized"
    assert dialog_texts(kodi, "ok") == [kodi.localized(30137)]


def test_force_sync_reports_busy_when_another_process_syncs(kodi, authorised):
    with TraktSyncDatabase(get_paths().db_path) as db:
        assert lease.acquire(db.connection, "someone-else")
        assert run("force_sync").startswith("busy")
    assert dialog_texts(kodi, "ok") == [kodi.localized(30133)]


# ------------------------------------------------------------ maintenance


def test_database_info_dialog_and_window_property(kodi, authorised):
    run("force_sync")
    assert run("database_info") == "ok"
    info = json.loads(kodi.home_property("aiostreams.database_info"))
    assert info["counts"]["movies"] > 0 and info["counts"]["episodes"] > 0
    assert info["size_kb"] > 0 and info["schema_version"] >= 1 and info["last_sync_local"]
    text = dialog_texts(kodi, "ok")[-1]
    assert "Movies: {}".format(info["counts"]["movies"]) in text
    assert "Size: {} KB".format(info["size_kb"]) in text
    assert "Last sync: {}".format(info["last_sync_local"]) in text


def test_database_info_on_a_missing_database_says_never(kodi):
    assert run("database_info") == "ok"
    assert "Last sync: never" in dialog_texts(kodi, "ok")[-1]


def test_clear_asks_with_keyword_labels_and_cancel_keeps_the_data(kodi, authorised):
    run("force_sync")
    kodi.script("yesno", False)
    assert run("database_clear") == "cancelled"
    ((args, kwargs),) = kodi.dialog_calls("yesno")
    assert len(args) == 2 and kwargs == {"yeslabel": "Clear", "nolabel": "Cancel"}
    with TraktSyncDatabase(get_paths().db_path) as db:
        assert db.counts()["movies"] > 0


def test_clear_removes_the_data_when_confirmed(kodi, authorised):
    run("force_sync")
    kodi.script("yesno", True)
    assert run("database_clear").startswith("cleared rows=")
    with TraktSyncDatabase(get_paths().db_path) as db:
        assert db.counts()["movies"] == 0


def test_clear_while_a_sync_holds_the_database_asks_to_retry(kodi, authorised):
    run("force_sync")
    kodi.script("yesno", True)
    with TraktSyncDatabase(get_paths().db_path) as db:
        assert lease.acquire(db.connection, "someone-else")
        assert run("database_clear") == "busy"
    assert dialog_texts(kodi, "ok") == [kodi.localized(30148)]


def test_rebuild_refills_with_progress(kodi, authorised):
    run("force_sync")
    kodi.progress_updates.clear()
    kodi.script("yesno", True)
    assert run("database_rebuild").startswith("ok changes=")
    assert [pct for _, pct, _ in kodi.progress_updates][-1] == 100
    with TraktSyncDatabase(get_paths().db_path) as db:
        assert db.counts()["movies"] > 0


def test_rebuild_is_refused_without_authorisation(kodi):
    assert run("database_rebuild") == "unauthorized"
    assert kodi.dialog_calls("yesno") == []


def test_vacuum_reports_sizes_and_busy(kodi, authorised):
    run("force_sync")
    result = run("database_vacuum")
    assert re.match(r"^ok before_kb=[\d.]+ after_kb=[\d.]+$", result)
    with TraktSyncDatabase(get_paths().db_path) as db:
        assert lease.acquire(db.connection, "someone-else")
        assert actions.run_action("database_vacuum") == "busy"


def test_sync_history_lists_runs_with_totals(kodi, authorised):
    run("force_sync")
    run("force_sync")  # throttled
    assert run("sync_history").startswith("ok runs=")
    ((args, _),) = kodi.dialog_calls("select")
    lines = args[1]
    assert lines[0].startswith("Last 7 days:")
    assert any(" manual " in line and " OK " in line for line in lines[1:])  # issue 10: words


def test_sync_history_empty(kodi):
    assert run("sync_history") == "ok runs=0"
    assert dialog_texts(kodi, "ok") == [kodi.localized(30152)]


# --------------------------------------------------------------- account


def test_authorisation_shows_code_and_url_then_saves_tokens(kodi, sandbox):
    assert run("trakt_auth") == "done"
    ((args, _),) = kodi.dialog_calls("progress.create")
    assert "trakt.tv" in args[1] or sandbox.url in args[1] or "/activate" in args[1]
    assert TokenStore(get_paths().token_path).load() is not None
    assert kodi.settings["trakt_username"]
    assert finished(kodi, "trakt_auth") == "done"


def test_authorisation_can_be_cancelled(kodi, sandbox, monkeypatch):
    from sandbox import oauth

    kodi.progress_cancel_after = 1
    monkeypatch.setattr(sandbox.app.oauth, "auto_approve", False)
    assert run("trakt_auth") == "cancelled"
    assert TokenStore(get_paths().token_path).load() is None
    assert oauth  # the sandbox module stays importable for the flag


def test_sign_out_confirms_and_clears_tokens(kodi, authorised):
    kodi.set_setting("trakt_username", "someone")
    kodi.script("yesno", True)
    assert run("trakt_signout").startswith("signed_out")
    assert authorised.load() is None
    assert kodi.settings["trakt_username"] == ""
    ((_, kwargs),) = kodi.dialog_calls("yesno")
    assert set(kwargs) == {"yeslabel", "nolabel"}


# ------------------------------------------------------------------ entry


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["script.py", "action=force_sync"], {"action": "force_sync"}),
        (["script.py", "?action=database_info&x=1"], {"action": "database_info", "x": "1"}),
        (["script.py", "action=a", "action=b"], {"action": "a"}),
        (["script.py", "junk", "=x", "action=" + "y" * 500], {}),
        ([], {}),
    ],
)
def test_script_arguments(argv, expected):
    assert actions.parse_script_args(argv) == expected


@pytest.mark.parametrize("name", ["", "rm -rf", "__class__", "run_action", "x" * 1000])
def test_unknown_actions_are_refused(kodi, name):
    assert actions.run_script(["script.py", "action=" + name]) == "refused"
    assert kodi.log_lines(level=2, contains="Unknown action refused")
    assert kodi.log_lines(level=1, contains="finished: refused")


def test_an_action_that_raises_ends_with_a_message_and_the_log_line(kodi, monkeypatch):
    def broken(ctx):
        raise RuntimeError("boom")

    monkeypatch.setitem(actions.ACTIONS, "database_info", broken)
    assert run("database_info") == "error"
    assert finished(kodi, "database_info") == "error"
    assert dialog_texts(kodi, "ok")


# ------------------------------------------------------------ review fixes


def test_action_keys_map_to_the_spec_function_names():
    # G1: the spec's maintenance functions, reachable by the RunScript keys of settings.xml.
    assert actions.ACTIONS["force_sync"] is actions.force_trakt_sync
    assert actions.ACTIONS["database_info"] is actions.show_database_info
    assert actions.ACTIONS["database_clear"] is actions.clear_trakt_database
    assert actions.ACTIONS["database_rebuild"] is actions.rebuild_trakt_database
    assert actions.ACTIONS["database_vacuum"] is actions.vacuum_database
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    with open(os.path.join(root, "resources", "settings.xml"), encoding="utf-8") as handle:
        settings = handle.read()
    keys = re.findall(r"RunScript\(plugin\.video\.aiostreams,action=(\w+)\)", settings)
    assert {"force_sync", "database_info", "database_clear", "database_rebuild"} <= set(keys)
    assert [key for key in keys if key not in actions.ACTIONS] == []


@pytest.fixture
def no_client(kodi, monkeypatch):
    """Tokens present but no client id or secret: nothing may build a Trakt client."""
    from resources.lib.trakt import client as client_module

    def refuse(*args, **kwargs):
        raise AssertionError("no Trakt client may be built without a client id")

    monkeypatch.setattr(client_module, "TraktClient", refuse)
    kodi.set_setting("trakt_client_id", "")
    kodi.set_setting("trakt_client_secret", "")
    return kodi


@pytest.mark.parametrize("name", ["force_sync", "database_rebuild"])
@pytest.mark.parametrize("missing", ["trakt_client_id", "trakt_client_secret", "both"])
def test_actions_without_a_client_id_or_secret_explain_how_to_register(
    kodi, sandbox, authorised, monkeypatch, name, missing
):
    # D4: there is no built-in Trakt app; say where to enter one, send nothing.
    from resources.lib.trakt import client as client_module

    def refuse(*args, **kwargs):
        raise AssertionError("no Trakt client may be built without a client id")

    monkeypatch.setattr(client_module, "TraktClient", refuse)
    for key in ("trakt_client_id", "trakt_client_secret"):
        if missing in (key, "both"):
            kodi.set_setting(key, "  ")
    kodi.script("yesno", True)
    assert run(name) == "no_client"
    assert finished(kodi, name) == "no_client"
    assert dialog_texts(kodi, "ok") == [kodi.localized(30138)]
    assert "Authorise Trakt" in kodi.localized(30138)
    assert kodi.dialog_calls("yesno") == []
    assert kodi.log_lines(level=2, contains="No Trakt client id/secret configured")
    assert sandbox.client_secret not in "\n".join(message for _, message in kodi.logs)


def test_sign_out_without_a_client_id_clears_locally_without_a_request(kodi, authorised, no_client):
    kodi.script("yesno", True)
    assert run("trakt_signout") == "signed_out revoked=False"
    assert authorised.load() is None


def test_manual_sync_throttle_is_a_warning(kodi, authorised):
    # G4: a user-requested sync that is throttled logs a WARNING.
    run("force_sync")
    assert kodi.log_lines(level=2, contains="Manual sync throttled") == []
    assert run("force_sync").startswith("throttled")
    assert len(kodi.log_lines(level=2, contains="Manual sync throttled")) == 1
