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
