"""SQLite storage for the add-on: the Trakt mirror and its maintenance.

- ``connection``: open ``trakt_sync.db`` with the right pragmas, recover from corruption,
  explicit write transactions.
- ``schema``: the named, ordered schema migrations (the table layout is documented there).
- ``trakt_sync``: :class:`TraktSyncDatabase` (sync engine and read queries).

Nothing here imports ``xbmc``; callers pass paths, callbacks and a Trakt client.
"""
