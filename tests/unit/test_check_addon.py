"""tools/check_addon.py checks the built zip on kodi-addon-checker's matrix and omega branches.

The zip is real (tools/build_zip.py on this checkout) and the checker is the real one, offline.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, str(REPO_ROOT / "tools" / f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(scope="module")
def addon_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build_zip = _load("build_zip")
    out = tmp_path_factory.mktemp("zip") / "plugin.video.aiostreams.zip"
    assert build_zip.main(["--out", str(out)]) == 0
    return out


def test_the_zip_passes_on_matrix_and_omega_and_both_branches_ran(
    addon_zip: Path, capsys: pytest.CaptureFixture
) -> None:
    check_addon = _load("check_addon")
    assert check_addon.main([str(addon_zip)]) == 0
    output = capsys.readouterr().out
    assert "check_addon: kodi-addon-checker --branch=matrix" in output
    assert "check_addon: kodi-addon-checker --branch=omega" in output
    assert "no problems and no warnings on matrix and omega" in output


def test_only_the_listed_omega_warning_is_accepted() -> None:
    check_addon = _load("check_addon")
    advised = "For omega it is advised to set xbmc.python version to 3.0.1"
    output = (
        f"\x1b[35mWARN: {advised}\x1b[0m\n"
        "\x1b[35mWARN: Image icon is not 256x256\x1b[0m\n"
        "\x1b[34mINFO: For omega it is advised to set something else\x1b[0m\n"
    )
    assert check_addon.accepted_warnings(output, "omega") == [advised]
    # The same warning on another branch is a finding.
    assert check_addon.accepted_warnings(output, "matrix") == []
