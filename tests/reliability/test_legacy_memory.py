"""Importing the largest plausible 2.7.x cache stays within a TV box's memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.reliability.conftest import ROOT

BENCH = os.path.join(ROOT, "bench", "legacy_cache.py")
PEAK_LIMIT_MB = 80.0


def test_importing_a_cache_at_tracts_100k_play_cap_peaks_under_80_mb(tmp_path):
    out = subprocess.run(
        [sys.executable, BENCH, str(tmp_path), "--plays", "100000", "--measure"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    size_line, measured = out.stdout.strip().splitlines()[-2:]
    size_mb = float(size_line.rsplit(":", 1)[1].split()[0])
    figures = json.loads(measured)
    assert size_mb > 50, size_line  # the size of the cache reported in issue 10 (59 MB)
    assert figures["error"] is None and figures["skipped"] == []
    assert figures["counts"]["watched_episodes"] == 100000
    assert figures["peak_rss_mb"] < PEAK_LIMIT_MB, figures
