"""Why ``/oauth/token`` refused decides what happens to the tokens (loopback stub, real store).

invalid_grant -> authorise again (store marked); invalid_client / 403 -> the app's id or secret
are wrong (tokens kept); any other 401 -> unauthorized, tokens kept; unreadable or 5xx ->
transient, tokens kept. Each refusal costs exactly one refresh request.
"""

from __future__ import annotations

import pytest

from resources.lib.trakt import errors
from tests.support.trakt_stub import Reply, make_client, token_reply

TOKEN = "/auth/oauth/token"
HTML = b"<html><body><h1>Bad gateway</h1></body></html>"


def _kept(client, before):
    assert not client.token_store.needs_reauth()
    assert client.token_store.load() == before
    assert client.is_authorized()


@pytest.mark.parametrize(
    "reply",
    [Reply(400, {"error": "invalid_grant"}), Reply(401, {"error": "invalid_grant"})],
    ids=["400", "401"],
)
def test_invalid_grant_means_authorise_again(stub, tmp_path, clock, reply):  # noqa: F811
    stub.script("GET", "/a", Reply(401))
    stub.script("POST", TOKEN, reply)
    client = make_client(stub, tmp_path, clock)
    with pytest.raises(errors.ReauthorizationRequired):
        client.get("/a")
    assert client.token_store.needs_reauth() and not client.is_authorized()
    assert stub.paths() == ["GET /a", "POST " + TOKEN]


@pytest.mark.parametrize(
    "reply",
    [Reply(401, {"error": "invalid_client"}), Reply(403, {"error": "forbidden"}), Reply(403)],
    ids=["invalid_client", "403", "403-bare"],
)
def test_invalid_client_blames_the_app_and_keeps_the_tokens(stub, tmp_path, clock, reply):  # noqa: F811
    stub.script("GET", "/a", Reply(401))
    stub.script("POST", TOKEN, reply)
    client = make_client(stub, tmp_path, clock)
    before = client.token_store.load()
    with pytest.raises(errors.AppCredentialsRejected) as info:
        client.get("/a")
    assert info.value.code == "app_credentials_rejected"
    assert "client id" in info.value.user_message and "kept" in info.value.user_message
    assert not isinstance(info.value, (errors.Unauthorized, errors.ReauthorizationRequired))
    _kept(client, before)
    assert client.request_count == 2


@pytest.mark.parametrize(
    "reply",
    [Reply(401, {"error": "invalid_token"}), Reply(401, {}), Reply(401)],
    ids=["invalid_token", "empty-object", "no-body"],
)
def test_another_401_is_unauthorized_but_keeps_the_login(stub, tmp_path, clock, reply):  # noqa: F811
    stub.script("GET", "/a", Reply(401))
    stub.script("POST", TOKEN, reply)
    client = make_client(stub, tmp_path, clock)
    before = client.token_store.load()
    with pytest.raises(errors.Unauthorized):
        client.get("/a")
    _kept(client, before)
    assert stub.paths() == ["GET /a", "POST " + TOKEN]


@pytest.mark.parametrize(
    "reply, cls",
    [
        (Reply(400, body=HTML, headers={"Content-Type": "text/html"}), errors.BadResponse),
        (Reply(502, body=HTML, headers={"Content-Type": "text/html"}), errors.ServerError),
        (Reply(500, {"error": "boom"}), errors.ServerError),
        (
            Reply(200, body=b'{"access_token": "x', headers={"Content-Type": "application/json"}),
            errors.BadResponse,
        ),
    ],  # fmt: skip
    ids=["400-html", "502-html", "500", "200-truncated-json"],
)
def test_an_unreadable_or_5xx_answer_is_transient(stub, tmp_path, clock, reply, cls):  # noqa: F811
    stub.script("GET", "/a", Reply(401))
    stub.script("POST", TOKEN, reply)
    client = make_client(stub, tmp_path, clock)
    before = client.token_store.load()
    with pytest.raises(cls) as info:
        client.get("/a")
    assert not isinstance(info.value, (errors.Unauthorized, errors.ReauthorizationRequired))
    _kept(client, before)
    # The refresh is never resent: a lost answer may already have spent the refresh token.
    assert stub.paths().count("POST " + TOKEN) == 1


def test_a_refresh_answer_lost_after_sending_is_not_resent(stub, tmp_path, clock):  # noqa: F811
    stub.script("GET", "/a", Reply(401))
    stub.script("POST", TOKEN, Reply(action="drop"), token_reply("2", clock))
    client = make_client(stub, tmp_path, clock)
    with pytest.raises(errors.NetworkError):
        client.get("/a")
    assert stub.paths().count("POST " + TOKEN) == 1
    assert client.is_authorized()


def test_a_burst_of_401s_costs_one_refresh_request(stub, tmp_path, clock):  # noqa: F811
    stub.script("GET", "/a", Reply(401))
    stub.script("POST", TOKEN, Reply(401, {"error": "invalid_token"}))
    client = make_client(stub, tmp_path, clock)
    before = client.token_store.load()
    for _ in range(5):
        with pytest.raises(errors.Unauthorized):
            client.get("/a")
    assert stub.paths().count("POST " + TOKEN) == 1 and stub.paths().count("GET /a") == 5
    _kept(client, before)
    clock.t += 61  # a minute later the refresh is tried again (once)
    with pytest.raises(errors.Unauthorized):
        client.get("/a")
    assert stub.paths().count("POST " + TOKEN) == 2
