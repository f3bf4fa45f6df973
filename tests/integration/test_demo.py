"""`make demo` (tools/demo.py) works on a machine without a Trakt account."""

from __future__ import annotations

import os
import subprocess
import sys

from resources.lib.database.schema import LATEST_VERSION

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_demo_authorises_syncs_and_prints_next_up(tmp_path):
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "demo.py"), "--data-dir", str(tmp_path)],
        cwd=str(tmp_path),  # runs from anywhere, not only the repo root
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "enter " in out and "Authorised." in out
    assert "sync ok:" in out
    assert "watched episodes:" in out and "schema version:   %d" % LATEST_VERSION in out
    next_up = [line for line in out.splitlines() if line.startswith("Next Up (")]
    assert next_up and next_up[0] != "Next Up (0):"
    assert (tmp_path / "trakt_sync.db").exists() and (tmp_path / ".migration_complete").exists()
    tokens = (tmp_path / "trakt_tokens.json").read_text()
    assert tokens and not any(len(word) > 30 and word in out for word in tokens.split('"'))


def test_demo_with_a_temporary_folder_cleans_up(tmp_path):
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "demo.py")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, TMPDIR=str(tmp_path)),
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Next Up (" in result.stdout
    assert list(tmp_path.iterdir()) == []
