"""Minimal ``xbmcvfs``: special://profile/addon_data/<id>/ is $AIOS_BENCH_DATA."""

import os


def translatePath(path):
    prefix = "special://profile/addon_data/plugin.video.aiostreams/"
    if path.startswith(prefix):
        return os.path.join(os.environ["AIOS_BENCH_DATA"], path[len(prefix) :])
    return path


def exists(path):
    return os.path.exists(path)


def mkdirs(path):
    os.makedirs(path, exist_ok=True)
    return True
