"""TraktClient against a loopback stub: retries, 429s, pacing, pagination, refresh, errors."""

from __future__ import annotations

import logging

import pytest

from resources.lib.trakt import auth, errors
from resources.lib.trakt.tokens import Tokens
from tests.support.trakt_stub import (
    CLIENT_SECRET,
    Reply,
    make_client,
    token_reply,
    valid_tokens,
)

# ------------------------------------------------------------------ retries and backoff


def test_5xx_is_retried_with_bounded_exponential_backoff(stub, tmp_path, clock):
    stub.script("GET", "/sync/last_activities", Reply(500, {"error": "boom"}))
    client = make_client(stub, tmp_path, clock, max_retries=3, retry_base=1.0)
    with pytest.raises(errors.ServerError) as info:
        client.get("/sync/last_activities")
    assert info.value.status == 500
    assert client.request_count == 4
    assert clock.slept == 1 + 2 + 4
    assert info.value.user_message


def test_transient_502_then_success(stub, tmp_path, clock):
    stub.script("GET", "/a", Reply(502, body=b"bad gateway"), Reply(200, {"ok": True}))
    client = make_client(stub, tmp_path, clock)
    assert client.get("/a") == {"ok": True}
    assert client.request_count == 2
    assert clock.slept == 1


def test_backoff_is_capped(stub, tmp_path, clock):
    stub.script("GET", "/a", Reply(503))
    client = make_client(stub, tmp_path, clock, max_retries=5, retry_base=1.0, backoff_cap=3.0)
    with pytest.raises(errors.ServerError):
        client.get("/a")
    assert client.request_count == 6
    assert clock.slept == 1 + 2 + 3 + 3 + 3


def test_html_520_becomes_server_error(stub, tmp_path, clock):
    html = b"<html><body>520: Web server is returning an unknown error</body></html>"
    stub.script("GET", "/a", Reply(520, body=html, headers={"Content-Type": "text/html"}))
    client = make_client(stub, tmp_path, clock, max_retries=2)
    with pytest.raises(errors.ServerError) as info:
        client.get("/a")
    assert info.value.status == 520
    assert client.request_count == 3


def test_html_body_on_200_is_bad_response(stub, tmp_path, clock):
    stub.script(
        "GET", "/a", Reply(200, body=b"<html>oops</html>", headers={"Content-Type": "text/html"})
    )
    client = make_client(stub, tmp_path, clock, max_retries=1)
    with pytest.raises(errors.BadResponse):
        client.get("/a")
    assert client.request_count == 2


def test_invalid_json_is_retried_then_bad_response(stub, tmp_path, clock):
    stub.script("GET", "/a", Reply(200, body=b'[{"id": 1}, {"id"'))
    client = make_client(stub, tmp_path, clock, max_retries=2)
    with pytest.raises(errors.BadResponse) as info:
        client.get("/a")
    assert info.value.status == 200
    assert client.request_count == 3


def test_invalid_json_once_then_valid(stub, tmp_path, clock):
    stub.script("GET", "/a", Reply(200, body=b"{"), Reply(200, [1, 2]))
    client = make_client(stub, tmp_path, clock)
    assert client.get("/a") == [1, 2]
    assert client.request_count == 2


def test_truncated_body_is_retried_then_bad_response(stub, tmp_path, clock):
    stub.script("GET", "/a", Reply(200, [1, 2, 3], action="truncate"))
    client = make_client(stub, tmp_path, clock, max_retries=2)
    with pytest.raises(errors.BadResponse):
        client.get("/a")
    assert client.request_count == 3


def test_dropped_connection_is_retried_then_network_error(stub, tmp_path, clock):
    stub.script("GET", "/a", Reply(action="drop"))
    client = make_client(stub, tmp_path, clock, max_retries=2)
    with pytest.raises(errors.NetworkError):
        client.get("/a")
    assert client.request_count == 3
    assert clock.slept == 1 + 2


def test_dropped_connection_once_then_success(stub, tmp_path, clock):
    stub.script("GET", "/a", Reply(action="drop"), Reply(200, {"x": 1}))
    client = make_client(stub, tmp_path, clock)
    assert client.get("/a") == {"x": 1}
    assert client.request_count == 2


