"""The hub's read-only web page: a fixed map of static files, and the headers that keep it safe.

    /               the board: every election on the hub (static/board.html)
    /e/{id}         one count, as the dashboard shows it (static/count.html)
    /static/...     the one stylesheet, the one script, the icon

The page is plain files shipped in the package: no build step, nothing
fetched from any other host. It lays out the presentation model the hub
sends in each ``/board`` row (`tally.present`); the rules and words stay in Python.
It cannot publish: no token ever reaches it, and the publish path needs one.

The page speaks its reader's language: ``?lang=es``, else the browser's
``Accept-Language`` (`tally.lang.from_accept_language`). Its HTML files hold
``{{name}}`` places for the words of `tally.present.PAGE_WORDS`, filled (HTML-
escaped) once per language; ``<html lang>`` tells the script which model of a
row to lay out (rows carry one per language read, `tally.summary.with_languages`).

Every response carries a Content-Security-Policy that lets the page load
scripts, styles and images from the hub only and connect only to the hub
(its ws:// and wss:// origin), ``X-Content-Type-Options: nosniff`` and the
file's exact Content-Type. Only GET and HEAD are answered; paths are looked
up in a fixed map, so no request can name any other file.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import re
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from feeds.hub.headers import header
from tally.lang import from_accept_language, language_of, use
from tally.present import page_words

STATIC = Path(__file__).resolve().with_name("static")
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
FILES = {
    "/": "board.html",
    "/static/tally.css": "tally.css",
    "/static/tally.js": "tally.js",
    "/static/icon.svg": "icon.svg",
}
COUNT_PAGE = re.compile(r"/e/[a-z0-9][a-z0-9-]{0,63}")  # the header's id pattern (tally/schema.py)
HOST = re.compile(r"(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")
"""A Host header fit to be named in the policy: a name or an IP, and a port."""
METHODS = ("GET", "HEAD")
PLACE = re.compile(r"\{\{([a-z_]+)\}\}")


def policy(host: str | None) -> str:
    """The Content-Security-Policy: everything from the hub itself, nothing from anywhere else.

    ``connect-src 'self'`` covers the hub's own ws:// origin in current
    browsers; the origin is named as well for those that read CSP level 2.
    A Host header that is not a plain host[:port] is left out, not echoed.
    """
    connect = "'self'"
    if host and HOST.fullmatch(host):
        connect += f" ws://{host} wss://{host}"
    return ("default-src 'none'; script-src 'self'; style-src 'self'; "
            f"connect-src {connect}; img-src 'self'; base-uri 'none'; form-action 'none'")


class Pages:
    """The page's files, read once at start, and the responses that serve them."""

    def __init__(self, static: Path = STATIC) -> None:
        self.files = {name: (static / name).read_bytes() for name in
                      {*FILES.values(), "count.html"}}

    def file_for(self, path: str) -> str | None:
        """The static file a path names, or None when it is not a page path."""
        if path in FILES:
            return FILES[path]
        if COUNT_PAGE.fullmatch(path):
            return "count.html"
        return None

    def respond(self, connection: ServerConnection, request: Request) -> Response | None:
        """The response to a page request, or None when the path is not one of the page's.

        HttpError 400 for a Host sent twice or too long (`header`).
        """
        name = self.file_for(request.path.partition("?")[0])
        if name is None:
            return None
        headers = {"Content-Security-Policy": policy(header(request.headers, "Host")),
                   "X-Content-Type-Options": "nosniff",
                   "Referrer-Policy": "no-referrer",
                   "Cache-Control": "no-cache"}
        if request.method not in METHODS:
            return respond(connection, HTTPStatus.METHOD_NOT_ALLOWED,
                           f"{request.method} is not allowed here\n".encode(),
                           {**headers, "Allow": ", ".join(METHODS),
                            "Content-Type": "text/plain; charset=utf-8"})
        body = self.files[name]
        if name.endswith(".html"):
            # a list header: two of them are one list (RFC 9110 §5.3), not a request to refuse
            accept = ",".join(request.headers.get_all("Accept-Language"))
            lang = reader_language(request.path.partition("?")[2], accept)
            body = self.page(name, lang)
            headers.update({"Content-Language": lang, "Vary": "Accept-Language"})
        headers["Content-Type"] = TYPES[Path(name).suffix]
        return respond(connection, HTTPStatus.OK, body, headers, head=request.method == "HEAD")


    @functools.lru_cache(maxsize=16)
    def page(self, name: str, lang: str) -> bytes:
        """An HTML file with its words in `lang` (`tally.present.page_words`), made once per language."""
        with use(lang):
            words = page_words()
        return PLACE.sub(lambda m: html.escape(words[m[1]]), self.files[name].decode()).encode()


def reader_language(query: str, accept: str | None) -> str:
    """The page's language: ``?lang=`` when it names one tally speaks, else the browser's."""
    asked = parse_qs(query).get("lang", [""])[0]
    return language_of(asked) or from_accept_language(accept)


def respond(connection: ServerConnection, status: HTTPStatus, body: bytes,
            headers: dict[str, str], head: bool = False) -> Response:
    """A plain HTTP response with exactly these headers (each once) and Content-Length."""
    response = connection.respond(status, "")
    for name, value in {**headers, "Content-Length": str(len(body))}.items():
        if name in response.headers:
            del response.headers[name]  # Headers is a multidict: setting would add a second one
        response.headers[name] = value
    return dataclasses.replace(response, body=b"" if head else body)
