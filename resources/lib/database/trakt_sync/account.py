"""Which Trakt account the mirror belongs to, and the wipe when it changes.

``GET /users/settings`` costs a request, so it is asked only when the account may have changed:
no account stored yet (first sync), ``account.settings_at`` moved (rename, settings change), or
most categories moved at once (what signing in with another account looks like). The wipe and
the new account's name are committed together, before any of the new account's data.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any, Dict, Optional, Set

from ..connection import write_transaction
from . import lease
from .context import SyncContext
from .items import MalformedItem, as_dict, as_str

log = logging.getLogger(__name__)

SETTINGS_PATH = "/users/settings"
USER_DATA_TABLES = (
    "episodes",
    "shows",
    "movies",
    "watchlist",
    "bookmarks",
    "hidden",
    "collection",
    "ratings",
    "trakt_list_items",
    "trakt_lists",
    "activities",
)
# Moving this many categories in one go looks like another account: check who we are.
SUSPICIOUS_CATEGORY_COUNT = 4


def get_meta(conn: sqlite3.Connection, key: str) -> Optional[str]:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _settings_at(activities: Dict[str, Any]) -> Optional[str]:
    return as_str(as_dict(activities.get("account")).get("settings_at"))


def needs_check(
    conn: sqlite3.Connection, activities: Dict[str, Any], changed_categories: Set[str]
) -> bool:
    if get_meta(conn, "trakt_user") is None:
        return True
    if get_meta(conn, "account_settings_at") != _settings_at(activities):
        return True
    return len(changed_categories) >= SUSPICIOUS_CATEGORY_COUNT


def _identity(settings: Any) -> Dict[str, Optional[str]]:
    user = as_dict(as_dict(settings).get("user"))
    ids = as_dict(user.get("ids"))
    slug = as_str(ids.get("slug")) or as_str(user.get("username"))
    if not slug:
        raise MalformedItem("users/settings without a user slug")
    return {"slug": slug, "uuid": as_str(ids.get("uuid")), "username": as_str(user.get("username"))}


def check_and_switch(
    conn: sqlite3.Connection, ctx: SyncContext, activities: Dict[str, Any], owner: str
) -> bool:
    """Store the current account; wipe the old one's data if it differs. True if wiped."""
    who = _identity(ctx.client.get(SETTINGS_PATH))
    with write_transaction(conn):
        lease.assert_lease(conn, owner)
        switched = _store_identity(conn, who)
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('account_settings_at', ?)",
            (_settings_at(activities),),
        )
    return switched


def adopt_account(conn: sqlite3.Connection, settings: Any) -> bool:
    """Called right after a successful authorisation with its ``/users/settings`` answer.

    Signing in as another Trakt user wipes the previous user's mirror AND its queued local
    changes at once, so nothing of theirs is shown, or pushed to the new account. Signing in
    again as the same user keeps both. True if a wipe happened.
    """
    who = _identity(settings)
    with write_transaction(conn):
        return _store_identity(conn, who)


def _store_identity(conn: sqlite3.Connection, who: Dict[str, Optional[str]]) -> bool:
    """Inside a write transaction: record ``who``; wipe the old account's rows if it differs."""
    stored_slug = get_meta(conn, "trakt_user")
    stored_uuid = get_meta(conn, "trakt_user_uuid")
    if stored_uuid and who["uuid"]:
        same = stored_uuid == who["uuid"]
    else:
        same = stored_slug == who["slug"]
    switched = stored_slug is not None and not same
    if switched:
        slugs = (stored_slug, who["slug"])
        log.warning("Trakt account changed (%s -> %s): wiping local data", *slugs)
        for table in USER_DATA_TABLES + ("outbox",):
            conn.execute(" ".join(("DELETE FROM", table)))  # fixed names only
    for key, value in (
        ("trakt_user", who["slug"]),
        ("trakt_user_uuid", who["uuid"]),
        ("trakt_username", who["username"]),
    ):
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
    return switched
