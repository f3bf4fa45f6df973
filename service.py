"""Service entry point: Kodi starts this at profile login and stops it at shutdown."""

from resources.lib.kodi.service import AIOStreamsMonitor, AIOStreamsService  # noqa: F401

if __name__ == "__main__":
    AIOStreamsService().run()
