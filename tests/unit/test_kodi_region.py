"""Times of day as the user's region setting writes them (``xbmc.getRegion``, strict double
answering as Kodi does): the seconds dropped, Kodi's meridiem symbols, a 24-hour region."""

from __future__ import annotations

import datetime

import pytest

from resources.lib.kodi import region

EVENING = datetime.datetime(2026, 12, 6, 20, 5, 59)
MORNING = datetime.datetime(2026, 12, 7, 9, 30)


def test_kodis_default_region_is_twelve_hours_without_seconds(kodi):
    assert region.format_time(EVENING) == "8:05 PM"  # Kodi's "h": no leading zero
    assert region.format_time(MORNING) == "9:30 AM"
    assert region.format_time(datetime.datetime(2026, 12, 7, 0, 15)) == "12:15 AM"


def test_a_twenty_four_hour_region(kodi):
    kodi.region.update(time="%H:%M:%S", meridiem="/")  # "UK (24h)"
    assert region.format_time(EVENING) == "20:05"
    assert region.format_time(MORNING) == "09:30"


@pytest.mark.parametrize(
    "time_format, meridiem, expected",
    [("%H.%M.%S", "/", "20.05"),  # a region writing "H.mm.ss"
     ("%p %I:%M:%S", "a.m./p.m.", "p.m. 8:05"),  # the region's own symbols
     ("%I:%M:%S %p", "", "8:05 PM"),  # no symbols: the platform's
     ("", "", "20:05")],  # nothing known: 24 hours, as the command line writes it
)  # fmt: skip
def test_other_region_formats(kodi, time_format, meridiem, expected):
    kodi.region.update(time=time_format, meridiem=meridiem)
    assert region.format_time(EVENING) == expected
