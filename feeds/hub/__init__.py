"""The hub (`tally serve`): elections published once, watched by many.

    server.py   the WebSocket/HTTP protocol (docs/PROTOCOL.md) and the elections in memory

The rest of tally (the CLI, the tests) imports the hub from here.
"""

from feeds.hub.server import Election, HttpError, Hub, bound_port, route, run_hub

__all__ = ["Election", "HttpError", "Hub", "bound_port", "route", "run_hub"]
