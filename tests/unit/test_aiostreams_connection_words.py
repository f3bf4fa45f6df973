"""The AIOStreams connection test reports a status code and its details, no English (issue 14,
section 4); ``connection_text`` words each status from strings.po, the instance's own error
text shown as it is. A small HTTP server on 127.0.0.1 plays the instance."""

from __future__ import annotations

import http.server
import json
import socket
import threading

import pytest

from resources.lib import i18n
from resources.lib.aiostreams.connection import ConnectionReport, test_connection
from resources.lib.aiostreams.connection_text import report_text, status_id

MANIFEST = {
    "id": "com.aiostreams.viren070",
    "name": "AIOStreams",
    "version": "2.33.0",
    "resources": ["stream"],
    "types": ["movie"],
}


@pytest.fixture
def instance():
    """``answer(status, body)`` sets what the next manifest request gets; yields a URL maker."""
    answer = {"status": 200, "body": MANIFEST}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = json.dumps(answer["body"]).encode()
            self.send_response(answer["status"])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{server.server_address[1]}"

    def url(status=200, body=MANIFEST):
        answer.update(status=status, body=body)
        return f"http://{host}/stremio/a/b/manifest.json"

    url.host = host
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def words(report: ConnectionReport) -> str:
    return report_text(report, i18n.localize)


def test_ok_names_the_instance(instance):
    report = test_connection(instance())
    assert (report.ok, report.status, report.name, report.version) == (
        True,
        "ok",
        "AIOStreams",
        "2.33.0",
    )
    assert words(report) == "Connected to AIOStreams 2.33.0."


@pytest.mark.parametrize(
    "url, reason, text",
    [
        ("", "missing", "No AIOStreams manifest URL is configured."),
        (
            "ftp://x/manifest.json",
            "scheme",
            "The manifest URL must start with http:// or https://.",
        ),
        ("https://example.com/manifest.json", "shape", "This does not look like an AIOStreams"),
    ],
)
def test_an_invalid_url_has_a_reason_code(url, reason, text):
    report = test_connection(url)
    assert (report.ok, report.status, report.reason) == (False, "invalid_url", reason)
    assert words(report).startswith(text)


def test_unreachable_carries_the_host_and_the_network_reason():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    report = test_connection(f"http://127.0.0.1:{port}/stremio/a/b/manifest.json", timeout=5)
    assert (report.status, report.host) == ("unreachable", f"127.0.0.1:{port}")
    assert words(report).startswith(f"Could not reach 127.0.0.1:{port}")


def test_an_instance_error_is_shown_in_the_instances_own_words(instance):
    report = test_connection(instance(401, {"error": {"message": "Invalid password"}}))
    assert (report.status, report.http_status, report.detail) == (
        "instance_error",
        401,
        "Invalid password",
    )
    assert words(report) == "AIOStreams answered with an error: Invalid password"


def test_rate_limited(instance):
    report = test_connection(instance(429, {}))
    assert (report.status, report.http_status) == ("rate_limited", 429)
    assert words(report) == "AIOStreams is rate-limiting requests: try again shortly."


def test_another_addon_or_an_http_error_is_not_aiostreams(instance):
    other = test_connection(instance(200, {"id": "torrentio", "name": "Torrentio"}))
    assert (other.status, other.http_status) == ("not_aiostreams", 200)
    assert words(other) == f"{instance.host} answered, but not with an AIOStreams manifest."
    missing = test_connection(instance(404, {}))
    assert (missing.status, missing.http_status) == ("not_aiostreams", 404)
    assert words(missing) == (
        f"{instance.host} answered HTTP 404: this is not an AIOStreams manifest."
    )


@pytest.mark.parametrize(
    "report, text",
    [
        (
            ConnectionReport(False, "timeout", host="h:1", seconds=20.0),
            "h:1 did not answer within 20 seconds.",
        ),
        (ConnectionReport(False, "unreachable", host="h:1"), "Could not reach h:1: no answer."),
        (
            ConnectionReport(False, "bad_response"),
            "AIOStreams sent an answer that could not be read.",
        ),
        (ConnectionReport(False, "http_error", http_status=502), "AIOStreams answered HTTP 502."),
        (ConnectionReport(False, "aborted"), "The connection test was cancelled."),
        (ConnectionReport(False, "something_new"), "The connection test failed."),
    ],
)
def test_every_status_has_words_from_strings_po(report, text):
    assert words(report) == text
    assert i18n.strings()[status_id(report)]  # an id that exists in strings.po
