"""Reading a request before any upgrade: each header at most once and bounded, or a 400.

A request comes from anyone who can reach the hub, so every part of it is
read as hostile. websockets keeps headers in a multidict whose ``get`` and
``[]`` raise `MultipleValuesError` when a name is sent twice: a header read
that way turns one doubled ``Host:`` into a 500 and a traceback in the log.
So the hub reads headers only through `header`, which answers a doubled or
oversized one with a 400 and one line, as RFC 9112 §3.2 asks for a doubled
Host. websockets reads its own (``Upgrade``, ``Sec-WebSocket-*``) and refuses
those itself, with a 400 or 426.
"""

from __future__ import annotations

from http import HTTPStatus

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Response

HEADER_LIMIT = 1024
"""Characters a header the hub reads may have; websockets already cuts any line at 8 KiB."""


class HttpError(Exception):
    """A request refused before the upgrade: an HTTP status, one line, any headers it needs."""

    def __init__(self, status: HTTPStatus, text: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.headers = headers or {}


def header(headers: Headers, name: str, limit: int = HEADER_LIMIT) -> str | None:
    """The one value of header ``name``, or None when it is absent; HttpError 400 if sent twice or too long.

    Twice is refused rather than one of them picked: two parts of a chain
    (a proxy, the hub) could each pick another, and no honest client sends
    a Host or an Authorization twice.
    """
    values = headers.get_all(name)
    if not values:
        return None
    if len(values) > 1:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"the {name} header is sent {len(values)} times: send it once")
    if len(values[0]) > limit:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"the {name} header is longer than {limit:,} characters")
    return values[0]


def refusal(connection: ServerConnection, exc: HttpError) -> Response:
    """The plain HTTP answer to a refused request: its status, its one line, its headers."""
    response = connection.respond(exc.status, exc.text + "\n")
    for name, value in exc.headers.items():
        response.headers[name] = value
    return response