def test_timeout_is_retried_then_network_error(stub, tmp_path, clock):
    stub.script("GET", "/a", Reply(200, [], action="sleep", delay=0.6))
    client = make_client(stub, tmp_path, clock, timeout=0.15, max_retries=1)
    with pytest.raises(errors.NetworkError):
        client.get("/a")
    assert client.request_count == 2


def test_unsafe_post_is_not_resent_after_a_500(stub, tmp_path, clock):
    stub.script("POST", "/sync/history", Reply(500))
    client = make_client(stub, tmp_path, clock)
    with pytest.raises(errors.ServerError):
        client.post("/sync/history", {"movies": [{"ids": {"trakt": 1}}]})
    assert client.request_count == 1


def test_unsafe_post_is_not_resent_after_a_drop(stub, tmp_path, clock):
    stub.script("POST", "/sync/history", Reply(action="drop"))
    client = make_client(stub, tmp_path, clock)
    with pytest.raises(errors.NetworkError):
        client.post("/sync/history", {"movies": []})
    assert client.request_count == 1


def test_unsafe_post_is_resent_after_503_and_idempotent_post_after_500(stub, tmp_path, clock):
    stub.script("POST", "/sync/history", Reply(503), Reply(201, {"added": {"movies": 1}}))
    stub.script("POST", "/sync/watchlist", Reply(500), Reply(201, {"added": {"movies": 1}}))
    client = make_client(stub, tmp_path, clock)
    assert client.post("/sync/history", {"movies": []}) == {"added": {"movies": 1}}
    assert client.post("/sync/watchlist", {"movies": []}, idempotent=True)["added"]
    assert client.request_count == 4


# ------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "status, cls, words",
    [
        (400, errors.ClientError, "rejected"),
        (403, errors.Forbidden, "client id"),
        (404, errors.NotFound, "find"),
        (405, errors.ClientError, "rejected"),
        (409, errors.Conflict, "already"),
        (412, errors.ClientError, "rejected"),
        (420, errors.AccountLimit, "upgrade to VIP or remove items"),
        (422, errors.ClientError, "rejected"),
        (423, errors.AccountLocked, "locked or deactivated"),
        (426, errors.VipOnly, "VIP only"),
    ],
)
def test_status_maps_to_typed_error_without_retry(stub, tmp_path, clock, status, cls, words):
    stub.script("POST", "/sync/watchlist", Reply(status, {"error": "nope"}))
    client = make_client(stub, tmp_path, clock)
    with pytest.raises(cls) as info:
        client.post("/sync/watchlist", {"movies": []}, idempotent=True)
    assert type(info.value) is cls
    assert info.value.status == status
    assert words in info.value.user_message
    assert client.request_count == 1
    assert clock.sleeps == []


def test_account_limit_carries_trakt_headers(stub, tmp_path, clock):
    headers = {
        "X-Upgrade-URL": "https://trakt.tv/vip",
        "X-VIP-User": "false",
        "X-Account-Limit": "250",
    }
    stub.script("POST", "/sync/watchlist", Reply(420, headers=headers))
    client = make_client(stub, tmp_path, clock)
    with pytest.raises(errors.AccountLimit) as info:
        client.post("/sync/watchlist", {"movies": []})
    assert info.value.upgrade_url == "https://trakt.tv/vip"
    assert info.value.account_limit == "250"
    assert info.value.vip is False


def test_deactivated_account_says_so(stub, tmp_path, clock):
    stub.script("GET", "/a", Reply(423, headers={"X-Account-Deactivated": "true"}))
    client = make_client(stub, tmp_path, clock)
    with pytest.raises(errors.AccountLocked) as info:
        client.get("/a")
    assert "deactivated" in info.value.user_message


def test_every_error_is_a_trakt_error_with_a_user_message():
    for name in (
        "Unauthorized ReauthorizationRequired Forbidden NotFound Conflict AccountLimit "
        "AccountLocked VipOnly RateLimited ServerError NetworkError BadResponse ClientError "
        "DeviceCodeExpired DeviceCodeDenied DeviceCodeInvalid DeviceCodeUsed DeviceAuthCancelled"
    ).split():
        err = getattr(errors, name)()
        assert isinstance(err, errors.TraktError)
        assert err.user_message.strip()
    assert not issubclass(errors.Aborted, errors.TraktError)


# ------------------------------------------------------------------------ rate limits


