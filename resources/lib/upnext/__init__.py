"""Up Next, Kodi-free: what plays after the episode playing now, and when to offer it.

``timing`` (when the offer is due, once per playback), ``choose`` (the next episode from the
mirror), ``streams`` (the stream of the same release to prefer), ``signal`` (the hand-off to
``service.upnext``), ``prepared`` (the next episode's streams, fetched once by the service). The
Kodi glue (``kodi/upnext_monitor.py``, ``kodi/upnext_dialog.py``) only carries these out.
"""
