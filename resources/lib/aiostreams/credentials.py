"""The AIOStreams sign-in kept like a token: ``aiostreams_login.json`` in the data folder.

After a UUID + password sign-in (``signin.py``) the instance address, the UUID, the password and
the manifest URL it produced are written here, atomically, as a file of mode 0600 in a private
folder, so a later sign-in (the instance rotated its encryption key) needs no typing, and the
password never has to stay in Kodi's settings file (which is not private). Reads are lenient: a
missing, oversized or unreadable file is "not signed in". Nothing here logs a value.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from typing import Optional

log = logging.getLogger(__name__)

FILENAME = "aiostreams_login.json"
MAX_BYTES = 16 * 1024


@dataclass(frozen=True)
class Login:
    instance_url: str
    uuid: str
    password: str
    manifest_url: str

    def __repr__(self) -> str:  # a stray debug print must not show the password
        return "Login(instance_url=%r, uuid=%r, password=<hidden>)" % (self.instance_url, self.uuid)


class CredentialStore:
    """The sign-in file at ``path`` (see the module docstring)."""

    def __init__(self, path: str) -> None:
        self.path = path

    @classmethod
    def in_folder(cls, data_dir: str) -> CredentialStore:
        return cls(os.path.join(data_dir, FILENAME))

    def load(self) -> Optional[Login]:
        try:
            if os.path.getsize(self.path) > MAX_BYTES:
                log.warning("%s is too large: ignored", os.path.basename(self.path))
                return None
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, RecursionError) as exc:
            name = os.path.basename(self.path)
            log.warning("%s is unreadable (%s): ignored", name, type(exc).__name__)
            return None
        if not isinstance(data, dict):
            return None
        values = [data.get(k) for k in ("instance_url", "uuid", "password", "manifest_url")]
        if not all(isinstance(v, str) and v for v in values):
            return None
        return Login(*values)  # type: ignore[arg-type]

    def save(self, login: Login) -> None:
        """Atomic write; the file is created 0600 (``mkstemp``) in a 0700 folder if new."""
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="." + FILENAME + ".", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(asdict(login), handle, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            raise

    def clear(self) -> bool:
        """Forget the sign-in; True when there was one."""
        try:
            os.remove(self.path)
        except FileNotFoundError:
            return False
        return True


__all__ = ["FILENAME", "CredentialStore", "Login"]
