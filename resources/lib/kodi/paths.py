"""Where the add-on keeps its data: special://profile/addon_data/plugin.video.aiostreams/."""

from __future__ import annotations

import os
from dataclasses import dataclass

import xbmcvfs

from resources.lib.constants import ADDON_ID, DB_FILENAME, TOKEN_FILENAME

DATA_DIR_URL = f"special://profile/addon_data/{ADDON_ID}/"


@dataclass(frozen=True)
class Paths:
    """Real file-system paths (translated from special://)."""

    data_dir: str
    db_path: str
    token_path: str


def data_dir(create: bool = True) -> str:
    """The add-on's data folder, created on first use."""
    path = xbmcvfs.translatePath(DATA_DIR_URL)
    if create and not os.path.isdir(path):
        os.makedirs(path, exist_ok=True)
    return path


def get_paths(create: bool = True) -> Paths:
    """The data folder, the SQLite mirror and the token file."""
    folder = data_dir(create)
    return Paths(
        data_dir=folder,
        db_path=os.path.join(folder, DB_FILENAME),
        token_path=os.path.join(folder, TOKEN_FILENAME),
    )
