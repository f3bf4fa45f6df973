"""Pytest fixtures for the real-Kodi tests (see tests/kodi/harness.py for the KodiInstance API).

- `kodi`: a booted Kodi at its home window, our add-on and the helper add-on enabled. Settings
  to pre-write come from `@pytest.mark.kodi_settings(trakt_sync_auto=False, ...)`.
- `kodi_factory(settings=None, start=True, addon_dir=None)`: more Kodis, or one not yet started.
- `kodi_addon_dir`: the add-on folder installed into every test Kodi (installable files only).
- `kodi_runtime`: the Kodi every Kodi of the test runs (harness.KodiRuntime).

Every test that uses `kodi_factory` (directly, through `kodi`, or through a fixture of its own)
runs once per runtime: "kodi20" (the host's Kodi 20.1) and "kodi21" (Kodi 21.2 in a Debian 13
chroot), so a failure names the version in its id (`test_x[kodi21]`). AIOSTREAMS_KODI_RUNTIMES
narrows that for development (e.g. `=kodi20`); `make test` leaves it unset and runs both.

Kodi itself very rarely segfaults under Xvfb with none of our code running. A boot whose Kodi
crashed is booted again (`KodiInstance.start`); a test that fails while one of its Kodis has
crashed fails as `KodiCrashed` and runs once more (pytest-rerunfailures, `only_rerun`); any other
failure, and a second crash, fail it.

After each test, kodi.log of every Kodi it started is read: a deprecation notice, or any warning
or error Kodi logged about our add-on (`KodiInstance.kodi_log_problems`), fails the test. A test
that provokes one on purpose lists it: `@pytest.mark.kodi_log_expected(r"regex", ...)`.

Nothing is skipped and nothing is installed here: `make deps` installs both runtimes before the
first tier runs; a runtime that is missing fails its tests and names the command. Every
Kodi and Xvfb is stopped by process group after the test; when the test failed, kodi.log (and
a screenshot) are kept under /tmp/aiostreams-kodi-artifacts and the folder is printed
(AIOSTREAMS_KODI_KEEP_LOGS=1 keeps them for every test, to audit kodi.log of a whole run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

# The harness is imported as tests.kodi.harness: make that work from any working directory.
_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from aiostreams_sandbox.server import AIOStreamsSandbox  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402
from tests.kodi.harness import (  # noqa: E402 - needs the path above
    KodiCrashed,
    KodiInstance,
    KodiRuntime,
    addon_source_root,
    copy_addon,
    selected_runtimes,
)
from tests.support.kodi_playback import breaking_bad_account  # noqa: E402

KODI_TESTS_DIR = Path(__file__).resolve().parent
_KEPT_ARTIFACTS: List[str] = []
# Runtime name -> why it cannot run ("" when it is ready); each runtime is installed once.
_RUNTIME_READY: Dict[str, str] = {}

KodiFactory = Callable[..., KodiInstance]
# A test whose Kodi crashed is run once more (pytest-rerunfailures); no other failure is.
RERUN_AFTER_A_KODI_CRASH = pytest.mark.flaky(reruns=1, only_rerun=[KodiCrashed.__name__])
_CRASH_WAIT_SECONDS = 2.0  # the wrapper prints its line as soon as kodi.bin is gone
_TEST_FAILURES = (Exception, pytest.fail.Exception)  # not a skip, not an interrupt


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "kodi_settings(**values): add-on settings the `kodi` fixture writes before Kodi starts",
    )
    config.addinivalue_line(
        "markers",
        "kodi_log_expected(*regexes): kodi.log problems this test provokes on purpose",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Runs every test that starts a Kodi once per runtime (ids kodi20, kodi21)."""
    if "kodi_runtime" in metafunc.fixturenames:
        runtimes = selected_runtimes()
        metafunc.parametrize(
            "kodi_runtime", runtimes, ids=[r.name for r in runtimes], indirect=True
        )


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    for item in items:
        if KODI_TESTS_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.kodi)
            item.add_marker(RERUN_AFTER_A_KODI_CRASH)


def _kodi_crash(item: pytest.Item) -> str:
    """How a Kodi of this test crashed ("" when none did), waiting briefly for the wrapper."""
    instances: List[KodiInstance] = getattr(item, "kodi_instances", [])
    deadline = time.monotonic() + _CRASH_WAIT_SECONDS
    while True:
        for instance in instances:
            lines = instance.crash_lines()
            if lines:
                return "{} crashed during the test: {}".format(
                    instance.runtime.description, "; ".join(lines)
                )
        if time.monotonic() >= deadline or not instances:
            return ""
        time.sleep(0.1)


