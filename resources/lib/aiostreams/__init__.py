"""AIOStreams: a Kodi-free client for a user's own AIOStreams instance (Stremio protocol).

Modules:
    errors    typed errors: a ``code`` the front end localizes, a plain ``user_message``
    manifest  parse a manifest URL, test a connection
    http      abortable HTTP and the request spacer that keeps us under the instance's rate limits
    client    fetch streams for a movie or an episode
    streams   the stream model: classification, streamData parsing, Kodi URL, subtitles
    ranking   user preferences: hide uncached, preferred max resolution, autoplay, labels
"""
