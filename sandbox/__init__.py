"""Local Trakt API sandbox: a development tool (never shipped) that imitates Trakt over loopback.

Start it with ``python -m sandbox --account small`` or in-process with
``sandbox.server.Sandbox``. See ``sandbox/README.md``.
"""
