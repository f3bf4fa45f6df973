"""Builds the installable add-on zip: only what users install, byte-for-byte reproducible.

    python3 tools/build_zip.py [--out dist/plugin.video.aiostreams-2.9.0.zip]

The zip holds one top folder named after the add-on id. Entries are sorted, carry a fixed
timestamp and mode 0644 (folders 0755), so the same tree always gives the same bytes.
`installable_files()` is the single filter; the real-Kodi test harness copies the same files.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

REPO_ROOT = Path(__file__).resolve().parent.parent

REQUIRED_TOP_FILES = ("addon.xml", "addon.py", "service.py", "script.py", "LICENSE")
OPTIONAL_TOP_FILES = ("README.md",)
SHIPPED_TREES = ("resources",)

# 1980-01-01 is the earliest time a zip can store; any fixed value keeps builds reproducible.
FIXED_DATE_TIME = (2020, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644
DIR_MODE = 0o040755
EXCLUDED_DIR_NAMES = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".orig", ".rej", ".swp", "~")


def addon_identity(root: Path = REPO_ROOT) -> Tuple[str, str]:
    """Returns (addon id, version) read from the add-on's addon.xml."""
    element = ET.parse(str(root / "addon.xml")).getroot()
    return element.attrib["id"], element.attrib["version"]


def _is_shipped(relative: Path) -> bool:
    if any(part.startswith(".") or part in EXCLUDED_DIR_NAMES for part in relative.parts):
        return False
    return not relative.name.endswith(EXCLUDED_SUFFIXES)


def installable_files(root: Path = REPO_ROOT) -> List[Path]:
    """Lists, sorted and relative to `root`, every file a user's Kodi installs."""
    missing = [name for name in REQUIRED_TOP_FILES if not (root / name).is_file()]
    if missing:
        raise FileNotFoundError("missing add-on files: " + ", ".join(missing))
    files = [Path(name) for name in REQUIRED_TOP_FILES]
    files += [Path(name) for name in OPTIONAL_TOP_FILES if (root / name).is_file()]
    for tree in SHIPPED_TREES:
        for directory, dir_names, file_names in os.walk(str(root / tree)):
            dir_names[:] = [name for name in dir_names if name not in EXCLUDED_DIR_NAMES]
            for name in file_names:
                relative = Path(directory, name).relative_to(root)
                if _is_shipped(relative):
                    files.append(relative)
    return sorted(files, key=lambda path: path.as_posix())


def copy_installable_tree(destination: Path, root: Path = REPO_ROOT) -> List[Path]:
    """Copies the installable files into `destination` (the add-on folder); returns them."""
    files = installable_files(root)
    for relative in files:
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((root / relative).read_bytes())
        os.chmod(str(target), 0o644)
    return files


def _folders_of(files: Sequence[Path]) -> List[str]:
    folders = set()
    for relative in files:
        for parent in relative.parents:
            if parent != Path("."):
                folders.add(parent.as_posix())
    return sorted(folders)


def build_zip(out: Path, root: Path = REPO_ROOT) -> List[Path]:
    """Writes the add-on zip to `out` atomically; returns the files it holds."""
    addon_id, _ = addon_identity(root)
    files = installable_files(root)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".build-", suffix=".zip", dir=str(out.parent))
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            names = [(addon_id + "/", None)]
            names += [(addon_id + "/" + folder + "/", None) for folder in _folders_of(files)]
            names += [(addon_id + "/" + relative.as_posix(), relative) for relative in files]
            for name, relative in sorted(names, key=lambda item: item[0]):
                info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
                info.create_system = 3  # Unix, so readers honour the mode bits below
                if relative is None:
                    info.external_attr = (DIR_MODE << 16) | 0x10
                    archive.writestr(info, b"")
                else:
                    info.external_attr = FILE_MODE << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, (root / relative).read_bytes())
        os.chmod(temporary, 0o644)
        os.replace(temporary, str(out))
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return files


def main(argv: Optional[Sequence[str]] = None) -> int:
    addon_id, version = addon_identity()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "dist" / f"{addon_id}-{version}.zip",
        help="zip to write (default: dist/<id>-<version>.zip)",
    )
    args = parser.parse_args(argv)
    files = build_zip(args.out)
    print(f"wrote {args.out} ({len(files)} files, version {version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