def ratelimit_header(remaining: int = 0) -> str:
    return (
        '{"name":"AUTHED_API_GET_LIMIT","period":300,"limit":1000,'
        f'"remaining":{remaining},"until":"2026-10-10T00:24:00Z"}}'
    )


def test_429_with_x_ratelimit_honours_retry_after(stub, tmp_path, clock):
    stub.script(
        "GET",
        "/a",
        Reply(429, headers={"Retry-After": "7", "X-Ratelimit": ratelimit_header()}),
        Reply(200, []),
    )
    client = make_client(stub, tmp_path, clock)
    assert client.get("/a") == []
    assert client.request_count == 2
    assert clock.slept == 7


def test_bare_429_honours_retry_after(stub, tmp_path, clock):
    stub.script("GET", "/a", Reply(429, headers={"Retry-After": "3"}), Reply(200, []))
    client = make_client(stub, tmp_path, clock)
    assert client.get("/a") == []
    assert clock.slept == 3


def test_429_without_any_hint_backs_off(stub, tmp_path, clock):
    stub.script("GET", "/a", Reply(429), Reply(429), Reply(200, []))
    client = make_client(stub, tmp_path, clock, retry_base=1.0)
    assert client.get("/a") == []
    assert clock.slept == 1 + 2


def test_huge_retry_after_is_capped(stub, tmp_path, clock):
    stub.script("GET", "/a", Reply(429, headers={"Retry-After": "86400"}), Reply(200, []))
    client = make_client(stub, tmp_path, clock, retry_after_cap=60.0)
    assert client.get("/a") == []
    assert clock.slept == 60
    assert max(clock.sleeps) <= 0.25  # waited in slices, so abort is seen quickly


def test_persistent_429_raises_rate_limited(stub, tmp_path, clock):
    stub.script("GET", "/a", Reply(429, headers={"Retry-After": "2"}))
    client = make_client(stub, tmp_path, clock, max_rate_limit_retries=2)
    with pytest.raises(errors.RateLimited) as info:
        client.get("/a")
    assert client.request_count == 3
    assert info.value.retry_after == 2
    assert clock.slept == 4


def test_rate_limit_wait_is_abortable(stub, tmp_path, clock):
    stub.script("GET", "/a", Reply(429, headers={"Retry-After": "50"}), Reply(200, []))
    start = clock.t
    client = make_client(stub, tmp_path, clock)
    client.should_abort = lambda: clock.t - start >= 1.0
    with pytest.raises(errors.Aborted):
        client.get("/a")
    assert client.request_count == 1
    assert clock.slept <= 1.0


def test_writes_are_spaced_one_second_apart(stub, tmp_path, clock):
    sent_at = []

    def record(seen):
        sent_at.append(clock.t)
        return Reply(201, {})

    stub.script("POST", "/scrobble/stop", record)
    client = make_client(stub, tmp_path, clock)
    for _ in range(3):
        client.post("/scrobble/stop", {"progress": 90})
    assert len(sent_at) == 3
    assert sent_at[1] - sent_at[0] >= 1.0 and sent_at[2] - sent_at[1] >= 1.0
    assert clock.slept == pytest.approx(2.0)


def test_gets_are_not_spaced(stub, tmp_path, clock):
    stub.script("GET", "/a", Reply(200, []))
    client = make_client(stub, tmp_path, clock)
    for _ in range(5):
        client.get("/a")
    assert clock.sleeps == []


def test_get_budget_waits_for_the_sliding_window(stub, tmp_path, clock):
    sent_at = []

    def record(seen):
        sent_at.append(clock.t)
        return Reply(200, [])

    stub.script("GET", "/a", record)
    client = make_client(stub, tmp_path, clock, get_budget=3, get_window=10.0)
    start = clock.t
    for _ in range(7):
        client.get("/a")
    offsets = [round(t - start, 6) for t in sent_at]
    assert offsets == [0, 0, 0, 10, 10, 10, 20]


# ------------------------------------------------------------------------- pagination


def page_reply(items, page_count, limit, item_count=None):
    headers = {
        "X-Pagination-Page-Count": str(page_count),
        "X-Pagination-Limit": str(limit),
    }
    if item_count is not None:
        headers["X-Pagination-Item-Count"] = str(item_count)
    return Reply(200, items, headers=headers)


