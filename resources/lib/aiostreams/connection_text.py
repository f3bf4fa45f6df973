"""The AIOStreams connection test in words, for every front end.

:func:`~.connection.test_connection` reports a status code and its details; this module maps
them to strings.po ids and the caller passes its ``localize`` (Kodi's in the add-on,
``i18n.localize`` on the command line). The instance's own error text is shown as it is.
Pure: no Kodi, no files.
"""

from __future__ import annotations

from typing import Callable

from .connection import ConnectionReport

Localize = Callable[..., str]

OK = 31500  # "Connected to {name}."
INVALID_URL = {"missing": 31501, "scheme": 31502, "shape": 31503}
UNREACHABLE = 31504  # "Could not reach {host}: {detail}."
UNREACHABLE_PLAIN = 31505  # "Could not reach {host}."
TIMEOUT = 31506  # "{host} did not answer within {seconds} seconds."
NOT_AIOSTREAMS_HTTP = 31507  # "{host} answered HTTP {status}: ..."
NOT_AIOSTREAMS = 31508  # "{host} answered, but not with an AIOStreams manifest."
INSTANCE_ERROR = 31509  # "AIOStreams answered with an error: {detail}"
RATE_LIMITED = 31510
ABORTED = 31511
BAD_RESPONSE = 31512
HTTP_ERROR = 31513  # "AIOStreams answered HTTP {status}."
FAILED = 31514  # any other code
_BY_STATUS = {
    "timeout": TIMEOUT,
    "instance_error": INSTANCE_ERROR,
    "aborted": ABORTED,
    "rate_limited": RATE_LIMITED,
    "bad_response": BAD_RESPONSE,
    "http_error": HTTP_ERROR,
}


def status_id(report: ConnectionReport) -> int:
    """The strings.po id that words ``report``."""
    status = report.status
    if status == "ok":
        return OK
    if status == "invalid_url":
        return INVALID_URL.get(report.reason, INVALID_URL["shape"])
    if status == "unreachable":
        return UNREACHABLE if report.detail else UNREACHABLE_PLAIN
    if status == "not_aiostreams":
        return NOT_AIOSTREAMS_HTTP if report.http_status >= 400 else NOT_AIOSTREAMS
    if status == "http_error" and not report.http_status:
        return FAILED
    return _BY_STATUS.get(status, FAILED)


def report_text(report: ConnectionReport, localize: Localize) -> str:
    """The report in the words of strings.po, its details filled in."""
    name = " ".join(part for part in (report.name or "AIOStreams", report.version) if part)
    return localize(
        status_id(report),
        name=name,
        host=report.host,
        seconds=f"{report.seconds:g}",
        status=report.http_status,
        detail=report.detail,
    )


__all__ = ["report_text", "status_id"]
