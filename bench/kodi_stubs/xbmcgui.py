"""Minimal ``xbmcgui``: a ListItem that accepts every setter, windows with properties."""

NOTIFICATION_INFO, NOTIFICATION_WARNING, NOTIFICATION_ERROR = "info", "warning", "error"
INPUT_ALPHANUM, ALPHANUM_HIDE_INPUT = 0, 2


def _noop(*args, **kwargs):
    return None


class _InfoTag:
    def __getattr__(self, name):
        return _noop


class ListItem:
    def __init__(self, label="", label2="", path="", offscreen=False):
        self._tag = _InfoTag()

    def getVideoInfoTag(self):
        return self._tag

    def __getattr__(self, name):
        return _noop


class Window:
    _PROPS = {}

    def __init__(self, window_id=10000):
        pass

    def getProperty(self, key):
        return self._PROPS.get(key, "")

    def setProperty(self, key, value):
        self._PROPS[key] = value

    def clearProperty(self, key):
        self._PROPS.pop(key, None)


class Dialog:
    def __getattr__(self, name):
        return _noop


class DialogProgress(Dialog):
    pass


class DialogProgressBG(Dialog):
    pass
