"""Scrobbling to Trakt: a Kodi-free core the service's player monitor drives.

Modules:
    media          what is playing (``MediaRef``), the plugin -> service hand-off (``NowPlaying``)
    state          ``Scrobbler``: a pure state machine from player events to start/pause/stop
    resume         resume points from Trakt progress, placeholder-clip detection
    sender         ``ScrobbleSender``: actions -> ``TraktClient.post('/scrobble/...')``
    pending        a scrobble that could not be sent, as a write to keep (``PendingItem``)
    queue          ``ScrobbleQueue``: pending writes in the sync database's ``outbox``
    legacy_outbox  the JSON outbox of earlier versions, moved into the ``outbox`` once
    inflight       the crash journal of the playback in flight
    worker         ``ScrobbleWorker``: the thread turning player events into scrobbles
    playback       ``PlaybackScrobbling``: the worker, client, outbox and journal wired
"""
