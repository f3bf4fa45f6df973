"""The README's test command installs everything the tiers need in one step, before any tier.

A warm machine hides a missing install step: the playback tests once passed only because the
real-Kodi installer had brought ffmpeg on an earlier run. These tests read the Makefile and the
install script as `make` and bash would, so such a gap fails here on any machine.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parents[2]
TIERS = ("check", "test-unit", "test-integration", "test-reliability", "test-kodi")
INSTALL_TARGETS = ("deps", "deps-python", "deps-system", "deps-kodi21")


def _rules() -> Dict[str, Dict[str, List[str]]]:
    """Each Makefile target with its prerequisites and recipe lines."""
    rules: Dict[str, Dict[str, List[str]]] = {}
    current = None
    for line in (REPO / "Makefile").read_text().splitlines():
        if line.startswith("\t") and current is not None:
            rules[current]["recipe"].append(line.strip())
            continue
        match = re.match(r"^([A-Za-z0-9_.-]+):(?!=)\s*(.*)$", line)
        if match and not line.startswith("."):
            current = match.group(1)
            rules[current] = {"prereqs": match.group(2).split(), "recipe": []}
        elif line.strip() and not line.startswith("#") and "=" in line:
            current = None
    return rules


def _closure(rules: Dict[str, Dict[str, List[str]]], target: str) -> List[str]:
    seen: List[str] = []
    stack = [target]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.append(name)
        stack.extend(rules.get(name, {}).get("prereqs", []))
    return seen


def _installed_commands() -> List[str]:
    script = (REPO / "tools" / "install-system.sh").read_text()
    wanted = re.search(r"^wanted=\(([^)]*)\)", script, re.MULTILINE)
    assert wanted, "tools/install-system.sh has no wanted=(package:command ...) list"
    return [pair.split(":", 1)[1] for pair in wanted.group(1).split()]


def test_make_test_installs_before_the_first_tier() -> None:
    prereqs = _rules()["test"]["prereqs"]
    assert prereqs[0] == "deps", prereqs
    for tier in TIERS:
        assert tier in prereqs, tier


def test_deps_installs_the_system_packages() -> None:
    rules = _rules()
    closure = _closure(rules, "deps")
    recipes = " ".join(line for name in closure for line in rules.get(name, {}).get("recipe", []))
    assert "tools/install-dev.sh" in recipes
    assert "tools/install-system.sh" in recipes
    assert "tools/install-kodi21.sh" in recipes


def test_no_tier_installs_anything_as_a_side_effect() -> None:
    rules = _rules()
    for tier in TIERS:
        for name in _closure(rules, tier):
            assert name not in INSTALL_TARGETS, f"{tier} depends on install target {name}"
            for line in rules.get(name, {}).get("recipe", []):
                assert "install" not in line.split("/")[-1].split()[0], (tier, line)
                assert "apt-get" not in line and "pip install" not in line, (tier, line)


def test_every_program_a_tier_runs_is_installed_by_deps() -> None:
    from tests.kodi.harness import REQUIRED_PROGRAMS

    needed = set(REQUIRED_PROGRAMS) | {"ffmpeg"}  # ffmpeg: aiostreams_sandbox/media.py's clips
    missing = needed - set(_installed_commands())
    assert not missing, f"make deps does not install {sorted(missing)}"


def test_kodi_tier_fails_rather_than_installs_when_a_program_is_missing() -> None:
    conftest = (REPO / "tests" / "kodi" / "conftest.py").read_text()
    assert 'install-system.sh"]' not in conftest and "install-kodi" not in conftest
    assert "apt-get" not in conftest
