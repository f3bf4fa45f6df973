"""Files and folders of the mirror: typed storage errors, private modes, and whose file it is.

Typed errors (each with a ``code`` that front ends turn into words from strings.po):

* :class:`DiskFull` (``disk_full``): SQLite's "database or disk is full", or ENOSPC/EDQUOT/EFBIG.
* :class:`ReadOnly` (``read_only``): the data folder or the file cannot be written.
* :class:`ForeignDatabase` (``foreign_database``): ``trakt_sync.db`` is a symbolic link, not a
  regular file, or an SQLite database of another program. It is never written, moved or
  deleted: the user must look at it.

Watch history is private: the data folder is created 0700, the database 0600 (SQLite gives its
``-wal``/``-shm`` files the database's mode), and an existing database of ours is tightened to
0600 when it is opened.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import stat
import struct
import urllib.parse
from typing import Callable, List, Optional, Tuple

SQLITE_HEADER = b"SQLite format 3\x00"
# Stamped into the database header (``PRAGMA application_id``, "AIOS").
APPLICATION_ID = 0x41494F53
# The table every version of our schema has (``schema.py``): an unstamped SQLite file holding
# tables but not this one belongs to another program.
OUR_TABLE = "schema_migrations"
FOLDER_MODE = 0o700
FILE_MODE = 0o600
_SIDE_FILES = ("-wal", "-shm", "-journal")


class DatabaseUnavailable(Exception):
    """The database could not be opened (``code`` says why; ``str()`` is a one-line reason)."""

    code = "unavailable"


class StorageError(DatabaseUnavailable):
    """A storage failure the user can act on."""


class DiskFull(StorageError):
    code = "disk_full"


class ReadOnly(StorageError):
    code = "read_only"


class ForeignDatabase(StorageError):
    code = "foreign_database"


_FULL_ERRNOS = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG)
_READ_ONLY_ERRNOS = (errno.EROFS, errno.EACCES, errno.EPERM)


# Below this much free space, SQLite's "disk I/O error" (it cannot size its -shm or write a page)
# is the disk being full.
LOW_SPACE_BYTES = 1024 * 1024


def free_bytes(folder: str) -> Optional[int]:
    """Bytes this user may still write in ``folder``, or None when that cannot be told."""
    try:
        info = os.statvfs(folder)
    except (OSError, AttributeError):  # Windows has no statvfs
        return None
    return info.f_bavail * info.f_frsize


def classify(exc: BaseException, folder: Optional[str] = None) -> Optional[StorageError]:
    """The typed error for an ``sqlite3.Error`` or ``OSError``, or None if it is another fault.
    ``folder``: where the database lives, to tell a full disk behind a "disk I/O error".

    Python 3.8 has no ``sqlite_errorcode``; SQLite's messages for these codes are stable.
    """
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, OSError):
        if exc.errno in _FULL_ERRNOS:
            return DiskFull(str(exc))
        if exc.errno in _READ_ONLY_ERRNOS:
            return ReadOnly(str(exc))
        return None
    text = str(exc).lower()
    if "database or disk is full" in text:
        return DiskFull(str(exc))
    if "readonly database" in text or "read-only" in text:
        return ReadOnly(str(exc))
    if "disk i/o error" in text and folder is not None:
        free = free_bytes(folder)
        if free is not None and free < LOW_SPACE_BYTES:
            return DiskFull("%s (%d bytes free in %s)" % (exc, free, folder))
    return None


def describe(exc: StorageError) -> str:
    """``"<code>: <detail>"``: the run record's error text, which :func:`code_in` reads back."""
    return "%s: %s" % (exc.code, exc)


def code_in(text: Optional[str]) -> Optional[str]:
    """The storage code a :func:`describe` text starts with, or None."""
    for code in (DiskFull.code, ReadOnly.code, ForeignDatabase.code):
        if text and text.startswith(code + ":"):
            return code
    return None


# ---- the space reserve -------------------------------------------------------------------------

# A sync keeps this many bytes next to the database (``<db>.reserve``). When the disk fills up in
# the middle of a run, the reserve is deleted so that the run can still be recorded as failed and
# its lease released (each needs a few -wal frames); the next run recreates it.
RESERVE_BYTES = 256 * 1024
RESERVE_SUFFIX = ".reserve"


def ensure_reserve(db_path: str) -> bool:
    """Create the reserve when it is missing and there is room; True when it exists."""
    path = db_path + RESERVE_SUFFIX
    if os.path.isfile(path) and os.path.getsize(path) >= RESERVE_BYTES:
        return True
    try:
        fd = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), FILE_MODE
        )
        try:
            os.write(fd, b"\0" * RESERVE_BYTES)  # written, not sparse: the room is really held
        finally:
            os.close(fd)
    except OSError:
        with contextlib.suppress(OSError):
            os.remove(path)
        return False
    return True


