"""Modal dialogs and notifications, with Kodi 19+ signatures only.

``yesno`` passes its button labels as keywords: since Kodi 19 extra positional strings are
taken as button labels (a defect of the upstream add-on).
"""

from __future__ import annotations

from typing import Optional, Sequence

import xbmcgui

from resources.lib.kodi import strings
from resources.lib.kodi.localize import localize

INFO = "info"
WARNING = "warning"
ERROR = "error"
_ICONS = {
    INFO: xbmcgui.NOTIFICATION_INFO,
    WARNING: xbmcgui.NOTIFICATION_WARNING,
    ERROR: xbmcgui.NOTIFICATION_ERROR,
}


def _heading(heading: Optional[str]) -> str:
    return heading if heading is not None else localize(strings.ADDON_NAME)


def ok(message: str, heading: Optional[str] = None) -> None:
    xbmcgui.Dialog().ok(_heading(heading), message)


def yesno(
    message: str,
    heading: Optional[str] = None,
    yeslabel: Optional[str] = None,
    nolabel: Optional[str] = None,
) -> bool:
    """Ask a question; True when the user chose the "yes" button."""
    kwargs = {}
    if yeslabel:
        kwargs["yeslabel"] = yeslabel
    if nolabel:
        kwargs["nolabel"] = nolabel
    return bool(xbmcgui.Dialog().yesno(_heading(heading), message, **kwargs))


def notification(
    message: str, heading: Optional[str] = None, icon: str = INFO, time_ms: int = 5000
) -> None:
    """A toast that never beeps (it may appear while something plays)."""
    xbmcgui.Dialog().notification(
        _heading(heading), message, _ICONS.get(icon, xbmcgui.NOTIFICATION_INFO), time_ms, False
    )


def select(options: Sequence[str], heading: Optional[str] = None) -> int:
    """Pick one of `options`; -1 when cancelled."""
    return int(xbmcgui.Dialog().select(_heading(heading), list(options)))


def ask_text(heading: str, default: str = "", hidden: bool = False) -> Optional[str]:
    """Kodi's keyboard; the typed text without surrounding spaces, None when cancelled.

    Kodi answers Cancel with "", so an empty entry counts as cancelled too. ``hidden`` shows
    dots instead of the text (for secrets).
    """
    option = xbmcgui.ALPHANUM_HIDE_INPUT if hidden else 0
    text = xbmcgui.Dialog().input(
        heading, defaultt=default, type=xbmcgui.INPUT_ALPHANUM, option=option
    )
    text = (text or "").strip()
    return text or None


def textviewer(text: str, heading: Optional[str] = None) -> None:
    xbmcgui.Dialog().textviewer(_heading(heading), text)


def lines(*parts: str) -> str:
    """Join lines for a dialog body ([CR] is Kodi's line break in labels)."""
    return "[CR]".join(part for part in parts if part)
