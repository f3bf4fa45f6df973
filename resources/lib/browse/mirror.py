"""The Trakt mirror's state for browse pages, read through the ``TraktSyncDatabase`` facade.

Items arrive named by IMDb id; :class:`MirrorReads` is the part of the facade this package uses
(``states_by_imdb``, ``show_id_by_imdb``, ``episode_states`` and ``show_progress``, whose
``next_episode`` is Next Up's rule, kept in one place in ``trakt_sync/queries.py``). Without a
mirror (Trakt not authorised) every mark is :data:`records.NO_MARK`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Optional, Protocol, Tuple

from .records import NO_MARK, Mark


class MirrorReads(Protocol):
    def states_by_imdb(self, imdb_ids: Any) -> Dict[str, Dict[str, Any]]: ...

    def show_id_by_imdb(self, imdb_id: str) -> Optional[int]: ...

    def episode_states(self, show_id: int) -> Dict[str, Any]: ...

    def show_progress(self, show_id: int) -> Optional[Dict[str, Any]]: ...


def item_marks(mirror: Optional[MirrorReads], imdb_ids: Iterable[Optional[str]]) -> Dict[str, Mark]:
    """Marks of movies and shows by IMDb id (one batch of reads); unknown ids are absent."""
    wanted = [imdb for imdb in imdb_ids if imdb]
    if mirror is None or not wanted:
        return {}
    marks: Dict[str, Mark] = {}
    for imdb, state in mirror.states_by_imdb(wanted).items():
        if state.get("type") == "show":
            aired, completed = state.get("aired"), int(state.get("completed") or 0)
            marks[imdb] = Mark(
                playcount=int(state.get("plays") or 0),
                watched=bool(aired) and completed >= int(aired or 0),
                in_watchlist=bool(state.get("in_watchlist")),
                completed=completed,
                aired=aired,
                trakt_id=state.get("trakt_id"),
                rating=state.get("rating"),
            )
        else:
            plays = int(state.get("plays") or 0)
            marks[imdb] = Mark(
                playcount=plays,
                watched=plays > 0,
                resume_percent=float(state.get("progress") or 0.0),
                in_watchlist=bool(state.get("in_watchlist")),
                trakt_id=state.get("trakt_id"),
                rating=state.get("rating"),
            )
    return marks


@dataclass(frozen=True)
class ShowMarks:
    """One show's episodes as the mirror knows them."""

    show_id: Optional[int] = None
    episodes: Dict[Tuple[int, int], Mark] = field(default_factory=dict)
    next_up: Optional[Tuple[int, int]] = None
    season_ratings: Dict[int, int] = field(default_factory=dict)

    def mark(self, season: int, number: int) -> Mark:
        found = self.episodes.get((season, number))
        if found is not None:
            return found
        return Mark(next_up=True) if self.next_up == (season, number) else NO_MARK


def show_marks(mirror: Optional[MirrorReads], imdb_id: Optional[str]) -> ShowMarks:
    """Watched state, play count and resume point per episode, and the Next Up episode."""
    if mirror is None or not imdb_id:
        return ShowMarks()
    show_id = mirror.show_id_by_imdb(imdb_id)
    if show_id is None:
        return ShowMarks()
    states = mirror.episode_states(show_id)
    next_up: Optional[Tuple[int, int]] = None
    if not states.get("hidden"):  # hidden from Next Up: Next Up would not play it
        progress = mirror.show_progress(show_id) or {}
        following = progress.get("next_episode")
        if following:
            next_up = (int(following["season"]), int(following["number"]))
    resume = states.get("resume") or {}
    played = states.get("episodes") or {}
    rated = states.get("ratings") or {}
    marks: Dict[Tuple[int, int], Mark] = {}
    for key in set(played) | set(resume) | set(rated) | ({next_up} if next_up else set()):
        state = played.get(key) or {}
        marks[key] = Mark(
            playcount=int(state.get("plays") or 0),
            watched=bool(state.get("counted")) and int(state.get("plays") or 0) > 0,
            resume_percent=float(resume.get(key) or 0.0),
            next_up=key == next_up,
            rating=rated.get(key),
        )
    return ShowMarks(show_id, marks, next_up, dict(states.get("season_ratings") or {}))