def release_reserve(db_path: str) -> bool:
    """Delete the reserve to make room; True when there was one."""
    try:
        os.remove(db_path + RESERVE_SUFFIX)
    except OSError:
        return False
    return True


# ---- modes --------------------------------------------------------------------------------------


def make_private_folder(folder: str) -> None:
    """Create ``folder`` (and parents) with the last level 0700; an existing one is left as is."""
    if os.path.isdir(folder):
        return
    try:
        os.makedirs(folder, mode=FOLDER_MODE, exist_ok=True)
        os.chmod(folder, FOLDER_MODE)  # makedirs' mode is filtered by the umask
    except FileExistsError as exc:  # a file where the folder should be
        raise StorageError("%s is not a folder" % folder) from exc
    except NotADirectoryError as exc:
        raise StorageError("%s: a part of the path is a file, not a folder" % folder) from exc
    except OSError as exc:
        raise classify(exc) or StorageError("cannot create %s: %s" % (folder, exc)) from exc


def create_private_file(path: str) -> bool:
    """Create an empty ``path`` with mode 0600 when it does not exist; True if created."""
    try:
        fd = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), FILE_MODE
        )
    except FileExistsError:
        return False
    os.close(fd)
    return True


def tighten(path: str) -> None:
    """Mode 0600 for the database and its side files when they are more open (best effort)."""
    for name in [path] + [path + suffix for suffix in _SIDE_FILES]:
        try:
            info = os.lstat(name)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
            try:
                os.chmod(name, FILE_MODE)
            except OSError:  # read-only folder, another owner: reading still works
                pass


def folder_writable(folder: str) -> bool:
    """False on a read-only mount or a folder this user may not write (``access`` sees both)."""
    return os.access(folder, os.W_OK)


# ---- whose file it is ---------------------------------------------------------------------------


def ownership_problem(path: str, read_head: Callable[[], bytes]) -> Optional[str]:
    """Why ``path`` must not be touched (a reason), or None when it may be ours.

    ``read_head()`` gives the file's first 100 bytes (called only for a regular file). A file
    without an SQLite header is not another program's database (it is damage, handled as
    corruption); an SQLite file is ours when its header (or, unstamped there, its -wal) carries
    our application id, or when it is unstamped and holds no tables or ours.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return "%s is a symbolic link; it is left alone" % path
    if not stat.S_ISREG(info.st_mode):
        return "%s is not a regular file; it is left alone" % path
    try:
        header = read_head()
    except OSError as exc:
        return "%s cannot be read (%s); it is left alone" % (path, exc.strerror or exc)
    if len(header) < 100 or not header.startswith(SQLITE_HEADER):
        return None
    application_id = struct.unpack(">I", header[68:72])[0]
    tables: Optional[List[str]] = []
    if application_id == 0:  # a stamp still in the -wal is only seen through SQLite
        application_id, tables = _peek(path)
    if application_id == APPLICATION_ID:
        return None
    if application_id is None or tables is None:
        return "%s is an SQLite database that cannot be read as ours; it is left alone" % path
    if application_id != 0:
        return "%s is a database of another program (application id %#x); it is left alone" % (
            path,
            application_id,
        )
    if tables and OUR_TABLE not in tables:
        return "%s is a database of another program (tables: %s); it is left alone" % (
            path,
            ", ".join(tables[:5]),
        )
    return None


def _peek(path: str) -> Tuple[Optional[int], Optional[List[str]]]:
    """``(application_id, table names)`` of ``path`` through a read-only connection (immutable
    when there is no -wal: then not even a -shm is made), or ``(None, None)`` if unreadable."""
    wal = path + "-wal"
    has_wal = os.path.exists(wal) and os.path.getsize(wal) > 0
    conn = None
    try:
        conn = sqlite3.connect(read_only_uri(path, immutable=not has_wal), uri=True, timeout=5)
        application_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    except sqlite3.Error:
        return None, None
    finally:
        if conn is not None:
            conn.close()
    return application_id, sorted(str(row[0]) for row in rows)


def read_only_uri(path: str, immutable: bool = False) -> str:
    """The URI of a read-only connection (``immutable`` when not even a -shm can be made)."""
    uri = "file:%s?mode=ro" % urllib.parse.quote(os.path.abspath(path))
    return uri + ("&immutable=1" if immutable else "")
