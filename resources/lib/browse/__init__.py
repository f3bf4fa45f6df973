"""Browse pages as plain records, used by the Kodi plugin and the CLI alike (no xbmc).

Module map: ``records`` (the page records and ``Status``), ``browser`` (``Browser``: catalogs,
catalog pages, search, show / season / movie pages, cached in ``meta_cache.db``), ``policy``
(cache times, paging rule, error to status), ``shows``
(seasons and episodes from a meta, pure), ``mirror`` (the Trakt mirror's marks through the
``TraktSyncDatabase`` facade), ``artwork`` (art for Trakt lists from the cache, and the
background prefetch). The search history lives in ``MetaCache`` (``add_search``, ``searches``,
``remove_search``, ``clear_searches``); ``Browser.search`` records each query.
"""
