"""Open the SQLite mirror safely: pragmas, corruption recovery, explicit write transactions.

``open_database(path)`` returns a connection in autocommit mode (``isolation_level=None``) so
that every write goes through :func:`write_transaction` (``BEGIN IMMEDIATE`` ... ``COMMIT``);
readers in other processes see either the state before or after a transaction, never half of it
(WAL mode).

A database that cannot be trusted is moved aside as ``<name>.corrupt-<timestamp>`` together with
its ``-wal``/``-shm`` files and a fresh one is created. "Cannot be trusted" means: a zero-length
file, a file without the SQLite header, a file whose size does not match its header (truncated),
a ``-wal`` file that does not belong to it (bad magic, another page size, or replaying it changes
the database's ``application_id`` stamp). Recovery happens at most once per open, so a broken
disk raises :class:`DatabaseUnavailable` instead of looping.

``PRAGMA quick_check`` reads every page (15 ms on a large account, growing with the file), so
an ordinary open, which every plugin call makes, keeps only the cheap checks above. The Kodi
service runs :func:`check_integrity` at its start (which is also the first thing after an
unclean shutdown) and when a plugin call has reported a ``DatabaseError``: the plugin calls
:func:`request_integrity_check`, which leaves the marker file ``integrity_check_wanted`` in the
data folder for the service's next tick (:func:`integrity_check_wanted`).

Only a file that may be ours is ever opened for writing or moved aside: a symbolic link, a
special file or another program's SQLite database raises :class:`ForeignDatabase` before SQLite
touches it (no journal-mode change, no tables, no stamp). In a folder that cannot be written
(read-only mount or permissions) the database is opened read-only (``mode=ro``, no migration,
no pragma that writes), so the lists, the info and the history still work. New files are
created 0600 in a 0700 folder (see ``storage``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import struct
import threading
import time
from typing import Dict, Iterator, List, Optional, Tuple

from .storage import (
    APPLICATION_ID,
    SQLITE_HEADER,
    DatabaseUnavailable,
    DiskFull,
    ForeignDatabase,
    ReadOnly,
    StorageError,
    classify,
    create_private_file,
    folder_writable,
    make_private_folder,
    ownership_problem,
    read_only_uri,
    tighten,
)

__all__ = [
    "APPLICATION_ID", "DatabaseUnavailable", "DiskFull", "ForeignDatabase", "ReadOnly",
    "StorageError", "check_integrity", "classify", "integrity_check_wanted", "move_aside",
    "open_database", "request_integrity_check", "table_names", "write_transaction",
]  # fmt: skip

log = logging.getLogger(__name__)

BUSY_TIMEOUT_SECONDS = 30.0
WAL_MAGICS = (0x377F0682, 0x377F0683)
KEEP_CORRUPT_COPIES = 3
# APPLICATION_ID (storage.py) is stamped into the header: a ``-wal`` file of another database with
# the same page size passes every header check and SQLite replays it silently; the stamp changing
# from ours to something else after the replay is how it is recognised.


def _page_size_from_header(header: bytes) -> int:
    size = struct.unpack(">H", header[16:18])[0]
    return 65536 if size == 1 else size


# Kodi runs the service and every plugin or script call as interpreters of ONE process. POSIX
# record locks belong to the process, and closing ANY descriptor of a file drops all of them: a
# plain open()/close() of the database to read its header would silently unlock the connections
# of the other interpreters (another process may then delete a -wal still in use). So the header
# is read through one descriptor per file that is kept open for the life of the process.
_HEADER_FDS: Dict[Tuple[int, int], int] = {}
_HEADER_FDS_LOCK = threading.Lock()


def _read_database_head(path: str, length: int) -> bytes:
    """The first ``length`` bytes of the database file, read without ever closing a descriptor."""
    with _HEADER_FDS_LOCK:
        info = os.stat(path)
        key = (info.st_dev, info.st_ino)
        fd = _HEADER_FDS.get(key)
        if fd is None:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
            _HEADER_FDS[key] = fd
        return _pread(fd, length)


def _pread(fd: int, length: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, length, 0)
    os.lseek(fd, 0, os.SEEK_SET)  # Windows: no pread; locks there are not POSIX record locks
    return os.read(fd, length)


def _file_problem(path: str) -> Optional[str]:
    """Cheap checks before SQLite touches the file; returns a reason or None."""
    if not os.path.exists(path):
        return None
    size = os.path.getsize(path)
    if size == 0:
        return "zero-length file"
    header = _read_database_head(path, 100)
    if len(header) < 100 or not header.startswith(SQLITE_HEADER):
        return "not an SQLite database"
    page_size = _page_size_from_header(header)
    if page_size < 512 or page_size & (page_size - 1):
        return "invalid page size"
    if size % page_size:
        return "truncated (size is not a whole number of pages)"
    wal = path + "-wal"
    if os.path.exists(wal) and os.path.getsize(wal) > 0:
        with open(wal, "rb") as handle:
            wal_header = handle.read(32)
        if len(wal_header) < 32:
            return "truncated -wal header"
        magic, _version, wal_page_size = struct.unpack(">III", wal_header[:12])
        if magic not in WAL_MAGICS:
            return "-wal file is not a WAL"
        if wal_page_size != page_size:
            return "-wal file belongs to another database (page size differs)"
    # A valid header records the page count when "version-valid-for" matches the change counter.
    change_counter, page_count = struct.unpack(">II", header[24:32])
    valid_for = struct.unpack(">I", header[92:96])[0]
    if page_count and valid_for == change_counter and size < page_count * page_size:
        has_wal = os.path.exists(wal) and os.path.getsize(wal) > 0
        if not has_wal:
            return "truncated (fewer pages than the header records)"
    return None


def _configure(conn: sqlite3.Connection) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 30000")  # = BUSY_TIMEOUT_SECONDS
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        log.warning("journal_mode is %s, not WAL", mode)
    # NORMAL is durable across application crashes in WAL mode; only a power cut can lose the
    # last transactions, which the next sync fetches again.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


def _connect(path: str, header_id: int = 0, quick_check: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
    )
    try:
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        if header_id == APPLICATION_ID and application_id != APPLICATION_ID:
            raise sqlite3.DatabaseError("-wal file belongs to another database (application id)")
        # Stamp a new file before WAL mode: the stamp then lands in the file's header at once.
        if application_id == 0:
            with contextlib.suppress(sqlite3.OperationalError):  # read-only: stamp it later
                conn.execute("PRAGMA application_id = 1095323475")  # = APPLICATION_ID
        _configure(conn)
        if quick_check:
            problem = integrity_problem(conn)
            if problem is not None:
                raise sqlite3.DatabaseError("quick_check: %s" % problem)
    except BaseException:
        conn.close()
        raise
    return conn


INTEGRITY_MARKER = "integrity_check_wanted"


def integrity_problem(conn: sqlite3.Connection) -> Optional[str]:
    """``PRAGMA quick_check``'s first complaint, or None when the database is sound."""
    try:
        result = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and not _looks_corrupt(exc):
            raise  # locked, busy, I/O: not an answer about the file
        return str(exc)
    if result is None:
        return "no answer"
    return None if result[0] == "ok" else str(result[0])


