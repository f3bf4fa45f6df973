"""The sandbox behaves like Trakt over a real network: latency, rate-limit windows, the
``X-Ratelimit`` header on every response, 429 + ``Retry-After``, one send per response."""

from __future__ import annotations

import http.client
import json
import socketserver
import subprocess
import sys
import time
from typing import Any, Dict, Tuple

import pytest

from sandbox.server import Sandbox


def _request(
    sb: Sandbox, method: str, path: str, body: Any = None, conn: Any = None
) -> Tuple[int, Dict[str, str], Any]:
    conn = conn or http.client.HTTPConnection("127.0.0.1", sb.port, timeout=10)
    token = sb.issue_tokens()["access_token"]
    headers = {
        "Content-Type": "application/json",
        "trakt-api-key": sb.client_id,
        "trakt-api-version": "2",
        "Authorization": "Bearer " + token,
    }
    data = None if body is None else json.dumps(body).encode()
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    raw = resp.read()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, raw


def _ratelimit(headers: Dict[str, str]) -> Dict[str, Any]:
    return json.loads(headers["x-ratelimit"])


def test_every_api_response_carries_a_real_x_ratelimit_header() -> None:
    with Sandbox(account="small", get_limit=1000) as sb:
        seen = []
        for method, path, body in (
            ("GET", "/sync/last_activities", None),
            ("GET", "/no/such/endpoint", None),
            ("POST", "/sync/watchlist", {"movies": []}),
        ):
            status, headers, _ = _request(sb, method, path, body)
            seen.append(status)
            info = _ratelimit(headers)
            assert set(info) == {"name", "period", "limit", "remaining", "until"}
            assert info["until"].endswith("Z") and "T" in info["until"]
        assert seen == [200, 404, 201]
        get_info = _ratelimit(_request(sb, "GET", "/sync/last_activities")[1])
        assert get_info["name"] == "AUTHED_API_GET_LIMIT"
        assert (get_info["limit"], get_info["period"]) == (1000, 300)
        assert get_info["remaining"] == 1000 - 3  # two GETs before this one, plus this one


def test_get_window_is_spent_then_429_with_retry_after_until_the_window_ends() -> None:
    with Sandbox(account="small", get_limit=3, get_period=2) as sb:
        remaining = [
            _ratelimit(_request(sb, "GET", "/sync/last_activities")[1])["remaining"]
            for _ in range(3)
        ]
        assert remaining == [2, 1, 0]
        status, headers, body = _request(sb, "GET", "/sync/last_activities")
        assert status == 429
        assert 1 <= int(headers["retry-after"]) <= 2
        assert _ratelimit(headers)["remaining"] == 0
        assert json.loads(body)["error"]
        assert sb.rate_limited == 1
        time.sleep(2.1)  # the window ends: a new one opens with the next request
        status, headers, _ = _request(sb, "GET", "/sync/last_activities")
        assert status == 200 and _ratelimit(headers)["remaining"] == 2
        statuses = [entry["status"] for entry in sb.requests()["log"]]
        assert statuses.count(429) == 1


def test_writes_are_limited_to_one_per_second_separately_from_gets() -> None:
    with Sandbox(account="small", get_limit=1000, write_limit=1) as sb:
        first = _request(sb, "POST", "/sync/watchlist", {"movies": []})
        second = _request(sb, "POST", "/sync/watchlist", {"movies": []})
        assert first[0] == 201
        assert second[0] == 429 and second[1]["retry-after"] == "1"
        assert _ratelimit(second[1])["name"] == "AUTHED_API_POST_LIMIT"
        assert _request(sb, "GET", "/sync/last_activities")[0] == 200
        time.sleep(1.05)
        assert _request(sb, "POST", "/sync/watchlist", {"movies": []})[0] == 201


def test_limits_are_off_unless_asked() -> None:
    with Sandbox(account="small") as sb:
        conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=10)
        statuses = {
            _request(sb, "POST", "/sync/watchlist", {"movies": []}, conn)[0] for _ in range(5)
        }
        assert statuses == {201}
        assert sb.rate_limited == 0


def test_latency_delays_every_api_response_but_not_the_control_api() -> None:
    with Sandbox(account="small", latency_ms=200) as sb:
        started = time.monotonic()
        assert _request(sb, "GET", "/sync/last_activities")[0] == 200
        assert time.monotonic() - started >= 0.2
        conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=10)
        started = time.monotonic()
        conn.request("GET", "/_sandbox/info")
        assert conn.getresponse().read()
        assert time.monotonic() - started < 0.2
        sb.set_latency(0)
        started = time.monotonic()
        assert _request(sb, "GET", "/sync/last_activities")[0] == 200
        assert time.monotonic() - started < 0.2


def test_headers_and_body_leave_in_one_send(monkeypatch: pytest.MonkeyPatch) -> None:
    writes = []
    original = socketserver._SocketWriter.write  # type: ignore[attr-defined]

    def counting_write(self: Any, data: Any) -> int:
        writes.append(bytes(data))
        return original(self, data)

    monkeypatch.setattr(socketserver._SocketWriter, "write", counting_write)  # type: ignore
    with Sandbox(account="small") as sb:
        status, _, body = _request(sb, "GET", "/sync/watched/shows", None)
        assert status == 200 and body
    assert len(writes) == 1
    assert writes[0].startswith(b"HTTP/1.1 200") and writes[0].endswith(body)


def test_command_line_takes_latency_and_limits() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--latency", "50", "--get-limit", "2"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()  # type: ignore[union-attr]
        port = int(url.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        statuses = []
        for _ in range(3):
            conn.request(
                "GET",
                "/movies/1",
                headers={"trakt-api-key": Sandbox.client_id, "trakt-api-version": "2"},
            )
            resp = conn.getresponse()
            resp.read()
            statuses.append((resp.status, json.loads(resp.getheader("X-Ratelimit"))["limit"]))
        assert [s[1] for s in statuses] == [2, 2, 2]
        assert statuses[2][0] == 429 and statuses[0][0] != 429
    finally:
        proc.terminate()
        proc.wait(10)
