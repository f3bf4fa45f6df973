"""The next episode as Up Next hands it on: the play route's URL, the Stremio id the play route
will ask AIOStreams for, and the episode playing now in the next one's shape (service.upnext)."""

from __future__ import annotations

from typing import Any


def next_play_url(episode: Any, **extra: Any) -> str:
    """The play route's URL for ``episode`` (a NextEpisode), as the lists build it."""
    from resources.lib.plugin.urls import play_url

    ids, show = episode.ids or {}, episode.show_ids or {}
    return play_url(
        type="episode",
        trakt=ids.get("trakt"),
        imdb=ids.get("imdb"),
        tmdb=ids.get("tmdb"),
        show=show.get("trakt") or episode.show_id,
        show_imdb=show.get("imdb"),
        show_tmdb=show.get("tmdb"),
        season=episode.season,
        episode=episode.number,
        title=episode.title or None,
        show_title=episode.show_title or None,
        runtime=episode.runtime,
        **extra,
    )


def stremio_id_of(episode: Any) -> str:
    """The Stremio id the play route will ask for (the same rule: PlayRequest's)."""
    from resources.lib.plugin.play_request import PlayRequest

    show = episode.show_ids or {}
    imdb = str(show.get("imdb") or "")
    request = PlayRequest(kind="episode", show_imdb=imdb if imdb.startswith("tt") else "",
                          show_tmdb=show.get("tmdb"), season=episode.season,
                          episode=episode.number)  # fmt: skip
    return request.stremio_id()


def current_episode(now_playing: Any, following: Any) -> Any:
    """The episode playing now, in the next episode's shape (what service.upnext shows)."""
    from resources.lib.database.trakt_sync.next_episode_rule import NextEpisode

    media = now_playing.media
    return NextEpisode(
        show_id=following.show_id,
        show_ids=dict(following.show_ids or {}),
        show_title=following.show_title,
        season=int(media.season or 0),
        number=int(media.number or 0),
        title=now_playing.title,
        ids=dict(media.ids),
        first_aired="",
        runtime=following.runtime,
    )


__all__ = ["current_episode", "next_play_url", "stremio_id_of"]
