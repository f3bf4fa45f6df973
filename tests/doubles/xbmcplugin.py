"""Fake xbmcplugin: records directory items, endOfDirectory and setResolvedUrl."""

from __future__ import annotations

from typing import Any, List, Tuple

from kodistate import STATE

SORT_METHOD_NONE = 0
SORT_METHOD_LABEL = 1
SORT_METHOD_DATE = 3
SORT_METHOD_VIDEO_YEAR = 18
SORT_METHOD_UNSORTED = 40


def _check_handle(handle: int) -> None:
    if not isinstance(handle, int) or handle < 0:
        raise ValueError(f"invalid plugin handle {handle!r}")


def addDirectoryItem(
    handle: int, url: str, listitem: Any, isFolder: bool = False, totalItems: int = 0
) -> bool:
    _check_handle(handle)
    STATE.directory.append((handle, url, listitem, isFolder))
    return True


def addDirectoryItems(handle: int, items: List[Tuple[str, Any, bool]], totalItems: int = 0) -> bool:
    for url, listitem, is_folder in items:
        addDirectoryItem(handle, url, listitem, is_folder)
    return True


def endOfDirectory(
    handle: int, succeeded: bool = True, updateListing: bool = False, cacheToDisc: bool = True
) -> None:
    _check_handle(handle)
    STATE.ended.append(
        {
            "handle": handle,
            "succeeded": succeeded,
            "updateListing": updateListing,
            "cacheToDisc": cacheToDisc,
        }
    )


def setContent(handle: int, content: str) -> None:
    _check_handle(handle)
    STATE.content.append((handle, content))


def setPluginCategory(handle: int, category: str) -> None:
    _check_handle(handle)


def addSortMethod(handle: int, sortMethod: int, labelMask: str = "", label2Mask: str = "") -> None:
    _check_handle(handle)


def setResolvedUrl(handle: int, succeeded: bool, listitem: Any) -> None:
    _check_handle(handle)
    STATE.resolved.append((handle, succeeded, listitem))
