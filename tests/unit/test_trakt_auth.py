"""Device-code flow and revoke against a loopback stub with a fake clock."""

from __future__ import annotations

import logging

import pytest

from resources.lib.trakt import errors
from resources.lib.trakt.auth import DeviceCode
from tests.support.trakt_stub import CLIENT_ID, CLIENT_SECRET, Reply, make_client

DEVICE_SECRET = "dev-code-SECRET-123"


def code_reply(interval: int = 5, expires_in: int = 600) -> Reply:
    return Reply(
        200,
        {
            "device_code": DEVICE_SECRET,
            "user_code": "ABCD1234",
            "verification_url": "https://trakt.tv/activate",
            "expires_in": expires_in,
            "interval": interval,
        },
    )


TOKENS = Reply(
    200,
    {
        "access_token": "acc-dev",
        "refresh_token": "ref-dev",
        "expires_in": 86400,
        "created_at": 1_700_000_000,
        "token_type": "bearer",
        "scope": "public",
    },
)


def polls(stub):
    return [r for r in stub.requests if r.path == "/auth/oauth/device/token"]


def test_device_code_request(stub, tmp_path, clock):
    stub.script("POST", "/auth/oauth/device/code", code_reply())
    client = make_client(stub, tmp_path, clock, tokens=None)
    code = client.request_device_code()
    assert (code.user_code, code.verification_url, code.expires_in, code.interval) == (
        "ABCD1234",
        "https://trakt.tv/activate",
        600,
        5,
    )
    assert stub.requests[0].json() == {"client_id": CLIENT_ID}
    assert "authorization" not in stub.requests[0].headers
    assert DEVICE_SECRET not in repr(code)


def test_approval_after_pending_polls_at_the_server_interval(stub, tmp_path, clock, caplog):
    stub.script("POST", "/auth/oauth/device/code", code_reply(interval=5))
    stub.script("POST", "/auth/oauth/device/token", Reply(400), Reply(400), TOKENS)
    client = make_client(stub, tmp_path, clock, tokens=None)
    with caplog.at_level(logging.DEBUG, logger="resources.lib.trakt"):
        code = client.request_device_code()
        tokens = client.poll_device_token(code)
    assert tokens.access_token == "acc-dev"
    assert tokens.expires_at == 1_700_086_400
    assert client.token_store.load() == tokens
    assert client.is_authorized()
    assert len(polls(stub)) == 3
    assert polls(stub)[0].json() == {
        "code": DEVICE_SECRET,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert clock.slept == 15
    for secret in (DEVICE_SECRET, "acc-dev", "ref-dev", CLIENT_SECRET):
        assert secret not in caplog.text


def test_slow_down_increases_the_interval_by_five_seconds(stub, tmp_path, clock):
    stub.script("POST", "/auth/oauth/device/token", Reply(429), Reply(400), TOKENS)
    client = make_client(stub, tmp_path, clock, tokens=None)
    client.poll_device_token(DeviceCode(DEVICE_SECRET, "U", "url", 600, 5))
    assert len(polls(stub)) == 3
    assert clock.slept == 5 + 10 + 10


@pytest.mark.parametrize(
    "status, cls",
    [
        (404, errors.DeviceCodeInvalid),
        (409, errors.DeviceCodeUsed),
        (410, errors.DeviceCodeExpired),
        (418, errors.DeviceCodeDenied),
    ],
)
def test_poll_failures_are_typed(stub, tmp_path, clock, status, cls):
    stub.script("POST", "/auth/oauth/device/token", Reply(400), Reply(status))
    client = make_client(stub, tmp_path, clock, tokens=None)
    with pytest.raises(cls):
        client.poll_device_token(DeviceCode(DEVICE_SECRET, "U", "url", 600, 5))
    assert len(polls(stub)) == 2
    assert client.token_store.load() is None


def test_code_expires_by_expires_in(stub, tmp_path, clock):
    stub.script("POST", "/auth/oauth/device/token", Reply(400))
    client = make_client(stub, tmp_path, clock, tokens=None)
    with pytest.raises(errors.DeviceCodeExpired):
        client.poll_device_token(DeviceCode(DEVICE_SECRET, "U", "url", 30, 5))
    assert len(polls(stub)) == 5  # at 5, 10, 15, 20, 25 s; 30 s is the deadline
    assert clock.slept == 30


def test_server_errors_while_polling_keep_polling(stub, tmp_path, clock):
    stub.script("POST", "/auth/oauth/device/token", Reply(502), Reply(action="drop"), TOKENS)
    client = make_client(stub, tmp_path, clock, tokens=None)
    assert client.poll_device_token(DeviceCode(DEVICE_SECRET, "U", "url", 600, 1))
    assert len(polls(stub)) == 3


def test_cancel_is_seen_within_half_a_second(stub, tmp_path, clock):
    stub.script("POST", "/auth/oauth/device/token", Reply(400))
    client = make_client(stub, tmp_path, clock, tokens=None)
    start = clock.t
    with pytest.raises(errors.DeviceAuthCancelled):
        client.poll_device_token(
            DeviceCode(DEVICE_SECRET, "U", "url", 600, 5),
            should_cancel=lambda: clock.t - start >= 7.1,
        )
    assert len(polls(stub)) == 1
    assert clock.t - start <= 7.1 + 0.5
    assert max(clock.sleeps) <= 0.5


def test_abort_stops_polling(stub, tmp_path, clock):
    stub.script("POST", "/auth/oauth/device/token", Reply(400))
    client = make_client(stub, tmp_path, clock, tokens=None, should_abort=lambda: True)
    with pytest.raises(errors.Aborted):
        client.poll_device_token(DeviceCode(DEVICE_SECRET, "U", "url", 600, 5))
    assert client.request_count == 0


def test_revoke_posts_then_clears_the_store(stub, tmp_path, clock):
    stub.script("POST", "/auth/oauth/revoke", Reply(200, {}))
    client = make_client(stub, tmp_path, clock)
    assert client.revoke() is True
    assert stub.paths() == ["POST /auth/oauth/revoke"]
    assert stub.requests[0].json() == {
        "token": "access-1",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert client.token_store.load() is None and not client.is_authorized()


def test_revoke_clears_the_store_even_when_trakt_fails(stub, tmp_path, clock):
    stub.script("POST", "/auth/oauth/revoke", Reply(500))
    client = make_client(stub, tmp_path, clock, max_retries=1)
    assert client.revoke() is False
    assert client.request_count == 2
    assert client.token_store.load() is None


def test_revoke_without_tokens_sends_nothing(stub, tmp_path, clock):
    client = make_client(stub, tmp_path, clock, tokens=None)
    client.token_store.mark_needs_reauth()
    assert client.revoke() is False
    assert client.request_count == 0
    assert client.token_store.needs_reauth() is False
