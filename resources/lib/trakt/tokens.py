"""Trakt OAuth tokens and their on-disk store, shared by every Kodi interpreter.

Kodi runs each plugin call and the service in separate interpreters, so the token file is the
single source of truth: both tokens and the expiry are written together in one atomic write, and
refreshes are serialised with a cross-process lock on ``<path>.lock``. Never log a token.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from typing import Any, Dict, Iterator, Optional

from . import errors

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
try:  # Windows
    import msvcrt
except ImportError:
    msvcrt = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

FILE_VERSION = 1
# A token file is a few hundred bytes; a larger file is skipped (signed out) unread.
MAX_FILE_BYTES = 64 * 1024
DEFAULT_LOCK_TIMEOUT = 60.0
_LOCK_POLL = 0.05


class Tokens:
    """An access/refresh token pair and the moment (epoch seconds) the access token expires."""

    __slots__ = ("access_token", "refresh_token", "expires_at", "created_at", "scope")

    def __init__(
        self,
        access_token: str,
        refresh_token: str,
        expires_at: float,
        created_at: float = 0.0,
        scope: str = "",
    ) -> None:
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.expires_at = float(expires_at)
        self.created_at = float(created_at)
        self.scope = scope

    @classmethod
    def from_response(cls, data: Any, now: Optional[float] = None) -> Tokens:
        """Build tokens from a Trakt token response; expiry = ``created_at + expires_in``.

        Raises :class:`errors.BadResponse` when required fields are missing or mistyped.
        """
        if not isinstance(data, dict):
            raise errors.BadResponse("token response is not an object")
        access = data.get("access_token")
        refresh = data.get("refresh_token")
        if not isinstance(access, str) or not access or not isinstance(refresh, str) or not refresh:
            raise errors.BadResponse("token response without access_token/refresh_token")
        created_at = data.get("created_at")
        if not _is_number(created_at):
            created_at = time.time() if now is None else now
        expires_in = data.get("expires_in")
        if not _is_number(expires_in):
            raise errors.BadResponse("token response without expires_in")
        scope = data.get("scope") if isinstance(data.get("scope"), str) else ""
        return cls(access, refresh, float(created_at) + float(expires_in), float(created_at), scope)

    def expires_within(self, seconds: float, now: Optional[float] = None) -> bool:
        """True when the access token expires in less than ``seconds`` (or already has)."""
        now = time.time() if now is None else now
        return self.expires_at - now < seconds

    def to_dict(self) -> Dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "created_at": self.created_at,
            "scope": self.scope,
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tokens) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((self.access_token, self.refresh_token, self.expires_at))

    def __repr__(self) -> str:  # never show the secrets themselves
        return f"Tokens(expires_at={self.expires_at:.0f}, scope={self.scope!r})"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class TokenStore:
    """JSON token file at ``path``: atomic writes, lenient reads, cross-process lock."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock_path = path + ".lock"
        self._warned_corrupt = False

    # -- reading ------------------------------------------------------------------------
    def _read(self) -> Optional[Dict[str, Any]]:
        try:
            size = os.path.getsize(self.path)
            if size > MAX_FILE_BYTES:  # a token file is under 1 KB: this is not ours
                self._warn_corrupt(
                    "%d bytes, more than the %d a token file may have" % (size, MAX_FILE_BYTES)
                )
                return None
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, RecursionError) as exc:
            self._warn_corrupt(type(exc).__name__)
            return None
        if not isinstance(data, dict):
            self._warn_corrupt("not an object")
            return None
        return data

    def _warn_corrupt(self, why: str) -> None:
        if not self._warned_corrupt:
            self._warned_corrupt = True
            log.warning("Trakt token file %s is unreadable (%s): signed out", self.path, why)

    def load(self) -> Optional[Tokens]:
        """The stored tokens, or None when missing, unreadable, corrupt or marked needs-reauth."""
        data = self._read()
        if data is None or data.get("needs_reauth"):
            return None
        access = data.get("access_token")
        refresh = data.get("refresh_token")
        expires_at = data.get("expires_at")
        created_at = data.get("created_at", 0.0)
        scope = data.get("scope", "")
        if (
            not isinstance(access, str)
            or not access
            or not isinstance(refresh, str)
            or not refresh
            or not _is_number(expires_at)
            or not _is_number(created_at)
        ):
            self._warn_corrupt("missing or invalid fields")
            return None
        if not isinstance(scope, str):
            scope = ""
        return Tokens(access, refresh, expires_at, created_at, scope)

    def needs_reauth(self) -> bool:
        """True after a refresh was rejected (invalid_grant) until new tokens are saved."""
        data = self._read()
        return bool(data and data.get("needs_reauth"))

    # -- writing ------------------------------------------------------------------------
    def save(self, tokens: Tokens) -> None:
        """Write both tokens and the expiry in one atomic write (clears needs-reauth)."""
        payload = dict(tokens.to_dict(), version=FILE_VERSION, needs_reauth=False)
        self._write(payload)

    def mark_needs_reauth(self) -> None:
        """Forget the tokens (they are dead) and remember that the user must authorise again."""
        self._write({"version": FILE_VERSION, "needs_reauth": True})

    def clear(self) -> None:
        """Remove the token file (sign out). The lock file stays: another process may hold it."""
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass

    def _write(self, payload: Dict[str, Any]) -> None:
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, mode=0o700, exist_ok=True)  # a new folder: private
        # mkstemp creates the file with mode 0600 where the platform supports modes.
        fd, tmp_path = tempfile.mkstemp(
            prefix="." + os.path.basename(self.path) + ".", suffix=".tmp", dir=directory
        )
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_path, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(tmp_path)
            raise
        _fsync_directory(directory)
        self._warned_corrupt = False

    # -- locking ------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(
        self,
        timeout: float = DEFAULT_LOCK_TIMEOUT,
        should_abort: Optional[Any] = None,
    ) -> Iterator[None]:
        """Cross-process exclusive lock on ``<path>.lock``.

        Raises :class:`errors.LockTimeout` after ``timeout`` seconds, :class:`errors.Aborted`
        when ``should_abort()`` turns true while waiting.
        """
        directory = os.path.dirname(os.path.abspath(self.lock_path))
        os.makedirs(directory, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + timeout
            while not _try_lock(fd):
                if should_abort is not None and should_abort():
                    raise errors.Aborted()
                if time.monotonic() >= deadline:
                    raise errors.LockTimeout(f"token lock {self.lock_path} not acquired")
                time.sleep(_LOCK_POLL)
            try:
                yield
            finally:
                _unlock(fd)
        finally:
            os.close(fd)


def _try_lock(fd: int) -> bool:
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False
    if msvcrt is not None:  # pragma: no cover - Windows
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    raise RuntimeError("no file locking available on this platform")  # pragma: no cover


def _unlock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    elif msvcrt is not None:  # pragma: no cover - Windows
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    if os.name != "posix":
        return
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
