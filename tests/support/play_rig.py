"""What the play-route tests share: a Breaking Bad episode's play parameters and the fake
ListItem with the playback setters Kodi's has (the doubles' ListItem lacks them)."""

from __future__ import annotations

import xbmcgui

EPISODE = {"type": "episode", "trakt": "70", "show": "9", "show_imdb": "tt0903747",
           "season": "1", "episode": "1", "title": "Pilot", "show_title": "Breaking Bad",
           "runtime": "58"}  # fmt: skip


class PlayableListItem(xbmcgui.ListItem):
    """The fake ListItem plus the playback setters Kodi has."""

    def setMimeType(self, value: str) -> None:  # noqa: N802
        self.mime = value

    def setContentLookup(self, value: bool) -> None:  # noqa: N802
        self.content_lookup = value

    def setSubtitles(self, values) -> None:  # noqa: N802
        self.subtitles = list(values)

    def __str__(self) -> str:  # what the fake select dialog records
        return self.label + " / " + self.label2
