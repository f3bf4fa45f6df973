"""Up Next, Kodi-free: what plays after the episode playing now, and when to offer it.

``timing`` (when the offer is due, once per playback), ``streams`` (the stream of the same
release to prefer), ``signal`` (the hand-off to ``service.upnext``), ``prepared`` (the next
episode's streams, fetched once by the service). The next episode itself comes from the mirror:
the rule is ``database/trakt_sync/next_episode_rule.py``, read through
``TraktSyncDatabase.next_episode_after``. The Kodi glue (``kodi/upnext_monitor.py``,
``kodi/upnext_dialog.py``) only carries these out.
"""
