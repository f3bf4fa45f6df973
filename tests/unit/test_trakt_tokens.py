"""Token store: atomic writes, lenient reads, needs-reauth flag, cross-process lock."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from resources.lib.trakt import errors
from resources.lib.trakt.tokens import Tokens, TokenStore

ROOT = Path(__file__).resolve().parents[2]


def sample(suffix: str = "1") -> Tokens:
    return Tokens("acc-" + suffix, "ref-" + suffix, 1_700_086_400, 1_700_000_000, "public")


def test_expiry_is_created_at_plus_expires_in():
    tokens = Tokens.from_response(
        {
            "access_token": "a",
            "refresh_token": "r",
            "expires_in": 86400,
            "created_at": 1_700_000_000,
            "token_type": "bearer",
            "scope": "public",
            "unknown_new_key": 1,
        }
    )
    assert tokens.expires_at == 1_700_086_400
    assert tokens.expires_within(600, now=1_700_086_400 - 599)
    assert not tokens.expires_within(600, now=1_700_086_400 - 601)


@pytest.mark.parametrize(
    "body",
    [None, [], {"access_token": "a", "expires_in": 1}, {"access_token": "a", "refresh_token": "r"}],
)
def test_token_response_without_required_fields_is_bad_response(body):
    with pytest.raises(errors.BadResponse):
        Tokens.from_response(body)


def test_save_then_load_round_trips(tmp_path):
    store = TokenStore(str(tmp_path / "sub" / "trakt_tokens.json"))
    store.save(sample())
    assert store.load() == sample()
    assert store.needs_reauth() is False
    assert os.listdir(tmp_path / "sub") == ["trakt_tokens.json"]  # no temp file left


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX only")
def test_token_file_is_private(tmp_path):
    path = tmp_path / "trakt_tokens.json"
    path.write_text("{}")
    os.chmod(path, 0o644)
    TokenStore(str(path)).save(sample())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_both_tokens_land_in_one_replace(tmp_path, monkeypatch):
    store = TokenStore(str(tmp_path / "t.json"))
    store.save(sample("old"))
    replaced = []
    real_replace = os.replace

    def spy(src, dst):
        replaced.append(json.loads(Path(src).read_text()))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    store.save(sample("new"))
    assert len(replaced) == 1
    assert replaced[0]["access_token"] == "acc-new" and replaced[0]["refresh_token"] == "ref-new"


def test_failed_write_keeps_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    store = TokenStore(str(tmp_path / "t.json"))
    store.save(sample("old"))

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        store.save(sample("new"))
    assert store.load() == sample("old")
    assert os.listdir(tmp_path) == ["t.json"]


def test_missing_file_is_none_without_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        assert TokenStore(str(tmp_path / "nope.json")).load() is None
    assert caplog.records == []


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"access_token": "a", "refresh_t',
        "[]",
        '{"access_token": "a", "refresh_token": "r", "expires_at": "soon"}',
        '{"access_token": 5, "refresh_token": "r", "expires_at": 1}',
        "\x00\x01\x02",
    ],
)
def test_corrupt_file_loads_as_none_with_one_warning(tmp_path, caplog, content):
    path = tmp_path / "t.json"
    path.write_text(content)
    store = TokenStore(str(path))
    with caplog.at_level(logging.WARNING, logger="resources.lib.trakt.tokens"):
        assert store.load() is None
        assert store.load() is None
        assert store.needs_reauth() is False
    assert len(caplog.records) == 1
    assert str(path) in caplog.text


def test_unreadable_path_loads_as_none(tmp_path):
    (tmp_path / "dir.json").mkdir()
    assert TokenStore(str(tmp_path / "dir.json")).load() is None


def test_needs_reauth_keeps_no_tokens_until_the_next_save(tmp_path):
    path = tmp_path / "t.json"
    store = TokenStore(str(path))
    store.save(sample())
    store.mark_needs_reauth()
    assert store.load() is None
    assert store.needs_reauth() is True
    raw = path.read_text()
    assert "acc-1" not in raw and "ref-1" not in raw
    assert TokenStore(str(path)).needs_reauth() is True  # persisted for other processes
    store.save(sample("2"))
    assert store.needs_reauth() is False
    assert store.load() == sample("2")


def test_clear_removes_the_tokens(tmp_path):
    store = TokenStore(str(tmp_path / "t.json"))
    store.clear()  # nothing to clear is fine
    store.save(sample())
    store.clear()
    assert store.load() is None and store.needs_reauth() is False


def test_repr_never_shows_secrets():
    assert "acc-1" not in repr(sample()) and "ref-1" not in repr(sample())


def test_lock_excludes_a_second_holder_in_the_same_process(tmp_path):
    store = TokenStore(str(tmp_path / "t.json"))
    other = TokenStore(str(tmp_path / "t.json"))
    with store.lock():
        with pytest.raises(errors.LockTimeout):
            with other.lock(timeout=0.2):
                pass
    with other.lock(timeout=0.2):
        pass


def test_lock_wait_is_abortable(tmp_path):
    store = TokenStore(str(tmp_path / "t.json"))
    with store.lock():
        with pytest.raises(errors.Aborted):
            with TokenStore(store.path).lock(timeout=5, should_abort=lambda: True):
                pass


def test_lock_excludes_another_process(tmp_path):
    path = str(tmp_path / "t.json")
    script = textwrap.dedent(
        """
        import sys
        from resources.lib.trakt import errors
        from resources.lib.trakt.tokens import TokenStore
        try:
            with TokenStore(sys.argv[1]).lock(timeout=float(sys.argv[2])):
                print("locked")
        except errors.LockTimeout:
            print("timeout")
        """
    )

    def run(timeout: str) -> str:
        out = subprocess.run(
            [sys.executable, "-c", script, path, timeout],
            cwd=str(ROOT),
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return out.stdout.strip()

    with TokenStore(path).lock():
        assert run("0.3") == "timeout"
    assert run("0.3") == "locked"
