"""Scrobbling to Trakt: a Kodi-free core the service's player monitor drives.

Modules:
    media    what is playing (``MediaRef``) and the plugin -> service hand-off (``NowPlaying``)
    state    ``Scrobbler``: a pure state machine from player events to start/pause/stop actions
    resume   resume points from Trakt progress, placeholder-clip detection
    outbox   failed scrobbles kept for later; a missed >= 80 % stop becomes one history entry
    sender   ``ScrobbleSender``: actions -> ``TraktClient.post('/scrobble/...')``
"""
