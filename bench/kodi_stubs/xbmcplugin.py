"""Minimal ``xbmcplugin``: counts the items a view adds (printed by bench_plugin's child)."""

ADDED = []


def addDirectoryItem(handle, url, listitem, isFolder=False, totalItems=0):
    ADDED.append(url)
    return True


def addDirectoryItems(handle, items, totalItems=0):
    ADDED.extend(url for url, _item, _folder in items)
    return True


def endOfDirectory(handle, succeeded=True, updateListing=False, cacheToDisc=True):
    pass


def setContent(handle, content):
    pass


def setPluginCategory(handle, category):
    pass


def addSortMethod(handle, sortMethod, labelMask="", label2Mask=""):
    pass


def setResolvedUrl(handle, succeeded, listitem):
    pass


def __getattr__(name):  # SORT_METHOD_* constants and the like
    if name.isupper():
        return 0
    raise AttributeError(name)
