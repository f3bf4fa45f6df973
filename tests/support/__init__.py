"""What several test modules share, so that no test module imports another.

- ``fixtures``: the ``kodi``, ``clock`` and ``stub`` fixtures, defined once (tests/conftest.py
  imports them for every tier);
- ``clock``: the one ``FakeClock``; ``trakt_stub``: the loopback ``StubServer`` for the Trakt
  client; ``fake_trakt``: a scripted in-memory Trakt client;
- ``service_rig``, ``scrobble_rig``, ``kodi_doubles``: the service and the scrobble worker over
  the xbmc doubles (``NoPlayback`` among them); ``sync_rig``, ``cli_run``, ``browse_mirror``:
  the sandbox-backed rigs;
- ``kodi_ui``, ``kodi_playback``: steps of the real-Kodi tier (tests/kodi).
"""