def _raise_naming_a_crash(item: pytest.Item, failure: BaseException) -> None:
    """Raises KodiCrashed from the test's failure when Kodi itself crashed under it."""
    if not isinstance(failure, KodiCrashed):
        crash = _kodi_crash(item)
        if crash:
            raise KodiCrashed(f"{crash}; the test then failed with {failure!r}") from failure


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    try:
        return (yield)
    except _TEST_FAILURES as failure:
        _raise_naming_a_crash(item, failure)
        raise


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    try:
        return (yield)
    except _TEST_FAILURES as failure:
        _raise_naming_a_crash(item, failure)
        raise


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


def _ensure_runtime(runtime: KodiRuntime) -> str:
    """Why the runtime cannot run (checked once per session), or "".

    Nothing is installed here: `make deps` installs every runtime before the first tier, so a
    missing one is a broken install step, not something to hide by installing it now.
    """
    if runtime.name in _RUNTIME_READY:
        return _RUNTIME_READY[runtime.name]
    reason = ""
    missing = runtime.missing()
    if missing:
        reason = "{} needs {}: run `make deps` ({}) first".format(
            runtime.description, ", ".join(missing), " ".join(runtime.install_command())
        )
    _RUNTIME_READY[runtime.name] = reason
    return reason


@pytest.fixture
def kodi_runtime(request: pytest.FixtureRequest) -> KodiRuntime:
    """The runtime of this test's Kodis, or the test fails naming what `make deps` installs."""
    runtime: KodiRuntime = getattr(request, "param", None) or selected_runtimes()[0]
    reason = _ensure_runtime(runtime)
    if reason:
        pytest.fail(reason, pytrace=False)
    return runtime


@pytest.fixture(scope="session")
def kodi_addon_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the add-on's installable files (the same filter as tools/build_zip.py)."""
    destination = tmp_path_factory.mktemp("addon") / "plugin.video.aiostreams"
    copy_addon(destination, addon_source_root())
    return destination


@pytest.fixture
def kodi_factory(
    request: pytest.FixtureRequest, kodi_runtime: KodiRuntime, kodi_addon_dir: Path
) -> Iterator[KodiFactory]:
    """Makes Kodi instances; stops them all after the test and keeps logs of a failed test."""
    instances: List[KodiInstance] = []
    request.node.kodi_instances = instances  # read when the test fails: did Kodi crash?

    def make(
        settings: Optional[Dict[str, Any]] = None,
        start: bool = True,
        addon_dir: Optional[Path] = None,
    ) -> KodiInstance:
        root = Path(tempfile.mkdtemp(prefix="aiostreams-kodi-"))
        instance = KodiInstance(
            root, addon_dir or kodi_addon_dir, settings=settings, runtime=kodi_runtime
        )
        instances.append(instance)
        if start:
            instance.start()
        return instance

    yield make

    failed = _test_failed(request.node)
    marker = request.node.get_closest_marker("kodi_log_expected")
    expected = [re.compile(pattern) for pattern in (marker.args if marker else ())]
    log_problems: List[str] = []
    for instance in instances:
        try:
            if failed and instance.is_running():
                try:
                    instance.screenshot(instance.root / "screenshot-at-failure.png")
                except (OSError, subprocess.SubprocessError):
                    pass
            instance.stop()
            if failed and instance.crash_lines():
                continue  # the crash is the test's failure (and the reason it runs again)
            log_problems.extend(
                entry.text
                for entry in instance.kodi_log_problems()
                if not any(pattern.search(entry.text) for pattern in expected)
            )
        finally:
            if failed or log_problems or os.environ.get("AIOSTREAMS_KODI_KEEP_LOGS") == "1":
                kept = instance.keep_artifacts(request.node.nodeid)
                shot = instance.root / "screenshot-at-failure.png"
                if shot.is_file():
                    shutil.copy2(str(shot), str(kept / shot.name))
                _KEPT_ARTIFACTS.append(str(kept))
                print(f"kept Kodi log of failed test in {kept}")
            shutil.rmtree(str(instance.root), ignore_errors=True)
    if log_problems:
        pytest.fail(
            "{} logged {} warning(s) or error(s) about the add-on:\n{}".format(
                kodi_runtime.description, len(log_problems), "\n".join(log_problems)
            ),
            pytrace=False,
        )


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


# -- the sandboxes the playback tests share (a test file may define its own instead) ----------


@pytest.fixture
def trakt(tmp_path: Path) -> Iterator[Sandbox]:
    """The Trakt sandbox with Breaking Bad restarted: Next Up is S01E01
    (``tests.support.kodi_playback.breaking_bad_account``)."""
    account = tmp_path / "walter.json"
    account.write_text(json.dumps(breaking_bad_account()), encoding="utf-8")
    with Sandbox(account=str(account), seed=1, port=0) as sb:
        yield sb


@pytest.fixture(scope="module")
def aio() -> Iterator[AIOStreamsSandbox]:
    """The AIOStreams sandbox with its clips made (the 20 s episode clip, the placeholder)."""
    with AIOStreamsSandbox(port=0) as sb:
        sb.ensure_media()
        yield sb
