"""TraktClient against the real local sandbox: device flow, refresh, cross-process refresh, faults.

One sandbox per module; every test resets the request log and the fault rules first, and
asserts exact request counts from the sandbox's own log.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

from resources.lib.trakt import errors
from resources.lib.trakt.auth import DeviceCode
from resources.lib.trakt.client import TraktClient
from resources.lib.trakt.tokens import Tokens, TokenStore

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = "GET /users/settings"
ACTIVITIES = "GET /sync/last_activities"
REFRESH = "POST /oauth/token"


@pytest.fixture(scope="module")
def sandbox():
    from sandbox.server import Sandbox

    sb = Sandbox(account="small", seed=1, port=0, token_lifetime=86400, auto_approve=False)
    sb.start()
    yield sb
    sb.stop()


def control(sb: Any, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        sb.url + "/_sandbox/" + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - loopback only
        raw = resp.read()
    return json.loads(raw) if raw.strip() else None


def counts(sb: Any) -> Dict[str, int]:
    return control(sb, "GET", "requests")["by_endpoint"]


def total(sb: Any) -> int:
    return control(sb, "GET", "requests")["total"]


@pytest.fixture
def sb(sandbox):
    control(sandbox, "DELETE", "faults")
    control(sandbox, "POST", "slow", {"delay": 0})
    control(sandbox, "POST", "tokens", {"lifetime": 86400})
    control(sandbox, "POST", "config", {"device_interval": 5, "device_expires_in": 600})
    control(sandbox, "POST", "requests/reset")
    return sandbox


def signed_in_store(sb: Any, tmp_path: Path, expires_in: Optional[float] = None) -> TokenStore:
    """A store holding a real sandbox token pair (``expires_in`` overrides the local expiry)."""
    tokens = Tokens.from_response(sb.issue_tokens())
    if expires_in is not None:
        tokens.expires_at = time.time() + expires_in
    store = TokenStore(str(tmp_path / "trakt_tokens.json"))
    store.save(tokens)
    control(sb, "POST", "requests/reset")
    return store


def new_client(sb: Any, store: Optional[TokenStore], **kwargs: Any) -> TraktClient:
    kwargs.setdefault("retry_base", 0.01)
    kwargs.setdefault("timeout", 5.0)
    return TraktClient(
        sb.client_id,
        sb.client_secret,
        token_store=store,
        api_url=sb.url,
        oauth_url=sb.url,
        **kwargs,
    )


def fast(code: DeviceCode, interval: float) -> DeviceCode:
    """The same grant polled at ``interval`` (the sandbox 429s polls faster than its own)."""
    return DeviceCode(
        code.device_code,
        code.user_code,
        code.verification_url,
        code.expires_in,
        interval,
        code.requested_at,
    )


# ----------------------------------------------------------------------------- device flow


def test_device_flow_pending_then_approved(sb, tmp_path):
    control(sb, "POST", "config", {"device_interval": 1})
    store = TokenStore(str(tmp_path / "t.json"))
    client = new_client(sb, store)
    code = client.request_device_code()
    assert len(code.user_code) >= 6 and code.verification_url.startswith("https://")
    assert (code.interval, code.expires_in) == (1, 600)
    timer = threading.Timer(
        code.interval + 0.5, lambda: control(sb, "POST", "approve", {"user_code": code.user_code})
    )
    timer.start()
    try:
        tokens = client.poll_device_token(code)
    finally:
        timer.cancel()
    assert store.load() == tokens
    assert client.get("/users/settings")["user"]["username"]
    by = counts(sb)
    assert by["POST /oauth/device/code"] == 1
    assert by["POST /oauth/device/token"] == 2  # one pending, one approved
    assert by[SETTINGS] == 1


def test_device_flow_denied(sb, tmp_path):
    client = new_client(sb, TokenStore(str(tmp_path / "t.json")))
    code = client.request_device_code()
    control(sb, "POST", "deny", {"user_code": code.user_code})
    with pytest.raises(errors.DeviceCodeDenied):
        client.poll_device_token(fast(code, 0.1))
    assert counts(sb)["POST /oauth/device/token"] == 1
    assert not client.is_authorized()


def test_device_flow_expired(sb, tmp_path):
    client = new_client(sb, TokenStore(str(tmp_path / "t.json")))
    code = client.request_device_code()
    control(sb, "POST", "expire", {"user_code": code.user_code})
    with pytest.raises(errors.DeviceCodeExpired):
        client.poll_device_token(fast(code, 0.1))
    assert counts(sb)["POST /oauth/device/token"] == 1


def test_device_flow_invalid_code(sb, tmp_path):
    client = new_client(sb, TokenStore(str(tmp_path / "t.json")))
    with pytest.raises(errors.DeviceCodeInvalid):
        client.poll_device_token(DeviceCode("not-a-code", "XXXX", "https://x", 600, 0.1))
    assert counts(sb)["POST /oauth/device/token"] == 1


def test_device_flow_expires_by_expires_in(sb, tmp_path):
    control(sb, "POST", "config", {"device_expires_in": 0.8})
    client = new_client(sb, TokenStore(str(tmp_path / "t.json")))
    code = client.request_device_code()
    started = time.monotonic()
    with pytest.raises(errors.DeviceCodeExpired):
        client.poll_device_token(code)  # interval 5 s, but the code dies after 0.8 s
    assert time.monotonic() - started < 1.5
    assert counts(sb).get("POST /oauth/device/token", 0) == 0


def test_device_flow_code_already_used(sb, tmp_path):
    control(sb, "POST", "config", {"device_interval": 1})
    client = new_client(sb, TokenStore(str(tmp_path / "t.json")))
    code = client.request_device_code()
    control(sb, "POST", "approve", {"user_code": code.user_code})
    client.poll_device_token(fast(code, 0.1))
    other = new_client(sb, TokenStore(str(tmp_path / "other.json")))
    with pytest.raises(errors.DeviceCodeUsed):
        other.poll_device_token(fast(code, code.interval + 0.1))
    assert counts(sb)["POST /oauth/device/token"] == 2


def test_device_flow_slow_down_then_approved(sb, tmp_path):
    client = new_client(sb, TokenStore(str(tmp_path / "t.json")))
    code = client.request_device_code()
    # Polling every 0.2 s is too fast for the sandbox: poll 1 pending, poll 2 slow down,
    # then the client must wait 5 s more before poll 3, which finds the grant approved.
    started = time.monotonic()
    timer = threading.Timer(
        1.0, lambda: control(sb, "POST", "approve", {"user_code": code.user_code})
    )
    timer.start()
    try:
        tokens = client.poll_device_token(fast(code, 0.2))
    finally:
        timer.cancel()
    assert tokens.access_token
    assert time.monotonic() - started >= 5.2
    assert counts(sb)["POST /oauth/device/token"] == 3


def test_device_flow_cancel(sb, tmp_path):
    client = new_client(sb, TokenStore(str(tmp_path / "t.json")))
    code = client.request_device_code()
    cancel_at = time.monotonic() + 0.3
    started = time.monotonic()
    with pytest.raises(errors.DeviceAuthCancelled):
        client.poll_device_token(code, should_cancel=lambda: time.monotonic() >= cancel_at)
    assert time.monotonic() - started < 0.3 + 0.5
    assert counts(sb).get("POST /oauth/device/token", 0) == 0


# --------------------------------------------------------------------------------- refresh


def test_refresh_when_the_token_is_about_to_expire(sb, tmp_path):
    control(sb, "POST", "tokens", {"lifetime": 300})  # shorter than the 10-minute margin
    store = signed_in_store(sb, tmp_path)
    old = store.load()
    client = new_client(sb, store)
    client.get("/users/settings")
    new = store.load()
    assert new.refresh_token != old.refresh_token
    assert new.expires_at == pytest.approx(time.time() + 300, abs=5)
    assert counts(sb) == {REFRESH: 1, SETTINGS: 1}


def test_server_side_expiry_gives_one_refresh_and_one_retry(sb, tmp_path):
    control(sb, "POST", "tokens", {"lifetime": 1})
    store = signed_in_store(sb, tmp_path, expires_in=86400)  # the client believes it is valid
    control(sb, "POST", "tokens", {"lifetime": 86400})
    time.sleep(1.2)
    client = new_client(sb, store)
    assert client.get("/users/settings")["user"]
    assert counts(sb) == {SETTINGS: 2, REFRESH: 1}
    assert client.request_count == 3


def test_invalid_grant_needs_reauth_and_sends_nothing_more(sb, tmp_path):
    store = TokenStore(str(tmp_path / "t.json"))
    store.save(Tokens("dead-access", "dead-refresh", time.time() - 10, time.time() - 100))
    client = new_client(sb, store)
    with pytest.raises(errors.ReauthorizationRequired):
        client.get("/users/settings")
    assert counts(sb) == {REFRESH: 1}
    assert store.needs_reauth() and not client.is_authorized()
    for _ in range(3):
        with pytest.raises(errors.ReauthorizationRequired):
            client.get("/sync/last_activities")
    with pytest.raises(errors.ReauthorizationRequired):
        list(client.paginate("/sync/watched/movies"))
    assert total(sb) == 1
    assert client.request_count == 1


def test_revoke_signs_out(sb, tmp_path):
    store = signed_in_store(sb, tmp_path)
    token = store.load().access_token
    client = new_client(sb, store)
    assert client.revoke() is True
    assert store.load() is None
    probe = new_client(sb, TokenStore(str(tmp_path / "probe.json")))
    probe.token_store.save(Tokens(token, "x", time.time() + 86400, time.time()))
    with pytest.raises((errors.Unauthorized, errors.ReauthorizationRequired)):
        probe.get("/users/settings")


_WORKER = textwrap.dedent(
    """
    import hashlib, json, os, sys, time
    from resources.lib.trakt.client import TraktClient
    from resources.lib.trakt.tokens import TokenStore
    url, client_id, secret, path, go = sys.argv[1:6]
    print("ready", flush=True)  # imports done: the parent waits for both before it says go
    while not os.path.exists(go):
        time.sleep(0.002)
    store = TokenStore(path)
    client = TraktClient(client_id, secret, token_store=store, api_url=url, oauth_url=url,
                         retry_base=0.01)
    user = client.get("/users/settings")["user"]["username"]
    used = store.load().access_token
    print(json.dumps({"user": user, "token": hashlib.sha256(used.encode()).hexdigest(),
                      "requests": client.request_count}))
    """
)


def race_two_processes(sb: Any, store: TokenStore, tmp_path: Path):
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _WORKER,
                sb.url,
                sb.client_id,
                sb.client_secret,
                store.path,
                str(go),
            ],
            cwd=str(ROOT),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for proc in procs:  # a barrier: both interpreters started, imported and waiting
        ready = proc.stdout.readline()
        assert ready == "ready\n", ready + proc.stderr.read()
    go.write_text("go")
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=40)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_two_processes_refreshing_at_once_refresh_exactly_once(sb, tmp_path):
    store = signed_in_store(sb, tmp_path, expires_in=-1)  # locally expired: both must refresh
    old_refresh = store.load().refresh_token
    control(sb, "POST", "slow", {"delay": 0.5})  # the refresh is slow: both overlap
    try:
        results = race_two_processes(sb, store, tmp_path)
    finally:
        control(sb, "POST", "slow", {"delay": 0})
    final = store.load()
    assert final.refresh_token != old_refresh
    digest = hashlib.sha256(final.access_token.encode()).hexdigest()
    assert [r["token"] for r in results] == [digest, digest]
    by = counts(sb)
    assert by[REFRESH] == 1
    assert by[SETTINGS] == 2
    assert sorted(r["requests"] for r in results) == [1, 2]
    assert not store.needs_reauth()


def test_two_processes_hit_by_401_refresh_exactly_once(sb, tmp_path):
    store = signed_in_store(sb, tmp_path)
    control(sb, "POST", "faults", {"kind": "401", "path": "^/users/settings$", "count": 2})
    control(sb, "POST", "slow", {"delay": 0.3})
    try:
        results = race_two_processes(sb, store, tmp_path)
    finally:
        control(sb, "POST", "slow", {"delay": 0})
    by = counts(sb)
    assert by[REFRESH] == 1
    assert by[SETTINGS] == 4  # each: 401, then the retry with the new token
    digest = hashlib.sha256(store.load().access_token.encode()).hexdigest()
    assert [r["token"] for r in results] == [digest, digest]


# ---------------------------------------------------------------------------------- faults


def fault(sb: Any, kind: str, count: int = 1, **extra: Any) -> None:
    spec = {"kind": kind, "path": "^/sync/last_activities$", "count": count}
    spec.update(extra)
    control(sb, "POST", "faults", spec)


@pytest.mark.parametrize("kind", ["500", "502", "503", "520", "drop", "truncate", "badjson"])
def test_transient_fault_is_retried(sb, tmp_path, kind):
    client = new_client(sb, signed_in_store(sb, tmp_path), retry_after_cap=0.1)
    fault(sb, kind, count=2)
    assert "all" in client.get("/sync/last_activities")
    assert counts(sb) == {ACTIVITIES: 3}
    assert client.request_count == 3


@pytest.mark.parametrize(
    "kind, cls",
    [
        ("500", errors.ServerError),
        ("502", errors.ServerError),
        ("503", errors.ServerError),
        ("520", errors.ServerError),
        ("drop", errors.NetworkError),
        ("truncate", errors.BadResponse),
        ("badjson", errors.BadResponse),
    ],
)
def test_persistent_fault_raises_after_bounded_retries(sb, tmp_path, kind, cls):
    client = new_client(sb, signed_in_store(sb, tmp_path), max_retries=2, retry_after_cap=0.1)
    fault(sb, kind, count=10)
    with pytest.raises(cls) as info:
        client.get("/sync/last_activities")
    assert type(info.value) is cls
    assert counts(sb) == {ACTIVITIES: 3}
    if kind in ("500", "502", "503", "520"):
        assert info.value.status == int(kind)


def test_slow_fault_times_out_then_succeeds(sb, tmp_path):
    client = new_client(sb, signed_in_store(sb, tmp_path), timeout=0.3)
    fault(sb, "slow", count=1, delay=1.0)
    assert "all" in client.get("/sync/last_activities")
    assert counts(sb) == {ACTIVITIES: 2}


@pytest.mark.parametrize("kind", ["429", "429_bare"])
def test_rate_limit_honours_retry_after(sb, tmp_path, kind):
    client = new_client(sb, signed_in_store(sb, tmp_path))
    fault(sb, kind, count=1, retry_after=1)
    started = time.monotonic()
    assert "all" in client.get("/sync/last_activities")
    assert time.monotonic() - started >= 0.95
    assert counts(sb) == {ACTIVITIES: 2}


def test_persistent_rate_limit_raises(sb, tmp_path):
    client = new_client(sb, signed_in_store(sb, tmp_path), max_rate_limit_retries=1)
    fault(sb, "429", count=5, retry_after=1)
    with pytest.raises(errors.RateLimited) as info:
        client.get("/sync/last_activities")
    assert info.value.retry_after == pytest.approx(1, abs=0.5)
    assert counts(sb) == {ACTIVITIES: 2}


def test_huge_retry_after_is_capped_and_abortable(sb, tmp_path):
    # Abort once the 429 has been served (a clock started before the request made this depend
    # on how fast a loaded machine sets the client up).
    client = new_client(
        sb, signed_in_store(sb, tmp_path), should_abort=lambda: sb.requests()["total"] >= 1
    )
    fault(sb, "429", count=1, retry_after=3600)
    started = time.monotonic()
    with pytest.raises(errors.Aborted):
        client.get("/sync/last_activities")
    assert time.monotonic() - started < 1.0
    assert counts(sb) == {ACTIVITIES: 1}


@pytest.mark.parametrize(
    "kind, cls",
    [("423", errors.AccountLocked), ("420", errors.AccountLimit), ("426", errors.VipOnly)],
)
def test_account_faults_are_typed_and_not_retried(sb, tmp_path, kind, cls):
    client = new_client(sb, signed_in_store(sb, tmp_path))
    fault(sb, kind, count=1)
    with pytest.raises(cls) as info:
        client.get("/sync/last_activities")
    assert info.value.status == int(kind) and info.value.user_message
    assert counts(sb) == {ACTIVITIES: 1}


def test_401_fault_refreshes_once_and_retries_once(sb, tmp_path):
    client = new_client(sb, signed_in_store(sb, tmp_path))
    fault(sb, "401", count=1)
    assert "all" in client.get("/sync/last_activities")
    assert counts(sb) == {ACTIVITIES: 2, REFRESH: 1}


def test_repeated_401_raises_unauthorized_without_looping(sb, tmp_path):
    store = signed_in_store(sb, tmp_path)
    client = new_client(sb, store)
    fault(sb, "401", count=5)
    with pytest.raises(errors.Unauthorized):
        client.get("/sync/last_activities")
    assert counts(sb) == {ACTIVITIES: 2, REFRESH: 1}
    assert not store.needs_reauth()


# ------------------------------------------------------------------------------ pagination


def test_paginate_reads_every_page_of_a_real_endpoint(sb, tmp_path):
    client = new_client(sb, signed_in_store(sb, tmp_path))
    everything = list(client.paginate("/sync/history", limit=250))
    control(sb, "POST", "requests/reset")
    small_pages = list(client.paginate("/sync/history", limit=7))
    assert small_pages == everything
    pages = counts(sb)["GET /sync/history"]
    assert pages == max(1, -(-len(everything) // 7))


def test_keep_alive_and_request_count_match_the_sandbox_log(sb, tmp_path):
    client = new_client(sb, signed_in_store(sb, tmp_path))
    for _ in range(5):
        client.get("/sync/last_activities")
    assert counts(sb) == {ACTIVITIES: 5}
    assert client.request_count == 5
    assert len(client._transport._connections) == 1
