"""Every user-visible string comes from strings.po through :func:`localize`."""

from __future__ import annotations

from typing import Any

import xbmcaddon

from resources.lib.constants import ADDON_ID

_addon = None


def _get_addon() -> Any:
    global _addon
    if _addon is None:
        _addon = xbmcaddon.Addon(ADDON_ID)
    return _addon


def localize(string_id: int, **kwargs: Any) -> str:
    """The translated string `string_id`, with `{name}` placeholders filled from `kwargs`.

    A placeholder without a value is left as written rather than raising: a translator's typo
    must never crash a dialog.
    """
    text = _get_addon().getLocalizedString(string_id)
    if not kwargs:
        return text
    try:
        return text.format(**kwargs)
    except (KeyError, IndexError, ValueError):
        return text
