"""Proves the core imports without Kodi: only resources/lib/kodi/ and plugin/ may touch xbmc*.

Every module under resources/lib (found by walking the tree, so new files are covered at once)
is imported in a fresh interpreter whose first meta-path finder refuses any `xbmc*` module.
An attempt fails the test even when the module catches the ImportError, and the failure names
the module (and line) that reached for Kodi.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
LIB = REPO_ROOT / "resources" / "lib"
KODI_ONLY_PACKAGES = ("kodi", "plugin")

# Runs inside the child interpreter: argv[1] is the repo root, argv[2] the module to import.
IMPORT_WITHOUT_KODI = r'''
import importlib
import sys
import traceback

sys.path.insert(0, sys.argv[1])
attempts = []


def _import_chain():
    chain = []
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("resources") and frame.f_code.co_name == "<module>":
            chain.insert(0, "{} (line {})".format(module, frame.f_lineno))
        frame = frame.f_back
    return " -> ".join(chain) or "an import outside resources/"


class RefuseKodiModules:
    """Meta-path finder: any xbmc* import is recorded and refused."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0].startswith("xbmc"):
            attempts.append("{} imported {}".format(_import_chain(), name))
            raise ImportError("{} is Kodi-only and not available here".format(name), name=name)
        return None


for loaded in [name for name in sys.modules if name.startswith("xbmc")]:
    del sys.modules[loaded]
sys.meta_path.insert(0, RefuseKodiModules())
try:
    importlib.import_module(sys.argv[2])
except BaseException:
    if not attempts:
        traceback.print_exc()
        sys.exit(3)
if attempts:
    print("\n".join(attempts))
    sys.exit(4)
'''


def core_modules() -> List[str]:
    """Dotted names of every module under resources/lib outside the Kodi-only packages."""
    names = []
    for path in sorted(LIB.rglob("*.py")):
        relative = path.relative_to(REPO_ROOT).with_suffix("")
        parts = relative.parts
        if parts[2:3] and parts[2] in KODI_ONLY_PACKAGES:
            continue
        if "__pycache__" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def test_discovery_walks_the_core_and_skips_kodi_only_packages() -> None:
    modules = core_modules()
    assert "resources.lib" in modules
    assert not [name for name in modules if name.split(".")[2:3] in (["kodi"], ["plugin"])]


def _import_in_fresh_interpreter(module: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-B", "-I", "-c", IMPORT_WITHOUT_KODI, str(REPO_ROOT), module],
        cwd=str(REPO_ROOT),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def import_results() -> Dict[str, subprocess.CompletedProcess]:
    """Every module's import, run side by side (one interpreter each) to keep this quick."""
    modules = core_modules()
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return dict(zip(modules, pool.map(_import_in_fresh_interpreter, modules)))


@pytest.mark.parametrize("module", core_modules())
def test_core_module_imports_without_kodi(
    module: str, import_results: Dict[str, subprocess.CompletedProcess]
) -> None:
    result = import_results[module]
    if result.returncode == 4:
        pytest.fail(f"{module} reached for Kodi:\n{result.stdout}", pytrace=False)
    if result.returncode != 0:
        pytest.fail(
            f"{module} failed to import (exit {result.returncode}):\n"
            f"{result.stdout}{result.stderr}",
            pytrace=False,
        )
