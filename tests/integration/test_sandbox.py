"""The Trakt sandbox behaves like Trakt where the add-on depends on it (over real loopback HTTP)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Dict, Optional, Tuple

import pytest

from sandbox import accounts
from sandbox.server import Sandbox

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Api:
    """A tiny keep-alive client for one sandbox."""

    def __init__(self, sb: Sandbox, token: Optional[str] = None) -> None:
        self.sb = sb
        self.token = token
        self.conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=10)

    def headers(self, **extra: str) -> Dict[str, str]:
        out = {
            "Content-Type": "application/json",
            "trakt-api-key": self.sb.client_id,
            "trakt-api-version": "2",
        }
        if self.token:
            out["Authorization"] = "Bearer " + self.token
        out.update(extra)
        return out

    def raw(
        self, method: str, path: str, body: Any = None, headers: Optional[Dict[str, str]] = None
    ) -> Tuple[int, http.client.HTTPMessage, bytes]:
        data = None if body is None else json.dumps(body).encode()
        self.conn.request(method, path, body=data, headers=headers or self.headers())
        response = self.conn.getresponse()
        return response.status, response.headers, response.read()

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> Tuple[int, Any, Any]:
        status, headers, raw = self.raw(method, path, body, **kw)
        return status, headers, json.loads(raw) if raw else None

    def get(self, path: str) -> Any:
        status, _, data = self.call("GET", path)
        assert status == 200, (path, status, data)
        return data

    def all_pages(self, path: str, limit: int = 250) -> list:
        items, page = [], 1
        sep = "&" if "?" in path else "?"
        while True:
            status, headers, data = self.call("GET", f"{path}{sep}page={page}&limit={limit}")
            assert status == 200
            items.extend(data)
            if page >= int(headers["X-Pagination-Page-Count"]):
                return items
            page += 1

    def control(self, method: str, name: str, body: Any = None) -> Any:
        status, _, data = self.call(method, "/_sandbox/" + name, body, headers={})
        assert status == 200, (name, status, data)
        return data


@pytest.fixture
def sb():
    with Sandbox(account="small", seed=7, device_interval=0.2) as sandbox:
        yield sandbox


@pytest.fixture
def api(sb):
    client = Api(sb, sb.issue_tokens()["access_token"])
    yield client
    client.conn.close()


# -- server basics ---------------------------------------------------------------------------
def test_binds_to_loopback_only(sb):
    assert sb.address[0] == "127.0.0.1"
    assert sb.url == f"http://127.0.0.1:{sb.port}"
    with pytest.raises(OSError):  # 127.0.0.2 is loopback too: refused unless bound to 0.0.0.0
        socket.create_connection(("127.0.0.2", sb.port), timeout=2).close()


def test_keep_alive_serves_many_requests_on_one_connection(api):
    api.get("/sync/last_activities")
    first_socket = api.conn.sock
    for _ in range(3):
        api.get("/sync/playback")
    assert api.conn.sock is first_socket


def test_api_key_and_version_headers_are_checked(api):
    status, _, _ = api.raw("GET", "/sync/playback", headers=api.headers(**{"trakt-api-key": "x"}))
    assert status == 403
    status, _, _ = api.raw(
        "GET", "/sync/playback", headers=api.headers(**{"trakt-api-version": "1"})
    )
    assert status == 403
    assert api.raw("GET", "/nope")[0] == 404


def test_unknown_bearer_token_gets_401(sb):
    assert Api(sb, "not-a-token").raw("GET", "/sync/last_activities")[0] == 401
    assert Api(sb).raw("GET", "/users/settings")[0] == 401


def test_cli_prints_url_and_stops_on_sigterm():
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--account", "small", "--seed", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        conn = http.client.HTTPConnection(url[len("http://") :], timeout=5)
        conn.request("GET", "/_sandbox/info")
        assert json.loads(conn.getresponse().read())["seed"] == 2
        conn.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


# -- pagination ------------------------------------------------------------------------------
def test_pagination_headers_and_limit_cap(api):
    total = len(api.sb.state.history)
    status, headers, data = api.call("GET", "/sync/history?page=2&limit=1000")
    assert status == 200
    assert headers["X-Pagination-Limit"] == "250"
    assert headers["X-Pagination-Page"] == "2"
    assert int(headers["X-Pagination-Item-Count"]) == total
    assert int(headers["X-Pagination-Page-Count"]) == -(-total // 250)
    assert len(data) == min(250, total - 250)
    assert len(api.all_pages("/sync/history", limit=7)) == total


def test_missing_page_and_limit_silently_truncate_to_100(api):
    assert len(api.sb.state.history) > 100
    status, headers, data = api.call("GET", "/sync/history")
    assert (headers["X-Pagination-Page"], headers["X-Pagination-Limit"]) == ("1", "100")
    assert len(data) == 100


def test_watched_shows_progress_caps_limit_at_100_and_only_it_has_seasons(api):
    _, headers, with_progress = api.call("GET", "/sync/watched/shows?extended=progress&limit=250")
    assert headers["X-Pagination-Limit"] == "100"
    assert all("seasons" in row for row in with_progress)
    assert all("aired_episodes" in row["show"] for row in with_progress)
    _, headers, full = api.call("GET", "/sync/watched/shows?extended=full&limit=250")
    assert headers["X-Pagination-Limit"] == "250"
    assert full and not any("seasons" in row for row in full)
    assert {"plays", "last_watched_at", "last_updated_at", "reset_at"} <= set(full[0])


# -- OAuth -----------------------------------------------------------------------------------
def _oauth(api: Api, path: str, body: Dict[str, Any]) -> Tuple[int, Any]:
    body = dict(body, client_id=api.sb.client_id, client_secret=api.sb.client_secret)
    status, _, data = api.call("POST", path, body, headers={"Content-Type": "application/json"})
    return status, data


def test_refresh_tokens_are_single_use(api):
    first = api.sb.issue_tokens()
    assert set(first) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "scope",
        "created_at",
    }
    grant = {"grant_type": "refresh_token", "redirect_uri": "urn:ietf:wg:oauth:2.0:oob"}
    status, second = _oauth(api, "/oauth/token", dict(grant, refresh_token=first["refresh_token"]))
    assert status == 200 and second["refresh_token"] != first["refresh_token"]
    status, error = _oauth(api, "/oauth/token", dict(grant, refresh_token=first["refresh_token"]))
    assert status == 400 and error["error"] == "invalid_grant"
    assert Api(api.sb, first["access_token"]).raw("GET", "/sync/last_activities")[0] == 401
    assert Api(api.sb, second["access_token"]).raw("GET", "/sync/last_activities")[0] == 200
    assert _oauth(api, "/oauth/revoke", {"token": second["access_token"]})[0] == 200
    assert Api(api.sb, second["access_token"]).raw("GET", "/sync/last_activities")[0] == 401


def test_access_token_lifetime_is_configurable(api):
    api.control("POST", "tokens", {"lifetime": 0.3})
    token = api.control("POST", "issue_token")
    assert token["expires_in"] == 0.3
    assert Api(api.sb, token["access_token"]).raw("GET", "/sync/playback")[0] == 200
    time.sleep(0.4)
    assert Api(api.sb, token["access_token"]).raw("GET", "/sync/playback")[0] == 401
    api.control("POST", "tokens", {"expire_all": True})
    assert api.raw("GET", "/sync/playback")[0] == 401


def test_device_flow_statuses(api):
    status, code = _oauth(api, "/oauth/device/code", {})
    assert status == 200 and len(code["user_code"]) == 8
    assert code["verification_url"] == "https://trakt.tv/activate"
    poll = {"code": code["device_code"]}
    assert _oauth(api, "/oauth/device/token", poll)[0] == 400  # pending
    assert _oauth(api, "/oauth/device/token", poll)[0] == 429  # faster than interval
    api.control("POST", "approve", {"user_code": code["user_code"]})
    time.sleep(0.25)
    status, token = _oauth(api, "/oauth/device/token", poll)
    assert status == 200 and token["token_type"] == "bearer"
    assert Api(api.sb, token["access_token"]).raw("GET", "/users/settings")[0] == 200
    time.sleep(0.25)
    assert _oauth(api, "/oauth/device/token", poll)[0] == 409  # already used
    assert _oauth(api, "/oauth/device/token", {"code": "nope"})[0] == 404

    for control, expected in (("deny", 418), ("expire", 410)):
        _, other = _oauth(api, "/oauth/device/code", {})
        api.control("POST", control, {"user_code": other["user_code"]})
        assert _oauth(api, "/oauth/device/token", {"code": other["device_code"]})[0] == expected


def test_auto_approve_grants_on_first_poll(api):
    api.control("POST", "config", {"auto_approve": True})
    _, code = _oauth(api, "/oauth/device/code", {})
    assert _oauth(api, "/oauth/device/token", {"code": code["device_code"]})[0] == 200


# -- faults ----------------------------------------------------------------------------------
ERROR_FAULTS = {
    "429": 429,
    "429_bare": 429,
    "500": 500,
    "502": 502,
    "503": 503,
    "520": 520,
    "401": 401,
    "423": 423,
    "420": 420,
    "426": 426,
}


@pytest.mark.parametrize("kind", sorted(ERROR_FAULTS))
def test_error_faults_answer_next_matching_request_then_clear(api, kind):
    api.control("POST", "faults", {"kind": kind, "path": "^/sync/playback", "count": 1})
    assert api.raw("GET", "/sync/last_activities")[0] == 200  # path does not match
    status, headers, body = api.raw("GET", "/sync/playback/movies")
    assert status == ERROR_FAULTS[kind]
    if kind == "429":
        assert headers["Retry-After"] == "1"
        assert json.loads(headers["X-Ratelimit"])["name"] == "AUTHED_API_GET_LIMIT"
    if kind == "429_bare":
        assert headers["Retry-After"] and "X-Ratelimit" not in headers
    if kind == "520":
        assert headers["Content-Type"].startswith("text/html") and body.startswith(b"<!DOCTYPE")
    if kind == "423":
        assert headers["X-Account-Locked"] == "true"
    if kind == "420":
        assert headers["X-Upgrade-URL"] and headers["X-Account-Limit"]
    assert api.raw("GET", "/sync/playback/movies")[0] == 200


def test_fault_method_filter_and_count(api):
    api.control(
        "POST", "faults", {"kind": "500", "path": "/sync/history", "method": "POST", "count": 2}
    )
    assert api.raw("GET", "/sync/history")[0] == 200
    assert api.raw("POST", "/sync/history", {"movies": []})[0] == 500
    assert api.raw("POST", "/sync/history", {"movies": []})[0] == 500
    assert api.raw("POST", "/sync/history", {"movies": []})[0] == 201


def test_control_requests_never_match_faults(api):
    api.control("POST", "faults", {"kind": "500", "path": ".*", "count": 1})
    api.control("GET", "truth")
    assert len(api.control("GET", "faults")) == 1
    api.control("DELETE", "faults")
    assert api.control("GET", "faults") == []


def test_slow_fault_delays_then_answers(api):
    api.control("POST", "faults", {"kind": "slow", "path": "playback", "delay": 0.3})
    started = time.monotonic()
    assert api.raw("GET", "/sync/playback")[0] == 200
    assert time.monotonic() - started >= 0.3


def test_global_slow_delays_every_api_request(api):
    api.control("POST", "slow", {"delay": 0.2})
    started = time.monotonic()
    api.get("/sync/playback")
    assert time.monotonic() - started >= 0.2
    api.control("POST", "slow", {"delay": 0})


def test_drop_closes_connection_without_response(api):
    api.control("POST", "faults", {"kind": "drop", "path": "playback"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        api.raw("GET", "/sync/playback")
    api.conn.close()
    assert api.raw("GET", "/sync/playback")[0] == 200


def test_drop_after_applies_the_change_but_loses_the_answer(api):
    movie = _unwatched_movie(api.sb)
    api.control("POST", "faults", {"kind": "drop", "path": "^/sync/history$", "after": True})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        api.raw("POST", "/sync/history", {"movies": [{"ids": {"trakt": movie}}]})
    assert api.sb.truth()["movies"][str(movie)] == 1
    assert api.sb.requests()["log"][-1]["status"] == "dropped"


def test_truncate_sends_half_the_declared_body(api):
    api.control("POST", "faults", {"kind": "truncate", "path": "history"})
    api.conn.request("GET", "/sync/history", headers=api.headers())
    response = api.conn.getresponse()
    assert response.status == 200
    declared = int(response.headers["Content-Length"])
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert len(caught.value.partial) == declared // 2
    api.conn.close()


def test_badjson_answers_200_with_invalid_json(api):
    api.control("POST", "faults", {"kind": "badjson", "path": "last_activities"})
    status, headers, body = api.raw("GET", "/sync/last_activities")
    assert status == 200 and int(headers["Content-Length"]) == len(body)
    with pytest.raises(ValueError):
        json.loads(body)


# -- request log -----------------------------------------------------------------------------
def test_request_log_counts_per_normalised_endpoint(api):
    show = next(iter(api.sb.state.catalog.shows.values()))
    api.control("POST", "requests/reset")
    api.get(f"/shows/{show.trakt}/progress/watched")
    api.get(f"/shows/{show.slug}/progress/watched")
    api.call("DELETE", "/sync/playback/424242")
    api.control("GET", "truth")
    log = api.control("GET", "requests")
    assert log["total"] == 3
    assert log["by_endpoint"] == {
        "GET /shows/{id}/progress/watched": 2,
        "DELETE /sync/playback/{id}": 1,
    }
    assert [e["status"] for e in log["log"]] == [200, 200, 404]


# -- mutations and last_activities ----------------------------------------------------------
def _activities(api: Api) -> Dict[str, str]:
    data = api.get("/sync/last_activities")
    flat = {"all": data["all"]}
    for group, values in data.items():
        if isinstance(values, dict):
            flat.update({f"{group}.{key}": stamp for key, stamp in values.items()})
    return flat


def _unwatched_movie(sb: Sandbox) -> int:
    state = sb.state
    return next(
        m for m in state.catalog.movies if m not in state.plays and m not in state.watchlist
    )


def _some_episode(sb: Sandbox) -> Dict[str, int]:
    show = next(iter(sb.state.catalog.shows.values()))
    episode = show.aired_episodes(int(time.time() * 1000))[0]
    return {"show": show.trakt, "season": episode.season, "number": episode.number}


MUTATIONS = [
    ("watch_movie", lambda sb: {"movie": _unwatched_movie(sb)}, {"movies.watched_at"}),
    ("watch_episode", _some_episode, {"episodes.watched_at"}),
    (
        "watchlist_add",
        lambda sb: {"type": "movie", "id": _unwatched_movie(sb)},
        {"movies.watchlisted_at", "watchlist.updated_at"},
    ),
    (
        "playback_set",
        lambda sb: {"type": "movie", "movie": _unwatched_movie(sb), "progress": 40},
        {"movies.paused_at"},
    ),
    ("playback_set", lambda sb: dict(_some_episode(sb), progress=20), {"episodes.paused_at"}),
    (
        "hide",
        lambda sb: {"section": "progress_watched", "type": "show", "id": _some_episode(sb)["show"]},
        {"shows.hidden_at"},
    ),
    (
        "hide",
        lambda sb: {"section": "dropped", "type": "show", "id": _some_episode(sb)["show"]},
        {"shows.dropped_at"},
    ),
    ("reset_show", lambda sb: {"show": _some_episode(sb)["show"]}, {"episodes.watched_at"}),
    ("rename_user", lambda sb: {"username": "Zoë Example"}, {"account.settings_at"}),
    ("collect", lambda sb: {"type": "movie", "id": _unwatched_movie(sb)}, {"movies.collected_at"}),
    (
        "rate",
        lambda sb: {"type": "movie", "id": _unwatched_movie(sb), "rating": 8},
        {"movies.rated_at"},
    ),
]


@pytest.mark.parametrize("op,args,moved", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_mutation_moves_exactly_its_last_activities(api, op, args, moved):
    before = _activities(api)
    api.control("POST", "mutate", dict(args(api.sb), op=op))
    after = _activities(api)
    changed = {key for key in before if before[key] != after[key]}
    assert changed == moved | {"all"}
    for key in changed:
        assert after[key] > before[key]
        assert after[key].endswith("Z") and len(after[key]) == len("2014-09-01T09:10:11.000Z")


def test_back_to_back_mutations_get_strictly_increasing_stamps(api):
    stamps = []
    for movie in list(api.sb.state.catalog.movies)[:20]:
        api.sb.mutate("watch_movie", movie=movie)
        stamps.append(_activities(api)["movies.watched_at"])
    assert stamps == sorted(set(stamps))


def test_unwatch_and_playback_remove_move_activities(api):
    pid = api.control("POST", "mutate", dict(_some_episode(api.sb), op="playback_set"))["id"]
    before = _activities(api)
    assert api.raw("DELETE", f"/sync/playback/{pid}")[0] == 204
    assert api.raw("DELETE", f"/sync/playback/{pid}")[0] == 404
    after = _activities(api)
    assert after["episodes.paused_at"] > before["episodes.paused_at"]
    movie = next(iter(api.sb.truth()["movies"]))
    api.control("POST", "mutate", {"op": "unwatch_movie", "movie": int(movie)})
    assert _activities(api)["movies.watched_at"] > after["movies.watched_at"]
    assert movie not in api.sb.truth()["movies"]


def test_watching_a_movie_removes_it_from_the_watchlist(api):
    movie = _unwatched_movie(api.sb)
    api.sb.mutate("watchlist_add", type="movie", id=movie)
    assert ["movie", movie] in api.sb.truth()["watchlist"]
    status, _, body = api.call("POST", "/sync/history", {"movies": [{"ids": {"trakt": movie}}]})
    assert status == 201 and body["added"]["movies"] == 1
    assert ["movie", movie] not in api.sb.truth()["watchlist"]


def test_switch_user_replaces_the_account_and_moves_everything(api):
    before = _activities(api)
    api.control("POST", "mutate", {"op": "switch_user", "username": "someone-else"})
    assert api.get("/users/settings")["user"]["ids"]["slug"] == "someone-else"
    after = _activities(api)
    assert all(after[k] > before[k] for k in before)


# -- history, playback, ids ------------------------------------------------------------------
def test_history_adds_plays_without_deduplication_and_removes_by_id(api):
    movie = _unwatched_movie(api.sb)
    item = {"ids": {"trakt": movie}, "watched_at": "2024-05-01T10:00:00.000Z"}
    for _ in range(2):
        api.call("POST", "/sync/history", {"movies": [item]})
    assert api.sb.truth()["movies"][str(movie)] == 2
    rows = api.get(f"/sync/history/movies/{movie}")
    assert [r["watched_at"] for r in rows] == ["2024-05-01T10:00:00.000Z"] * 2
    assert rows[0]["id"] > 2**32
    assert len(api.get("/sync/history/movies?start_at=2024-05-01&end_at=2024-05-01")) >= 2
    assert api.get(f"/sync/history/movies/{movie}?start_at=2024-05-01T10:00:01.000Z") == []
    status, _, body = api.call("POST", "/sync/history/remove", {"ids": [rows[0]["id"], 1]})
    assert status == 200 and body["deleted"]["movies"] == 1 and body["not_found"]["ids"] == [1]
    assert api.sb.truth()["movies"][str(movie)] == 1


def test_history_add_whole_show_adds_every_aired_regular_episode(api):
    show = next(iter(api.sb.state.catalog.shows.values()))
    aired = show.aired_episodes(int(time.time() * 1000))
    _, _, body = api.call("POST", "/sync/history", {"shows": [{"ids": {"slug": show.slug}}]})
    assert body["added"]["episodes"] == len(aired)


def test_path_ids_accept_trakt_id_slug_and_imdb(api):
    show = next(s for s in api.sb.state.catalog.shows.values() if s.imdb)
    for ref in (show.trakt, show.slug, show.imdb):
        assert api.get(f"/shows/{ref}")["ids"]["trakt"] == show.trakt
    seasons = api.get(f"/shows/{show.slug}/seasons?extended=episodes")
    episode = seasons[-1]["episodes"][0]
    assert {"title", "first_aired", "ids", "runtime", "season", "number"} <= set(episode)


def test_scrobble_rules(api):
    movie = _unwatched_movie(api.sb)
    body = {"movie": {"ids": {"trakt": movie}}}
    assert api.call("POST", "/scrobble/start", dict(body, progress=0.5))[0] == 422
    status, _, started = api.call("POST", "/scrobble/start", dict(body, progress=5))
    assert status == 201 and started["action"] == "start"
    assert api.sb.truth()["playback"] == api.sb.truth()["playback"]  # start changes nothing
    assert not any(p["trakt_id"] == movie for p in api.sb.truth()["playback"].values())
    api.call("POST", "/scrobble/pause", dict(body, progress=30))
    status, _, paused = api.call("POST", "/scrobble/stop", dict(body, progress=50))
    assert status == 201 and paused["action"] == "pause"
    progress = [p for p in api.sb.truth()["playback"].values() if p["trakt_id"] == movie]
    assert progress == [{"type": "movie", "trakt_id": movie, "progress": 50.0}]
    status, _, stopped = api.call("POST", "/scrobble/stop", dict(body, progress=85))
    assert status == 201 and stopped["action"] == "scrobble"
    truth = api.sb.truth()
    assert truth["movies"][str(movie)] == 1
    assert not any(p["trakt_id"] == movie for p in truth["playback"].values())
    assert api.get(f"/sync/history/movies/{movie}")[0]["action"] == "scrobble"
    status, _, conflict = api.call("POST", "/scrobble/stop", dict(body, progress=85))
    assert status == 409 and set(conflict) == {"watched_at", "expires_at"}
    assert api.sb.truth()["movies"][str(movie)] == 1


# -- truth and progress ----------------------------------------------------------------------
def test_truth_matches_the_endpoints(api):
    truth = api.control("GET", "truth")
    assert truth["user"] == api.get("/users/settings")["user"]["ids"]["slug"]
    movies = {
        str(r["movie"]["ids"]["trakt"]): r["plays"] for r in api.all_pages("/sync/watched/movies")
    }
    assert movies == truth["movies"]
    episodes, resets = {}, {}
    for row in api.all_pages("/sync/watched/shows?extended=progress", limit=100):
        show_id = str(row["show"]["ids"]["trakt"])
        episodes[show_id] = {
            f"{s['number']}:{e['number']}": e["plays"]
            for s in row["seasons"]
            for e in s["episodes"]
        }
        if row["reset_at"]:
            resets[show_id] = row["reset_at"]
    assert episodes == truth["episodes"] and resets == truth["reset_at"]
    watchlist = sorted(
        [r["type"], r[r["type"]]["ids"]["trakt"]] for r in api.all_pages("/sync/watchlist")
    )
    assert watchlist == truth["watchlist"]
    playback = {
        str(r["id"]): {
            "type": r["type"],
            "trakt_id": r[r["type"]]["ids"]["trakt"],
            "progress": r["progress"],
        }
        for r in api.all_pages("/sync/playback")
    }
    assert playback == truth["playback"]
    hidden = sorted(
        [section, r["type"], r[r["type"]]["ids"]["trakt"]]
        for section in (
            "calendar",
            "progress_watched",
            "progress_watched_reset",
            "progress_collected",
            "recommendations",
            "comments",
            "dropped",
        )
        for r in api.all_pages(f"/users/hidden/{section}")
    )
    assert hidden == truth["hidden"]
    for show_id in truth["episodes"]:
        progress = api.get(f"/shows/{show_id}/progress/watched")
        expected = truth["next_up"].get(show_id)
        nxt = progress["next_episode"]
        assert (nxt and {"season": nxt["season"], "number": nxt["number"]}) == expected


def _progress_account(tmp_path) -> str:
    def episode(trakt: int, number: int, aired: str) -> Dict[str, Any]:
        return {
            "trakt": trakt,
            "number": number,
            "title": f"Épisode {number}",
            "first_aired": aired,
        }

    account = {
        "user": {"username": "tester"},
        "shows": [
            {
                "trakt": 100,
                "title": "Ωmega Show",
                "year": 2020,
                "slug": "omega-show",
                "imdb": None,
                "seasons": [
                    {"trakt": 110, "number": 0, "episodes": [episode(111, 1, "now-300d")]},
                    {
                        "trakt": 120,
                        "number": 1,
                        "episodes": [
                            episode(121, 1, "now-100d"),
                            episode(122, 2, "now-93d"),
                            episode(123, 3, "now-86d"),
                        ],
                    },
                    {
                        "trakt": 130,
                        "number": 2,
                        "episodes": [episode(131, 1, "now-2d"), episode(132, 2, "now+5d")],
                    },
                ],
            }
        ],
        "history": [
            {"episode": 121, "watched_at": "now-50d"},
            {"episode": 122, "watched_at": "now-49d"},
            {"episode": 123, "watched_at": "now-48d"},
            {"show": 100, "season": 1, "number": 1, "watched_at": "now-5d"},
        ],
        "reset_at": {"100": "now-10d"},
    }
    path = tmp_path / "account.json"
    path.write_text(json.dumps(account), encoding="utf-8")
    return str(path)


def test_progress_honours_reset_at_specials_and_unaired_episodes(tmp_path):
    with Sandbox(account=_progress_account(tmp_path)) as sb:
        api = Api(sb, sb.issue_tokens()["access_token"])
        progress = api.get("/shows/omega-show/progress/watched")
        assert (progress["aired"], progress["completed"]) == (4, 1)  # no special, no S2E2
        assert progress["reset_at"] is not None
        assert progress["last_episode"]["ids"]["trakt"] == 121
        assert progress["next_episode"]["ids"]["trakt"] == 122  # plays before reset ignored
        assert sb.truth()["next_up"] == {"100": {"season": 1, "number": 2}}
        assert sb.truth()["episodes"]["100"] == {"1:1": 2, "1:2": 1, "1:3": 1}
        for number in (2, 3):
            sb.mutate("watch_episode", show="omega-show", season=1, number=number)
        assert api.get("/shows/100/progress/watched")["next_episode"]["ids"]["trakt"] == 131
        sb.mutate("watch_episode", show=100, season=2, number=1)
        progress = api.get("/shows/100/progress/watched")
        assert progress["next_episode"] is None  # S2E2 has not aired; S0E1 is a special
        assert progress["completed"] == progress["aired"] == 4
        assert sb.truth()["next_up"] == {}


# -- generated accounts ----------------------------------------------------------------------
def test_generation_is_deterministic_per_seed():
    now = int(time.time() * 1000)
    one, two = accounts.generate("small", 3, now), accounts.generate("small", 3, now)
    assert sorted(one.plays) == sorted(two.plays)
    assert [m.title for m in one.catalog.movies.values()] == [
        m.title for m in two.catalog.movies.values()
    ]
    assert sorted(accounts.generate("small", 4, now).plays) != sorted(one.plays)


def test_large_account_is_fast_realistic_and_serves_last_activities():
    started = time.monotonic()
    with Sandbox(account="large", seed=1) as sb:
        assert time.monotonic() - started < 5
        api = Api(sb, sb.issue_tokens()["access_token"])
        assert set(api.get("/sync/last_activities")) >= {"all", "movies", "episodes", "shows"}
        state, catalog, now = sb.state, sb.state.catalog, int(time.time() * 1000)
        episode_plays = sum(len(p) for t, p in state.plays.items() if t in catalog.episodes)
        movies_watched = sum(1 for t in state.plays if t in catalog.movies)
        shows_watched = {
            catalog.episodes[t].show.trakt for t in state.plays if t in catalog.episodes
        }
        assert episode_plays == 50000 and movies_watched == 5000
        assert len(shows_watched) >= 990
        assert (len(state.watchlist), len(state.playback), len(state.hidden)) == (250, 100, 200)
        ids = [*catalog.movies, *catalog.shows, *catalog.seasons, *catalog.episodes]
        assert len(ids) == len(set(ids))
        episodes = list(catalog.episodes.values())
        assert any(e.first_aired is None or e.first_aired > now for e in episodes)
        assert any(e.season == 0 for e in episodes)
        assert {s.status for s in catalog.shows.values()} == {"ended", "returning series"}
        assert any(m.imdb is None for m in catalog.movies.values())
        assert any(not m.title.isascii() for m in catalog.movies.values())
        _, headers, _ = api.call("GET", "/sync/watched/shows?extended=progress&page=10&limit=100")
        assert int(headers["X-Pagination-Item-Count"]) == len(shows_watched)