def check_integrity(path: str) -> Optional[str]:
    """The full check the service runs (at its start, and when a plugin call reported damage):
    the cheap checks of :func:`open_database`, then ``PRAGMA quick_check``. A damaged database
    is moved aside (the next open creates a new one, which the next sync fills); returns the
    path it was moved to, or None when it is sound or absent. Clears the plugin's request.
    Raises what :func:`open_database` raises (a foreign file, a full disk, read-only)."""
    marker = os.path.join(os.path.dirname(os.path.abspath(path)), INTEGRITY_MARKER)
    moved: Optional[str] = None
    if os.path.exists(path):
        conn, moved = open_database(path)
        try:
            problem = integrity_problem(conn) if moved is None else None
        finally:
            conn.close()
        if problem is not None:
            moved = move_aside(path)
            what = (path, problem, moved)
            log.warning("database %s failed quick_check (%s): moved aside to %s", *what)
    with contextlib.suppress(OSError):
        os.remove(marker)
    return moved


def request_integrity_check(path: str) -> None:
    """Ask the service for :func:`check_integrity` of the database at ``path`` (a plugin call
    met a ``DatabaseError``): leaves the marker file in its folder; never raises."""
    marker = os.path.join(os.path.dirname(os.path.abspath(path)), INTEGRITY_MARKER)
    try:
        with open(marker, "a"):
            pass
    except OSError as exc:
        log.debug("could not ask for an integrity check: %s", exc)


def integrity_check_wanted(path: str) -> bool:
    """True when a plugin call asked for a check of the database at ``path`` (one stat)."""
    return os.path.exists(os.path.join(os.path.dirname(os.path.abspath(path)), INTEGRITY_MARKER))


