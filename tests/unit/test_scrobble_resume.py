"""Resume points from Trakt progress, and the placeholder-clip decision."""

from __future__ import annotations

import pytest

from resources.lib.scrobble.resume import is_placeholder_clip, progress_percent, resume_seconds


@pytest.mark.parametrize(
    "progress, runtime, seconds",
    [
        (50.0, 120, 3600.0),
        (12.5, 44, 330.0),
        (33.333, 100, 1999.0),  # rounded down, never past the point
        (1.0, 60, 36.0),
        (0.5, 60, 0.0),  # under 1 %: nothing to resume
        (100.0, 60, 0.0),
        (50.0, None, 0.0),
        (50.0, 0, 0.0),
        (None, 60, 0.0),
        (float("nan"), 60, 0.0),
        ("50", "60", 1800.0),
        ("x", 60, 0.0),
    ],
)
def test_resume_seconds(progress, runtime, seconds):
    assert resume_seconds(progress, runtime) == seconds


def test_progress_percent_is_clamped_and_safe():
    assert progress_percent(30, 60) == 50.0
    assert progress_percent(90, 60) == 100.0
    assert progress_percent(10, 0) == 0.0
    assert progress_percent(-5, 60) == 0.0


@pytest.mark.parametrize(
    "total, expected_minutes, placeholder",
    [
        (3.0, 120, True),  # debrid "downloading" clip for a movie
        (44.9, None, True),  # unknown runtime counts as a feature
        (45.0, 120, False),
        (5400.0, 120, False),
        (3.0, 1, False),  # the item itself is a short
        (None, 120, False),  # duration not known yet: no decision
        (0, 120, False),
    ],
)
def test_placeholder_decision(total, expected_minutes, placeholder):
    assert is_placeholder_clip(total, expected_minutes) is placeholder


def test_placeholder_threshold_parameter():
    assert is_placeholder_clip(20.0, 120, threshold_seconds=10) is False
    assert is_placeholder_clip(3.0, 120, threshold_seconds=10) is True