def test_paginate_follows_the_limit_and_page_count_the_server_used(stub, tmp_path, clock):
    items = list(range(250))

    def serve(seen):
        page, limit = int(seen.query["page"]), min(int(seen.query["limit"]), 100)
        chunk = items[(page - 1) * limit : page * limit]
        return page_reply(chunk, 3, limit, len(items))

    stub.script("GET", "/sync/watched/shows", serve)
    client = make_client(stub, tmp_path, clock)
    got = list(client.paginate("/sync/watched/shows", {"extended": "progress"}, limit=250))
    assert got == items
    queries = [seen.query for seen in stub.requests]
    assert queries == [
        {"extended": "progress", "page": "1", "limit": "250"},
        {"extended": "progress", "page": "2", "limit": "100"},
        {"extended": "progress", "page": "3", "limit": "100"},
    ]


def test_paginate_single_page(stub, tmp_path, clock):
    stub.script("GET", "/p", page_reply([1, 2], 1, 250, 2))
    client = make_client(stub, tmp_path, clock)
    assert list(client.paginate("/p")) == [1, 2]
    assert client.request_count == 1


def test_paginate_without_headers_is_a_single_page(stub, tmp_path, clock):
    stub.script("GET", "/p", Reply(200, [1, 2, 3]))
    client = make_client(stub, tmp_path, clock)
    assert list(client.paginate("/p", limit=10)) == [1, 2, 3]
    assert stub.requests[0].query == {"page": "1", "limit": "10"}


def test_paginate_stops_on_a_short_page_whatever_the_item_count_says(stub, tmp_path, clock):
    stub.script("GET", "/p", Reply(200, [1, 2], headers={"X-Pagination-Item-Count": "5"}))
    client = make_client(stub, tmp_path, clock)
    assert list(client.paginate("/p")) == [1, 2]
    assert client.request_count == 1


def test_paginate_stops_on_a_short_page_despite_a_made_up_page_count(stub, tmp_path, clock):
    pages = {1: [1, 2, 3], 2: [4]}

    def serve(seen):
        return page_reply(pages.get(int(seen.query["page"]), []), 400, 3, 100000)

    stub.script("GET", "/sync/progress/up_next", serve)
    client = make_client(stub, tmp_path, clock)
    assert list(client.paginate("/sync/progress/up_next", limit=3)) == [1, 2, 3, 4]
    assert client.request_count == 2


def test_paginate_stops_on_an_empty_page(stub, tmp_path, clock):
    pages = {1: [1, 2], 2: [3, 4]}

    def serve(seen):
        return page_reply(pages.get(int(seen.query["page"]), []), 50, 2, 100)

    stub.script("GET", "/p", serve)
    client = make_client(stub, tmp_path, clock)
    assert list(client.paginate("/p", limit=2)) == [1, 2, 3, 4]
    assert client.request_count == 3


def test_paginate_without_a_page_count_follows_the_item_count_on_full_pages(stub, tmp_path, clock):
    pages = {1: [1, 2], 2: [3, 4], 3: [5]}

    def serve(seen):
        items = pages.get(int(seen.query["page"]), [])
        return Reply(200, items, headers={"X-Pagination-Item-Count": "5"})

    stub.script("GET", "/p", serve)
    client = make_client(stub, tmp_path, clock)
    assert list(client.paginate("/p", limit=2)) == [1, 2, 3, 4, 5]
    assert client.request_count == 3


def test_paginate_checks_abort_between_pages(stub, tmp_path, clock):
    stub.script("GET", "/p", page_reply([1], 3, 1))
    client = make_client(stub, tmp_path, clock)
    got = []
    with pytest.raises(errors.Aborted):
        for item in client.paginate("/p", limit=1):
            got.append(item)
            client.should_abort = lambda: True
    assert got == [1]
    assert client.request_count == 1


def test_paginate_rejects_a_non_list_page(stub, tmp_path, clock):
    stub.script("GET", "/p", Reply(200, {"not": "a list"}))
    client = make_client(stub, tmp_path, clock)
    with pytest.raises(errors.BadResponse):
        list(client.paginate("/p"))


# ---------------------------------------------------------------------------- refresh


