"""The seams of issue 14 section 3 stay in place: the sync facade holds no SQL of its own, and
nothing in the sync engine swaps state on the caller's Trakt client."""

from __future__ import annotations

import ast
from pathlib import Path

LIB = Path(__file__).resolve().parents[2] / "resources" / "lib"


def _calls_named(path: Path, name: str) -> list:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == name
    ]


def test_the_sync_facade_runs_no_sql_itself():
    facade = LIB / "database" / "trakt_sync" / "__init__.py"
    assert _calls_named(facade, "execute") == [], "SQL belongs in trakt_sync/queries.py"


def test_the_sync_engine_never_assigns_to_the_callers_client():
    for name in ("engine.py", "runner.py", "context.py"):
        tree = ast.parse((LIB / "database" / "trakt_sync" / name).read_text(encoding="utf-8"))
        assigned = [
            "%s:%d" % (name, node.lineno)
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "client"
        ]
        assert assigned == [], "use client.for_run(...), not assignments: %s" % assigned


def _members(protocol: type) -> dict:
    """The methods and attributes a Protocol class declares (its own, not typing's)."""
    names = {name for name in vars(protocol) if not name.startswith("_")}
    names |= set(getattr(protocol, "__annotations__", {}))
    return {name: getattr(protocol, name, None) for name in sorted(names)}


def _check_satisfies(cls: type, protocol: type, instance: object) -> None:
    import inspect

    for name, declared in _members(protocol).items():
        assert hasattr(instance, name), "%s lacks %s.%s" % (cls.__name__, protocol.__name__, name)
        if inspect.isfunction(declared):
            wanted = list(inspect.signature(declared).parameters)
            actual = list(inspect.signature(getattr(cls, name)).parameters)
            assert actual[: len(wanted)] == wanted, (name, wanted, actual)


def test_the_real_client_and_its_oauth_transport_satisfy_their_protocols(tmp_path):
    from resources.lib.trakt.client import TraktClient
    from resources.lib.trakt.oauth_transport import OAuthTransport as Concrete
    from resources.lib.trakt.protocols import OAuthTransport, TraktApi
    from resources.lib.trakt.tokens import TokenStore

    client = TraktClient("id", "secret", token_store=TokenStore(str(tmp_path / "t.json")))
    _check_satisfies(TraktClient, TraktApi, client)
    _check_satisfies(TraktClient, TraktApi, client.for_run())
    _check_satisfies(Concrete, OAuthTransport, client.oauth())


def test_the_sync_facade_satisfies_the_mirror_protocol(tmp_path):
    from resources.lib.database.trakt_sync import TraktSyncDatabase
    from resources.lib.database.trakt_sync.protocols import Mirror

    with TraktSyncDatabase(str(tmp_path / "trakt_sync.db")) as db:
        _check_satisfies(TraktSyncDatabase, Mirror, db)
