"""Fake xbmcvfs: special:// paths map into the test's temporary profile folder."""

from __future__ import annotations

import os

from kodistate import REPO, STATE

_ADDON_HOME = "special://home/addons/plugin.video.aiostreams"


def translatePath(path: str) -> str:
    if path.startswith("special://profile/"):
        return os.path.join(STATE.profile_dir, path[len("special://profile/") :])
    if path.startswith(_ADDON_HOME):
        return REPO + path[len(_ADDON_HOME) :]
    if path.startswith("special://"):
        raise ValueError(f"the fake translatePath does not know {path!r}")
    return path


def exists(path: str) -> bool:
    return os.path.exists(translatePath(path))


def mkdirs(path: str) -> bool:
    os.makedirs(translatePath(path), exist_ok=True)
    return True


def delete(path: str) -> bool:
    try:
        os.remove(translatePath(path))
        return True
    except OSError:
        return False
