"""A local AIOStreams look-alike for tests and demos (dev only, never shipped).

``python -m aiostreams_sandbox [--port N]`` or in-process::

    from aiostreams_sandbox.server import AIOStreamsSandbox
    sb = AIOStreamsSandbox(port=0); sb.start(); sb.manifest_url; ...; sb.stop()
"""
