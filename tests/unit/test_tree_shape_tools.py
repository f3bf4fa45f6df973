"""tools/import_cycles.py and tools/module_sizes.py, the two shape checks `make check` runs.

Each is run on a small tree written here (so a planted circle or an oversized module must be
found) and on the repository itself (which must pass, allow-lists aside).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any, Dict

REPO_ROOT = Path(__file__).resolve().parents[2]


def _tool(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, str(REPO_ROOT / "tools" / f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


import_cycles = _tool("import_cycles")
module_sizes = _tool("module_sizes")


def _tree(root: Path, files: Dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for package in ("resources", "resources/lib", "resources/lib/pkg"):
        (root / package).mkdir(parents=True, exist_ok=True)
        init = root / package / "__init__.py"
        if not init.exists():
            init.write_text("", encoding="utf-8")
    return root


def test_a_circle_held_by_an_import_inside_a_function_is_found(tmp_path):
    root = _tree(
        tmp_path,
        {
            "resources/lib/pkg/a.py": "from .b import helper\n",
            "resources/lib/pkg/b.py": "def helper():\n    from . import a\n    return a\n",
        },
    )

    cycles = import_cycles.find_cycles(root)

    assert [sorted(members) for members, _ in cycles] == [
        ["resources.lib.pkg.a", "resources.lib.pkg.b"]
    ]
    assert import_cycles.main([str(root)]) == 1


def test_absolute_imports_and_the_entry_points_are_followed(tmp_path, capsys):
    root = _tree(
        tmp_path,
        {
            "addon.py": "from resources.lib.pkg.a import run\n",
            "resources/lib/pkg/a.py": "import addon\n",
        },
    )

    assert import_cycles.main([str(root)]) == 1
    assert "addon -> resources.lib.pkg.a -> addon" in capsys.readouterr().out


def test_imports_only_for_type_checking_close_no_circle(tmp_path):
    root = _tree(
        tmp_path,
        {
            "resources/lib/pkg/a.py": "from . import b\n",
            "resources/lib/pkg/b.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import X\n"
            ),
        },
    )

    assert import_cycles.find_cycles(root) == []
    assert import_cycles.main([str(root)]) == 0


def test_the_add_on_has_no_import_circle_outside_the_known_ones():
    found = [members for members, _ in import_cycles.find_cycles(REPO_ROOT)]

    assert [members for members in found if members not in import_cycles.KNOWN_CIRCLES] == []


def test_a_module_over_400_lines_fails_the_size_check(tmp_path, capsys):
    root = _tree(
        tmp_path,
        {
            "resources/lib/pkg/short.py": "x = 1\n" * 400,
            "resources/lib/pkg/long.py": "x = 1\n" * 401,
        },
    )

    assert module_sizes.oversized(root) == [("resources/lib/pkg/long.py", 401)]
    assert module_sizes.main([str(root)]) == 1
    assert "too long: resources/lib/pkg/long.py has 401 lines" in capsys.readouterr().out


def test_every_add_on_module_is_within_the_cap_allow_list_aside():
    over = {name for name, _ in module_sizes.oversized(REPO_ROOT)}

    assert over - module_sizes.ALLOWED_OVER_LIMIT == set()