def test_token_refreshed_ten_minutes_before_expiry(stub, tmp_path, clock):
    stub.script("POST", "/auth/oauth/token", token_reply("2", clock))
    stub.script("GET", "/a", Reply(200, []))
    client = make_client(stub, tmp_path, clock, tokens=valid_tokens(clock.now(), lifetime=599))
    client.get("/a")
    assert stub.paths() == ["POST /auth/oauth/token", "GET /a"]
    body = stub.requests[0].json()
    assert body == {
        "refresh_token": "refresh-1",
        "client_id": "unit-client-id",
        "client_secret": CLIENT_SECRET,
        "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
        "grant_type": "refresh_token",
    }
    assert stub.requests[1].headers["authorization"] == "Bearer access-2"
    saved = client.token_store.load()
    assert saved.access_token == "access-2" and saved.refresh_token == "refresh-2"
    assert saved.expires_at == int(clock.now()) + 86400


def test_token_not_refreshed_outside_the_margin(stub, tmp_path, clock):
    stub.script("GET", "/a", Reply(200, []))
    client = make_client(stub, tmp_path, clock, tokens=valid_tokens(clock.now(), lifetime=601))
    client.get("/a")
    assert stub.paths() == ["GET /a"]


def test_401_refreshes_once_and_retries_once(stub, tmp_path, clock):
    stub.script("GET", "/a", Reply(401), Reply(200, {"ok": 1}))
    stub.script("POST", "/auth/oauth/token", token_reply("2", clock))
    client = make_client(stub, tmp_path, clock)
    assert client.get("/a") == {"ok": 1}
    assert stub.paths() == ["GET /a", "POST /auth/oauth/token", "GET /a"]
    assert stub.requests[2].headers["authorization"] == "Bearer access-2"


def test_second_401_raises_unauthorized_without_looping(stub, tmp_path, clock):
    stub.script("GET", "/a", Reply(401))
    stub.script("POST", "/auth/oauth/token", token_reply("2", clock))
    client = make_client(stub, tmp_path, clock)
    with pytest.raises(errors.Unauthorized):
        client.get("/a")
    assert stub.paths() == ["GET /a", "POST /auth/oauth/token", "GET /a"]


@pytest.mark.parametrize(
    "reply",
    [
        Reply(400, {"error": "invalid_grant", "error_description": "x"}),
        Reply(401, {"error": "invalid_grant"}),
    ],
)
def test_rejected_refresh_marks_needs_reauth_and_fails_fast(stub, tmp_path, clock, reply):
    stub.script("GET", "/a", Reply(401))
    stub.script("POST", "/auth/oauth/token", reply)
    client = make_client(stub, tmp_path, clock)
    with pytest.raises(errors.ReauthorizationRequired):
        client.get("/a")
    assert client.request_count == 2
    assert client.token_store.needs_reauth()
    assert not client.is_authorized()
    for call in (lambda: client.get("/a"), lambda: list(client.paginate("/a"))):
        with pytest.raises(errors.ReauthorizationRequired):
            call()
    with pytest.raises(errors.ReauthorizationRequired):
        client.post("/sync/history", {})
    assert client.request_count == 2


def test_refresh_uses_tokens_another_process_already_saved(stub, tmp_path, clock):
    client = make_client(stub, tmp_path, clock)
    stale = client.token_store.load()
    newer = Tokens("access-9", "refresh-9", clock.now() + 86400, clock.now())
    client.token_store.save(newer)
    assert auth.Authenticator(client.oauth()).refresh(stale) == newer
    assert client.request_count == 0


def test_no_tokens_means_reauthorization_without_requests(stub, tmp_path, clock):
    client = make_client(stub, tmp_path, clock, tokens=None)
    assert not client.is_authorized()
    with pytest.raises(errors.ReauthorizationRequired):
        client.get("/a")
    assert client.request_count == 0
    stub.script("GET", "/public", Reply(200, ["ok"]))
    assert client.get("/public", auth=False) == ["ok"]  # public calls still work
    assert client.request_count == 1


def test_secrets_never_reach_the_log(stub, tmp_path, clock, caplog):
    stub.script("GET", "/a", Reply(401), Reply(500), Reply(200, []))
    stub.script("POST", "/auth/oauth/token", Reply(503), token_reply("2", clock))
    client = make_client(stub, tmp_path, clock)
    with caplog.at_level(logging.DEBUG, logger="resources.lib.trakt"):
        client.get("/a", {"page": 1})
    assert client.request_count == 5
    for secret in ("access-1", "refresh-1", "access-2", "refresh-2", CLIENT_SECRET):
        assert secret not in caplog.text
    assert "/a" in caplog.text and "401" in caplog.text
