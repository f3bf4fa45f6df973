"""Script entry point: the settings buttons call RunScript(plugin.video.aiostreams,action=...)."""

import sys

from resources.lib.plugin.actions import run_script

run_script(sys.argv)
