"""Builds the core objects (TokenStore, TraktClient, TraktSyncDatabase) from Kodi settings.

The core never reads Kodi settings itself: this module is where settings and paths become
constructor arguments. Everything is built lazily, so a plugin view that only reads the database
never constructs an HTTP client, and nothing here touches the network.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Callable, Optional, Tuple

from resources.lib.kodi.paths import Paths, get_paths
from resources.lib.kodi.settings import Settings, load_settings

if TYPE_CHECKING:  # pragma: no cover
    from resources.lib.database.trakt_sync import TraktSyncDatabase
    from resources.lib.trakt.protocols import TraktApi
    from resources.lib.trakt.tokens import TokenStore

log = logging.getLogger(__name__)

ShouldAbort = Optional[Callable[[], bool]]


def _client_credentials(settings: Settings) -> Tuple[str, str]:
    """The client id/secret of the user's own Trakt API app (Settings -> Trakt). There is no
    built-in app: both are empty until the user enters them (see ``client_configured``)."""
    return settings.trakt_client_id.strip(), settings.trakt_client_secret.strip()


class AddonContext:
    """The settings snapshot, paths and lazily built core objects of one interpreter."""

    def __init__(
        self,
        settings: Optional[Settings] = None,
        paths: Optional[Paths] = None,
        should_abort: ShouldAbort = None,
    ) -> None:
        self.settings = settings if settings is not None else load_settings()
        self.paths = paths if paths is not None else get_paths()
        self.should_abort = should_abort
        self._store: Optional[TokenStore] = None
        self._client: Optional[TraktApi] = None
        self._db: Optional[TraktSyncDatabase] = None
        self._no_client_logged = False

    @property
    def store(self) -> TokenStore:
        if self._store is None:
            from resources.lib.trakt.tokens import TokenStore

            self._store = TokenStore(self.paths.token_path)
        return self._store

    @property
    def client(self) -> TraktApi:
        if self._client is None:
            from resources.lib.trakt.client import TraktClient

            client_id, client_secret = _client_credentials(self.settings)
            self._client = TraktClient(
                client_id,
                client_secret,
                token_store=self.store,
                api_url=self.settings.api_url(),
                oauth_url=self.settings.oauth_url(),
                should_abort=self.should_abort,
            )
        return self._client

    @property
    def db(self) -> TraktSyncDatabase:
        if self._db is None:
            from resources.lib.database.trakt_sync import TraktSyncDatabase

            self._db = TraktSyncDatabase(self.paths.db_path)
            if self._db.recovered:
                announce_recovery(self._db.recovered)
        return self._db

    def reopen_db(self) -> None:
        """Close the database; the next ``db`` access opens the file now at the path (after
        another process moved a corrupt file aside and created a new one)."""
        db, self._db = self._db, None
        if db is not None:
            try:
                db.close()
            except Exception:
                log.debug("Closing the replaced database failed", exc_info=True)

    def client_configured(self) -> bool:
        """True when both the Trakt client id and secret are set (no request is made without)."""
        client_id, client_secret = _client_credentials(self.settings)
        return bool(client_id and client_secret)

    def is_authorised(self) -> bool:
        """Tokens present and not marked for re-authorisation (a file read, no network); without
        a client id and secret nothing may talk to Trakt, so that counts as not authorised."""
        if not self.client_configured():
            if not self._no_client_logged:
                self._no_client_logged = True
                client_id, client_secret = _client_credentials(self.settings)
                # A new install has neither (normal: the lists and Authorise Trakt guide the
                # user); only one of the two is a setup mistake worth a warning.
                level = logging.WARNING if (client_id or client_secret) else logging.INFO
                log.log(
                    level,
                    "No Trakt client id/secret configured (Settings > Trakt): "
                    "Trakt is treated as not authorised",
                )
            return False
        try:
            return self.store.load() is not None and not self.store.needs_reauth()
        except Exception:  # an unreadable token file means "not authorised", never a crash
            log.warning("Could not read the Trakt token file", exc_info=True)
            return False

    def close(self) -> None:
        """Close the database (the client holds no resources that outlive a request)."""
        db, self._db = self._db, None
        if db is not None:
            try:
                db.close()
            except Exception:
                log.debug("Closing the database failed", exc_info=True)
        client, self._client = self._client, None
        closer = getattr(client, "close", None)
        if callable(closer):
            try:
                closer()
            except Exception:
                log.debug("Closing the Trakt client failed", exc_info=True)


def announce_recovery(moved_to: str) -> bool:
    """Tell the user once, across Kodi's interpreters, that a corrupt database was replaced.

    Whichever process recovers records the moved-aside path in the home window property
    ``aiostreams.db_recovered``; a notification is shown only if the property did not already
    hold this path. Returns True when this call notified.
    """
    from resources.lib.kodi import dialogs, strings, window
    from resources.lib.kodi.localize import localize

    moved_to = str(moved_to)
    try:
        if window.get_text(window.DB_RECOVERED) == moved_to:
            return False
        window.set_text(window.DB_RECOVERED, moved_to)
    except Exception:
        log.debug("Could not read or set the recovery property", exc_info=True)
    log.warning("The database was corrupt and has been recreated (old file: %s)", moved_to)
    dialogs.notification(localize(strings.DATABASE_RECOVERED), icon=dialogs.WARNING)
    return True


def build_context(
    settings: Optional[Settings] = None,
    paths: Optional[Paths] = None,
    should_abort: ShouldAbort = None,
) -> AddonContext:
    """A context for this interpreter (service, plugin call or script call)."""
    return AddonContext(settings=settings, paths=paths, should_abort=should_abort)
