"""Trakt -> Upcoming and Trakt -> Recently Watched, read from the local mirror.

Upcoming lists the episodes of the shows the user watches that air in the next 14 days
(``db.upcoming()``), grouped by the day they air in the device's time zone
(``browse.upcoming_days``). In a folder each day gets a heading item that does nothing; in a
widget (``window.called_as_widget``), where a heading would look like an episode, the day goes
into each episode's label instead. An episode that has not aired is shown as the season pages
show one: grey, with its air time, and not playable; its context menu opens the show page.

Recently Watched lists the last 50 plays (``db.recently_watched()``), newest first, each item
playable through the play route like Next Up's. Both label an episode as Next Up does, write
times of day as the region setting does (``kodi.region``), get art from the meta cache
(``views_trakt.with_art``) and the user's ratings from the mirror (``list_ratings``), and open
no dialog, so both work as home-screen widgets.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Optional

from resources.lib.browse import upcoming_days
from resources.lib.database.trakt_sync.items import as_int
from resources.lib.kodi import region, strings, window
from resources.lib.kodi.context import AddonContext
from resources.lib.kodi.directory import Item
from resources.lib.kodi.localize import localize
from resources.lib.plugin import list_ratings, views, views_trakt
from resources.lib.plugin.urls import url_for

DIM = "FF808080"  # not aired yet: grey, as the season pages show unaired episodes


def _upcoming_item(airing: upcoming_days.Airing, day: str, widget: bool) -> Item:
    row = airing.row
    item = views.episode_item(row, not_playable="not_aired")
    clock = region.format_time(airing.local)  # as the user's region setting writes it
    episode = item.label  # the episode as Next Up and In Progress label it
    if widget:
        label = localize(strings.UPCOMING_WIDGET_ENTRY, day=day, time=clock, episode=episode)
    else:
        label = localize(strings.UPCOMING_ENTRY, time=clock, episode=episode)
    item.label = f"[COLOR {DIM}]{label}[/COLOR]"
    item.playcount = None
    item.label2 = day
    item.first_aired = airing.local.strftime("%Y-%m-%d")
    from resources.lib.plugin.context_menu import show_page_entry

    entries = show_page_entry(row.get("show_imdb_id"))
    item.context_menu = [(localize(label_id), cmd) for label_id, cmd in entries]
    return item


def upcoming_items(
    ctx: AddonContext, rows: List[Dict[str, Any]], now: float, widget: bool
) -> List[Item]:
    """The items of Upcoming: a heading per day (not in a widget), then that day's episodes."""
    days = upcoming_days.group_by_day(rows, now)
    items: List[Item] = []
    listed_rows: List[Dict[str, Any]] = []
    listed: List[Item] = []
    for day in days:
        name = upcoming_days.heading(day, localize)
        if not widget:
            items.append(Item(f"[B]{name}[/B]", url_for("noop", reason="day")))
        for airing in day.airings:
            item = _upcoming_item(airing, name, widget)
            items.append(item)
            listed_rows.append(airing.row)
            listed.append(item)
    views_trakt.with_art(ctx, listed_rows, listed)  # fills the items in place
    list_ratings.with_ratings(ctx.db, listed_rows, listed)  # the same: one read for the list
    return items


def upcoming(handle: int, params: Optional[Dict[str, str]] = None) -> None:
    widget = window.called_as_widget(params or {})

    def read(ctx: AddonContext) -> List[Item]:
        return upcoming_items(ctx, ctx.db.upcoming(), time.time(), widget)

    views.list_view(handle, strings.UPCOMING, "episodes", read, strings.UPCOMING_EMPTY)


def _watched_at(row: Dict[str, Any]) -> str:
    """The play's time in the local zone, ``2026-12-06 9:05 PM`` (the time of day as the
    region setting writes it)."""
    watched = upcoming_days.local_time(row.get("last_watched_at"))
    return watched.strftime("%Y-%m-%d ") + region.format_time(watched) if watched else ""


def recent_item(row: Dict[str, Any]) -> Item:
    if row.get("type") == "episode":
        item = views.episode_item(row)  # labelled as Next Up labels an episode
    else:
        item = views.movie_item(row)
    item.playcount = as_int(row.get("plays")) or 1
    item.label2 = _watched_at(row)
    return views.with_menu(item, row, "recent")


def recently_watched(handle: int, params: Optional[Dict[str, str]] = None) -> None:
    def read(ctx: AddonContext) -> List[Item]:
        rows = ctx.db.recently_watched()
        items = views_trakt.with_art(ctx, rows, [recent_item(row) for row in rows])
        return list_ratings.with_ratings(ctx.db, rows, items)  # one read for the list

    views.list_view(
        handle, strings.RECENTLY_WATCHED, "videos", read, strings.RECENTLY_WATCHED_EMPTY
    )


__all__ = ["recent_item", "recently_watched", "upcoming", "upcoming_items"]
