"""Runs kodi-addon-checker offline on a built zip (branches matrix and omega); any finding fails.

    python3 tools/check_addon.py dist/plugin.video.aiostreams-2.9.0.zip

The zip is unpacked into a temporary folder and checked as users would install it. The checker
normally downloads every branch's addon list from Kodi's mirrors and retries for most of an hour
without network, so its repository loader is replaced by empty repositories and HTTP(S) proxies
point at a closed loopback port so nothing it might still fetch can hang. The URL reachability
check (a HEAD request per forum/source/website) becomes a check of the URLs' form. One zip serves
Kodi 19 to 22, so it is checked against the oldest branch (matrix, Kodi 19) and against omega
(Kodi 21, the newest branch the checker knows our real-Kodi tests run on). Exits 0 only when the
checker reports no problem and no warning on every branch, and the zip has no executable or stray
entry.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import socket
import stat
import sys
import tempfile
import urllib.parse
import zipfile
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple

BRANCHES = ("matrix", "omega")
# Warnings that are a decision, not a defect. Kodi 19 refuses xbmc.python 3.0.1, and one zip
# serves Kodi 19 to 22, so addon.xml imports 3.0.0 although omega advises 3.0.1. Any other
# warning, and any problem, still fails the check.
ACCEPTED_WARNINGS = {
    "omega": ("For omega it is advised to set xbmc.python version to 3.0.1",),
}
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
FORBIDDEN_PARTS = ("__pycache__",)
FORBIDDEN_SUFFIXES = (".pyc", ".pyo")


def closed_loopback_port() -> int:
    """Returns a loopback TCP port that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def zip_entry_problems(archive: zipfile.ZipFile) -> List[str]:
    """Finds what the checker cannot see once the zip is unpacked: modes and stray entries."""
    problems = []
    tops = {info.filename.split("/", 1)[0] for info in archive.infolist()}
    if len(tops) != 1:
        problems.append("zip must hold exactly one top folder, found: " + ", ".join(sorted(tops)))
    for info in archive.infolist():
        mode = info.external_attr >> 16
        name = info.filename
        if not info.is_dir() and mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH):
            problems.append("executable bit set on " + name)
        if any(part in FORBIDDEN_PARTS for part in name.split("/")) or name.endswith(
            FORBIDDEN_SUFFIXES
        ):
            problems.append("build artefact shipped: " + name)
    return problems


def safe_extract(archive: zipfile.ZipFile, destination: Path) -> Path:
    """Unpacks the zip refusing paths that leave `destination`; returns the add-on folder."""
    root = destination.resolve()
    for info in archive.infolist():
        target = (root / info.filename).resolve()
        if target != root and root not in target.parents:
            raise ValueError("zip entry escapes the folder: " + info.filename)
    archive.extractall(str(root))
    folders = [child for child in root.iterdir() if child.is_dir()]
    if len(folders) != 1:
        raise ValueError("zip must unpack to one add-on folder")
    return folders[0]