def reports_damage(exc: BaseException) -> bool:
    """True for an error that says the file is damaged (not: locked, busy, a constraint)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    if type(exc) is sqlite3.DatabaseError:
        return True
    return isinstance(exc, sqlite3.OperationalError) and _looks_corrupt(exc)


def _header_application_id(path: str) -> int:
    try:
        header = _read_database_head(path, 100)
    except OSError:
        return 0
    return struct.unpack(">I", header[68:72])[0] if len(header) == 100 else 0


def _timestamp() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-%06d" % (time.time() % 1 * 1e6)


def move_aside(path: str) -> str:
    """Rename ``path`` (and its -wal/-shm) to ``path.corrupt-<timestamp>``; returns the new path."""
    target = "%s.corrupt-%s" % (path, _timestamp())
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.replace(path + suffix, target + suffix)
    _prune_corrupt_copies(path)
    return target


def _prune_corrupt_copies(path: str) -> None:
    """Keep the newest few corrupt copies so repeated failures cannot fill the disk."""
    folder = os.path.dirname(os.path.abspath(path))
    prefix = os.path.basename(path) + ".corrupt-"
    copies = sorted(
        name
        for name in os.listdir(folder)
        if name.startswith(prefix) and not name.endswith(("-wal", "-shm", "-journal"))
    )
    for name in copies[:-KEEP_CORRUPT_COPIES]:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(OSError):
                os.remove(os.path.join(folder, name + suffix))


def open_database(path: str, read_only: bool = False) -> Tuple[sqlite3.Connection, Optional[str]]:
    """Open (or create) the database at ``path``.

    Returns ``(connection, recovered)`` where ``recovered`` is the path a corrupt file was moved
    to, or None. ``read_only`` (or a folder that cannot be written) gives a ``mode=ro``
    connection that neither migrates nor changes the file. Raises :class:`ForeignDatabase`,
    :class:`ReadOnly`, :class:`DiskFull` or :class:`DatabaseUnavailable`.
    """
    if path in ("", ":memory:"):  # SQLite's in-memory database: no file to check or create
        return _connect(path), None
    folder = os.path.dirname(os.path.abspath(path))
    make_private_folder(folder)
    problem = ownership_problem(path, lambda: _read_database_head(path, 100))
    if problem is not None:
        raise ForeignDatabase(problem)
    if read_only or not folder_writable(folder) or not _file_writable(path):
        return _connect_read_only(path), None
    try:
        created = create_private_file(path)  # 0600: SQLite gives -wal/-shm the same mode
    except OSError as exc:
        raise classify(exc) or DatabaseUnavailable("cannot create %s: %s" % (path, exc)) from exc
    tighten(path)
    problem = None if created else _file_problem(path)
    if problem is None:
        try:
            return _connect(path, _header_application_id(path)), None
        except sqlite3.DatabaseError as exc:
            typed = classify(exc, folder)
            if typed is not None:
                raise typed from exc
            # OperationalError covers "locked"/"unable to open": those are not corruption.
            if isinstance(exc, sqlite3.OperationalError) and not _looks_corrupt(exc):
                raise DatabaseUnavailable(str(exc)) from exc
            problem = str(exc)
    moved = move_aside(path)
    log.warning("database %s unusable (%s): moved aside to %s", path, problem, moved)
    try:
        create_private_file(path)
        return _connect(path), moved
    except (sqlite3.Error, OSError) as exc:
        typed = classify(exc, folder)
        if typed is not None:
            raise typed from exc
        raise DatabaseUnavailable("cannot recreate %s: %s" % (path, exc)) from exc


def _file_writable(path: str) -> bool:
    return not os.path.exists(path) or os.access(path, os.W_OK)


def _connect_read_only(path: str) -> sqlite3.Connection:
    """A ``mode=ro`` connection: no journal-mode change, no stamp, no migration, no move.

    ``immutable`` is the fallback when not even a ``-shm`` can be created (a read-only mount):
    nobody can change the file there anyway.
    """
    if not os.path.exists(path):
        raise ReadOnly("%s does not exist and its folder cannot be written" % path)
    problem = _file_problem(path)
    if problem is not None:
        reason = "%s is damaged (%s) and its folder cannot be written" % (path, problem)
        raise DatabaseUnavailable(reason)
    last: Optional[sqlite3.Error] = None
    for immutable in (False, True):
        conn = None
        try:
            uri = read_only_uri(path, immutable)
            options = {"isolation_level": None, "check_same_thread": False}
            conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS, **options)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            log.info("database %s opened read-only (its folder cannot be written)", path)
            return conn
        except sqlite3.Error as exc:
            last = exc
            if conn is not None:
                conn.close()
    raise ReadOnly("cannot read %s: %s" % (path, last))


def _looks_corrupt(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(
        word in text for word in ("malformed", "not a database", "corrupt", "disk image", "quick")
    )


@contextlib.contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; rolls back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        # SQLite itself rolls back on some errors (SQLITE_FULL, IOERR): a second ROLLBACK would
        # then replace the real error with "no transaction is active".
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error:  # e.g. the disk filled up at commit: do not leave it open
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise


def table_names(conn: sqlite3.Connection) -> List[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    return [row[0] for row in rows]
