"""The CLI's browse commands against the AIOStreams sandbox: connect (URL or UUID + password),
catalogs, catalog with genre and pages, search, show with the mirror's watched marks, streams
ranked without error and statistic streams; ``--json`` for each; failures as one line."""

from __future__ import annotations

import io
import json
import os
import stat

import pytest

from aiostreams_sandbox.server import AIOStreamsSandbox
from aiostreams_sandbox.userapi import PLAIN_PASSWORD
from resources.lib import cli
from tests.support.browse_mirror import seed_mirror


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    sb = AIOStreamsSandbox(cache_dir=str(tmp_path_factory.mktemp("aiostreams-media")))
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture
def data_dir(tmp_path, sandbox):
    sandbox.reset()
    return str(tmp_path / "data")


def run(capsys, data_dir, *args):
    code = cli.main(["--data-dir", data_dir, *args])
    out, err = capsys.readouterr()
    return code, out, err


def connected(capsys, data_dir, sandbox):
    code, out, err = run(capsys, data_dir, "connect", sandbox.manifest_url)
    assert code == 0, err
    return data_dir


def test_connect_saves_the_url_privately(capsys, data_dir, sandbox):
    code, out, err = run(capsys, data_dir, "connect", sandbox.manifest_url)
    assert code == 0, err
    assert sandbox.password not in out  # the URL is shown redacted
    path = os.path.join(data_dir, "cli_config.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as handle:
        assert json.load(handle)["aiostreams_manifest_url"] == sandbox.manifest_url


def test_connect_with_uuid_and_password_on_stdin(capsys, data_dir, sandbox, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(PLAIN_PASSWORD + "\n"))
    code, out, err = run(capsys, data_dir, "connect", sandbox.url, "--uuid", sandbox.uuid)
    assert code == 0, err
    assert PLAIN_PASSWORD not in out + err
    login = os.path.join(data_dir, "aiostreams_login.json")
    assert stat.S_IMODE(os.stat(login).st_mode) == 0o600
    code, out, _ = run(capsys, data_dir, "catalogs")
    assert code == 0 and "Popular" in out


def test_connect_wrong_password_saves_nothing(capsys, data_dir, sandbox, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("not it\n"))
    code, _, err = run(capsys, data_dir, "connect", sandbox.url, "--uuid", sandbox.uuid)
    assert code == 1
    assert "wrong UUID or password" in err and "Invalid UUID or password" in err
    assert not os.path.exists(os.path.join(data_dir, "cli_config.json"))


def test_connect_refuses_a_url_that_is_not_a_manifest(capsys, data_dir):
    code, _, err = run(capsys, data_dir, "connect", "https://example.com/nothing")
    assert code == 2 and "manifest URL" in err


def test_connect_keeps_the_trakt_settings(capsys, data_dir, sandbox):
    os.makedirs(data_dir, mode=0o700)
    with open(os.path.join(data_dir, "cli_config.json"), "w") as handle:
        json.dump({"api_url": "http://127.0.0.1:1", "client_id": "cid"}, handle)
    connected(capsys, data_dir, sandbox)
    with open(os.path.join(data_dir, "cli_config.json")) as handle:
        saved = json.load(handle)
    assert saved["client_id"] == "cid" and saved["aiostreams_manifest_url"]


def test_no_manifest_is_a_usage_error(capsys, data_dir):
    for command in (["catalogs"], ["search", "x"], ["show", "tt0903747"], ["streams", "tt1"]):
        code, out, err = run(capsys, data_dir, *command)
        assert code == 2 and "connect" in err and out == ""


def test_catalogs_text_and_json(capsys, data_dir, sandbox):
    connected(capsys, data_dir, sandbox)
    code, out, _ = run(capsys, data_dir, "catalogs")
    assert code == 0 and "movie:" in out and "c1.top" in out and "search: movie/c1.top" in out
    code, out, _ = run(capsys, data_dir, "catalogs", "--json")
    document = json.loads(out)
    ids = {(c["type"], c["id"]) for c in document["catalogs"]}
    assert ("movie", "c1.top") in ids and document["status"] == "ok"
    assert any(c["genres"] for c in document["catalogs"])


def test_catalog_pages_and_genre(capsys, data_dir, sandbox):
    connected(capsys, data_dir, sandbox)
    code, out, _ = run(capsys, data_dir, "catalog", "movie", "c1.top", "--json")
    first = json.loads(out)
    assert code == 0 and first["page"] == 1 and len(first["items"]) == 50
    code, out, _ = run(capsys, data_dir, "catalog", "movie", "c1.top", "--page", "2", "--json")
    second = json.loads(out)
    assert second["page"] == 2 and second["skip"] == 50
    assert not {i["stremio_id"] for i in first["items"]} & {
        i["stremio_id"] for i in second["items"]
    }
    code, out, _ = run(capsys, data_dir, "catalog", "movie", "c1.top", "--genre", "Comedy")
    assert code == 0 and "Comedy" in out.splitlines()[0]
    code, out, _ = run(capsys, data_dir, "catalog", "movie", "c1.top", "--page", "999")
    assert code == 0 and "no more items" in out
    code, _, err = run(capsys, data_dir, "catalog", "movie", "nope")
    assert code == 1 and "nope" in err and err.count("\n") == 1


def test_search_merges_and_filters_by_type(capsys, data_dir, sandbox):
    connected(capsys, data_dir, sandbox)
    code, out, _ = run(capsys, data_dir, "search", "the", "--json")
    document = json.loads(out)
    assert code == 0 and document["query"] == "the" and document["items"]
    ids = [i["imdb_id"] for i in document["items"]]
    assert len(ids) == len(set(ids))  # duplicates by IMDb id removed
    code, out, _ = run(capsys, data_dir, "search", "the", "--type", "movie", "--json")
    assert {i["media_type"] for i in json.loads(out)["items"]} == {"movie"}
    code, out, _ = run(capsys, data_dir, "search", "zzzz-nothing-matches")
    assert code == 0 and "0 result(s)" in out


def test_show_carries_the_mirror_marks(capsys, data_dir, sandbox):
    connected(capsys, data_dir, sandbox)
    seed_mirror(os.path.join(data_dir, "trakt_sync.db")).close()
    code, out, err = run(capsys, data_dir, "show", "tt0903747")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Breaking Bad")
    assert any(line.strip().startswith("[x] 1x01") and "2 plays" in line for line in lines)
    assert any("1x03" in line and "resume 40%" in line and "next up" in line for line in lines)
    specials = [n for n, line in enumerate(lines) if line.startswith("Specials")]
    seasons = [n for n, line in enumerate(lines) if line.startswith("Season ")]
    assert specials and seasons and specials[0] > seasons[-1]  # specials last
    code, out, _ = run(capsys, data_dir, "show", "tt0903747", "--json")
    document = json.loads(out)
    season_one = next(s for s in document["seasons"] if s["season"]["number"] == 1)
    first = season_one["episodes"][0]
    assert first["mark"]["watched"] is True and first["mark"]["playcount"] == 2
    assert document["next_up"] == [1, 3]


def test_show_unknown_id_is_one_line(capsys, data_dir, sandbox):
    connected(capsys, data_dir, sandbox)
    code, out, err = run(capsys, data_dir, "show", "tt0000404")
    assert code == 1 and out == "" and "no details" in err


def test_streams_ranked_without_error_and_statistic(capsys, data_dir, sandbox):
    connected(capsys, data_dir, sandbox)
    code, out, err = run(capsys, data_dir, "streams", "tt0111161", "--json")
    assert code == 0, err
    document = json.loads(out)
    names = [s["name"] for s in document["streams"]]
    assert names and not any("Statistics" in n or "AIOStreams]" in n for n in names)
    assert all(s["url"] is True for s in document["streams"])
    code, out, _ = run(capsys, data_dir, "streams", "tt0111161", "--max-resolution", "1080")
    lines = [line for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert "2160p" in lines[-1]  # above the limit: ranked last
    code, out, _ = run(capsys, data_dir, "streams", "tt0111161")
    assert sandbox.password not in out


def test_streams_error_stream_text_when_nothing_playable(capsys, data_dir, sandbox):
    url = sandbox.manifest_url_with("wrong-password")
    code, out, err = run(capsys, data_dir, "streams", "tt0111161", "--manifest-url", url)
    assert code == 1 and out == "" and "Invalid password" in err
