"""The hub (`tally serve`): elections published once, watched by many.

    server.py      the WebSocket/HTTP protocol (docs/PROTOCOL.md) and the elections in memory
    store.py       the interface of where elections are kept: load, append atomically, follow
    filestore.py   DIR/<id>.jsonl, fsync'd, one hub per directory (the default)
    redisstore.py  one Redis stream per election, shared by any number of hubs (--store redis://)

The rest of tally (the CLI, the tests) imports the hub from here.
"""

from feeds.hub.server import Election, HttpError, Hub, bound_port, route, run_hub

__all__ = ["Election", "HttpError", "Hub", "bound_port", "route", "run_hub"]