def url_form_problem(url: str) -> str:
    """Says what is wrong with a metadata URL's form ("" when nothing is); no request is sent."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        return f"URL needs an http(s) scheme: {url!r}"
    if not parts.hostname or "." not in parts.hostname:
        return f"URL has no host name: {url!r}"
    return ""


@contextlib.contextmanager
def offline_checker_environment(work_dir: Path) -> Iterator[None]:
    """Points proxies at a dead port and runs in `work_dir` (the checker logs into the cwd)."""
    dead_proxy = f"http://127.0.0.1:{closed_loopback_port()}"
    names = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy")
    saved = {name: os.environ.get(name) for name in names}
    previous_cwd = os.getcwd()
    for name in names[:4]:
        os.environ[name] = dead_proxy
    for name in names[4:]:
        os.environ.pop(name, None)
    os.chdir(str(work_dir))
    try:
        yield
    finally:
        os.chdir(previous_cwd)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_checker(addon_dir: Path, branch: str) -> Tuple[int, int, str]:
    """Runs the checker's own main() on `addon_dir` for `branch`; returns (problems, warnings,
    its output)."""
    import kodi_addon_checker
    import kodi_addon_checker.__main__ as checker_main
    from kodi_addon_checker import check_addon as checker_check_addon
    from kodi_addon_checker import check_url as checker_check_url
    from kodi_addon_checker.addons.Repository import Repository
    from kodi_addon_checker.record import INFORMATION, WARNING, Record

    class EmptyRepository(Repository):
        """A branch's repository with no add-ons: nothing is downloaded."""

        def __init__(self, version: str, path: str) -> None:  # noqa: D107 - no super() download
            self.version = version
            self.path = path
            self.addons = []

    def empty_repositories() -> dict:
        return {
            branch: EmptyRepository(branch, "offline")
            for branch in kodi_addon_checker.ValidKodiVersions
        }

    reports = []
    Report = checker_main.Report

    class RecordingReport(Report):
        """The checker's top-level report, kept so its counts can be read after main()."""

        def __init__(self, artifact_name: str) -> None:
            super().__init__(artifact_name)
            reports.append(self)

    def offline_url_check(report: object, parsed_xml: object) -> None:
        """Replaces the HEAD requests on forum/source/website: only their form is checked."""
        for point in ("kodi.addon.metadata", "xbmc.addon.metadata"):
            for tag in ("forum", "source", "website"):
                for element in parsed_xml.findall(f"./extension[@point='{point}']/{tag}"):
                    problem = url_form_problem(element.text or "")
                    level = WARNING if problem else INFORMATION
                    report.add(Record(level, "{} {}".format(tag, problem or "URL well formed")))

    saved = (checker_check_addon.get_all_repo_addons, checker_check_url.check_url, Report)
    checker_check_addon.get_all_repo_addons = empty_repositories
    checker_check_url.check_url = offline_url_check
    checker_main.Report = RecordingReport
    argv = ["kodi-addon-checker", "--branch=" + branch, str(addon_dir)]
    output = io.StringIO()
    saved_argv = sys.argv
    sys.argv = argv
    try:
        with contextlib.redirect_stdout(output):
            try:
                checker_main.main()
            except SystemExit as exit_request:
                if exit_request.code not in (0, 1, None):
                    raise
    finally:
        sys.argv = saved_argv
        # Put the checker back as it was, so the next branch's run patches the originals.
        checker_check_addon.get_all_repo_addons, checker_check_url.check_url = saved[:2]
        checker_main.Report = saved[2]
    if not reports:
        raise RuntimeError("kodi-addon-checker produced no report")
    top = reports[0]
    problems, warnings = top.problem_count, top.warning_count
    # main() adds one closing summary record, itself a problem or a warning: not a finding.
    if problems:
        problems -= 1
    elif warnings:
        warnings -= 1
    return problems, warnings, output.getvalue()


def accepted_warnings(output: str, branch: str) -> List[str]:
    """The checker's WARN lines in `output` that ACCEPTED_WARNINGS lists for `branch`."""
    allowed = ACCEPTED_WARNINGS.get(branch, ())
    found = []
    for line in ANSI_ESCAPE.sub("", output).splitlines():
        text = line.strip()
        if text.startswith("WARN: ") and text[len("WARN: ") :] in allowed:
            found.append(text[len("WARN: ") :])
    return found


def check_zip(zip_path: Path) -> int:
    """Checks one add-on zip; prints every finding; returns the process exit status."""
    with tempfile.TemporaryDirectory(prefix="check-addon-") as temporary:
        work_dir = Path(temporary)
        with zipfile.ZipFile(str(zip_path)) as archive:
            entry_problems = zip_entry_problems(archive)
            addon_dir = safe_extract(archive, work_dir / "unpacked")
        failed = []
        for branch in BRANCHES:
            with offline_checker_environment(work_dir):
                problems, warnings, output = run_checker(addon_dir, branch)
            print(f"check_addon: kodi-addon-checker --branch={branch}")
            sys.stdout.write(output)
            accepted = accepted_warnings(output, branch)
            for warning in accepted:
                print(f"check_addon: accepted on {branch} (see ACCEPTED_WARNINGS): {warning}")
            warnings -= len(accepted)
            if problems or warnings:
                failed.append(f"{branch}: {problems} problem(s) and {warnings} warning(s)")
    for problem in entry_problems:
        print("ERROR: " + problem)
    if entry_problems:
        failed.append(f"zip: {len(entry_problems)} problem(s)")
    if failed:
        print("check_addon: FAILED in {}: {}".format(zip_path, "; ".join(failed)))
        return 1
    branches = " and ".join(BRANCHES)
    print(f"check_addon: OK, no problems and no warnings on {branches} in {zip_path}")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zip", type=Path, help="the add-on zip built by tools/build_zip.py")
    args = parser.parse_args(argv)
    if not args.zip.is_file():
        print(f"check_addon: no such zip: {args.zip}", file=sys.stderr)
        return 2
    return check_zip(args.zip)


if __name__ == "__main__":
    sys.exit(main())
