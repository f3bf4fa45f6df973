"""Pytest fixtures for the real-Kodi tests (see tests/kodi/harness.py for the KodiInstance API).

- `kodi`: a booted Kodi at its home window, our add-on and the helper add-on enabled. Settings
  to pre-write come from `@pytest.mark.kodi_settings(trakt_sync_auto=False, ...)`.
- `kodi_factory(settings=None, start=True, addon_dir=None)`: more Kodis, or one not yet started.
- `kodi_addon_dir`: the add-on folder installed into every test Kodi (installable files only).

Nothing is skipped and nothing is installed: without Kodi every test fails and names what
`make deps` should have installed. Every Kodi and Xvfb is stopped by process group after
the test; when the test failed, kodi.log (and a screenshot) are kept under
/tmp/aiostreams-kodi-artifacts and the folder is printed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

# The harness is imported as tests.kodi.harness: make that work from any working directory.
_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from tests.kodi.harness import (  # noqa: E402 - needs the path above
    KodiInstance,
    addon_source_root,
    copy_addon,
    missing_programs,
)

KODI_TESTS_DIR = Path(__file__).resolve().parent
_KEPT_ARTIFACTS: List[str] = []

KodiFactory = Callable[..., KodiInstance]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "kodi_settings(**values): add-on settings the `kodi` fixture writes before Kodi starts",
    )


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    for item in items:
        if KODI_TESTS_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.kodi)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, "kodi_report_" + report.when, report)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _KEPT_ARTIFACTS:
        terminalreporter.section("kept Kodi logs of failed tests")
        for folder in _KEPT_ARTIFACTS:
            terminalreporter.write_line(folder)


def _test_failed(node: pytest.Item) -> bool:
    return any(
        getattr(getattr(node, "kodi_report_" + phase, None), "failed", False)
        for phase in ("setup", "call")
    )


@pytest.fixture(scope="session")
def kodi_programs() -> None:
    """Kodi, Xvfb and ImageMagick on PATH, or every Kodi test fails saying why.

    Nothing is installed here: `make deps` (tools/install-system.sh) installs every system package
    before the first tier runs, so a missing one is a broken install step, not something to hide.
    """
    missing = missing_programs()
    if missing:
        pytest.fail(
            "real-Kodi tests need {}: run `make deps` (tools/install-system.sh) first".format(
                ", ".join(missing)
            ),
            pytrace=False,
        )


@pytest.fixture(scope="session")
def kodi_addon_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the add-on's installable files (the same filter as tools/build_zip.py)."""
    destination = tmp_path_factory.mktemp("addon") / "plugin.video.aiostreams"
    copy_addon(destination, addon_source_root())
    return destination


@pytest.fixture
def kodi_factory(
    request: pytest.FixtureRequest, kodi_programs: None, kodi_addon_dir: Path
) -> Iterator[KodiFactory]:
    """Makes Kodi instances; stops them all after the test and keeps logs of a failed test."""
    instances: List[KodiInstance] = []

    def make(
        settings: Optional[Dict[str, Any]] = None,
        start: bool = True,
        addon_dir: Optional[Path] = None,
    ) -> KodiInstance:
        root = Path(tempfile.mkdtemp(prefix="aiostreams-kodi-"))
        instance = KodiInstance(root, addon_dir or kodi_addon_dir, settings=settings)
        instances.append(instance)
        if start:
            instance.start()
        return instance

    yield make

    failed = _test_failed(request.node)
    for instance in instances:
        try:
            if failed and instance.is_running():
                try:
                    instance.screenshot(instance.root / "screenshot-at-failure.png")
                except (OSError, subprocess.SubprocessError):
                    pass
            instance.stop()
        finally:
            if failed:
                kept = instance.keep_artifacts(request.node.nodeid)
                shot = instance.root / "screenshot-at-failure.png"
                if shot.is_file():
                    shutil.copy2(str(shot), str(kept / shot.name))
                _KEPT_ARTIFACTS.append(str(kept))
                print(f"kept Kodi log of failed test in {kept}")
            shutil.rmtree(str(instance.root), ignore_errors=True)


@pytest.fixture
def kodi(request: pytest.FixtureRequest, kodi_factory: KodiFactory) -> KodiInstance:
    """A running Kodi at its home window with our add-on and the helper enabled."""
    marker = request.node.get_closest_marker("kodi_settings")
    settings: Dict[str, Any] = {}
    if marker is not None:
        for positional in marker.args:
            settings.update(positional)
        settings.update(marker.kwargs)
    return kodi_factory(settings=settings or None)
