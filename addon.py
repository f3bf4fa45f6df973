"""Plugin entry point: Kodi runs this for every plugin:// call."""

import sys

from resources.lib.plugin.router import run

run(sys.argv)
