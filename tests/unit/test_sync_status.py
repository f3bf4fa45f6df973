"""SyncStatus: one enum for every sync status, still equal to the text the history stores."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from resources.lib.database.sync_status import SUCCEEDED, SyncStatus
from resources.lib.database.trakt_sync.result import STATUSES, SyncResult


@pytest.mark.parametrize("status", list(SyncStatus))
def test_a_status_is_its_text_everywhere_it_is_written(status):
    text = status.value
    assert status == text and {text: 1}.get(status) == 1 and {status: 1}.get(text) == 1
    assert str(status) == "%s" % status == f"{status}" == f"{status:<1}".strip() == text
    assert json.dumps({"status": status}) == json.dumps({"status": text})
    conn = sqlite3.connect(":memory:")
    assert conn.execute("SELECT ?", (status,)).fetchone() == (text,)


@pytest.mark.parametrize(
    "given, expected",
    [
        ("ok", SyncStatus.OK),
        (SyncStatus.BUSY, SyncStatus.BUSY),
        ("nonsense", SyncStatus.ERROR),
        (None, SyncStatus.ERROR),
    ],
)
def test_a_result_holds_the_enum_whatever_it_was_given(given, expected):
    assert SyncResult(given).status is SyncStatus.of(given) is expected


def test_only_ok_and_partial_succeeded_and_the_engine_never_reports_skipped():
    assert [s for s in SyncStatus if s.succeeded] == list(SUCCEEDED)
    assert SUCCEEDED == (SyncStatus.OK, SyncStatus.PARTIAL)
    assert "skipped" not in STATUSES and len(STATUSES) == 7


def test_a_replaced_result_is_a_copy():
    shared = SyncResult("error", error="x")
    copy = shared.replaced(status=SyncStatus.ABORTED)
    assert (shared.status, copy.status, copy.error) == (SyncStatus.ERROR, SyncStatus.ABORTED, "x")


def test_the_status_module_does_not_load_the_sync_engine():
    # The plugin reads settings (and so the scheduler) on every call: it must not pay for it.
    code = (
        "import sys, resources.lib.service.scheduler, resources.lib.service.history;"
        "print('resources.lib.database.trakt_sync' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
