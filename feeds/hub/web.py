"""The hub's read-only web page: a fixed map of static files, and the headers that keep it safe.

    /               the board: every election on the hub (static/board.html)
    /e/{id}         one count, as the dashboard shows it (static/count.html), with its
                    link preview tags (Open Graph, Twitter) when the hub has the count
    /overlay/{id}   one count as a lower third over a video (static/overlay.html: OBS's
                    "browser source"), transparent around it
    /card/{id}.png  the count as a 1200×630 picture, the preview's image (cards.py)
    /static/...     the stylesheets, the one script, the icon

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
from typing import Awaitable, Callable
from urllib.parse import parse_qs

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from feeds.hub.headers import HttpError, header, refusal
from tally.lang import ENGLISH, current, from_accept_language, language_of, use
from tally.present import page_words, preview_description, preview_site, preview_title
from tally.reducer import Snapshot
from tally.text import literal

STATIC = Path(__file__).resolve().with_name("static")
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
FILES = {
    "/": "board.html",
    "/static/tally.css": "tally.css",
    "/static/overlay.css": "overlay.css",
    "/static/tally.js": "tally.js",
    "/static/icon.svg": "icon.svg",
}
COUNT_PAGE = re.compile(r"/e/(?P<id>[a-z0-9][a-z0-9-]{0,63})")  # the header's id pattern (tally/schema.py)
OVERLAY_PAGE = re.compile(r"/overlay/[a-z0-9][a-z0-9-]{0,63}")
CARD_PATH = re.compile(r"/card/(?P<id>[a-z0-9][a-z0-9-]{0,63})\.png")
PREVIEW_SLOT = b"<!-- the link preview's tags (web.preview_tags) -->"
CARD_SIZE = (1200, 630)  # feeds/card.py's SIZE, named here so the hub never imports Pillow
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


def preview_tags(snap: Snapshot, host: str | None, secure: bool) -> str:
    """The Open Graph and Twitter-card tags of a count's page: its title, its figures, its card.

    A preview's image and URL must be absolute, so they are built from the
    request's Host, as the browser reached the hub (behind a proxy: the
    proxy's name); the hub cannot know its own public name. A Host that is
    not a plain host[:port] (`HOST`) is never echoed: the tags then carry no
    URL and no image, only words. Every value is the count's words escaped
    for an attribute, control characters shown (`tally.text.literal`):
    a title is data. ``secure``: the page came over TLS (https).
    """
    election_id = snap.election.id
    title, description = preview_title(snap), preview_description(snap)
    tags = [("property", "og:type", "website"), ("property", "og:site_name", preview_site()),
            ("property", "og:title", title), ("property", "og:description", description),
            ("name", "twitter:title", title), ("name", "twitter:description", description)]
    if host and HOST.fullmatch(host):
        base = f"{'https' if secure else 'http'}://{host}"
        lang = "" if current() == ENGLISH else f"?lang={current()}"  # the card in the page's language
        image = f"{base}/card/{election_id}.png{lang}"
        tags += [("property", "og:url", f"{base}/e/{election_id}{lang}"), ("property", "og:image", image),
                 ("property", "og:image:type", "image/png"),
                 ("property", "og:image:width", str(CARD_SIZE[0])),
                 ("property", "og:image:height", str(CARD_SIZE[1])),
                 ("property", "og:image:alt", f"{title}: {description}"),
                 ("name", "twitter:card", "summary_large_image"), ("name", "twitter:image", image)]
    else:
        tags.append(("name", "twitter:card", "summary"))
    return "\n".join(f'<meta {kind}="{name}" content="{html.escape(literal(value), quote=True)}">'
                     for kind, name, value in tags)


class Pages:
    """The page's files, read once at start, and the responses that serve them.

    ``snapshot``: the hub's count of an election id, or None (for the preview
    tags); ``card``: its card as PNG bytes, or None when the hub has no such
    election (awaited: it may be made in a worker first, `cards.Cards`).
    """

    def __init__(self, static: Path = STATIC,
                 snapshot: Callable[[str], Snapshot | None] = lambda election_id: None,
                 card: Callable[[str, str], Awaitable[bytes | None]] | None = None) -> None:
        self.files = {name: (static / name).read_bytes() for name in
                      {*FILES.values(), "count.html", "overlay.html"}}
        self.snapshot = snapshot
        self.card = card

    def file_for(self, path: str) -> str | None:
        """The static file a path names, or None when it is not a page path."""
        if path in FILES:
            return FILES[path]
        if COUNT_PAGE.fullmatch(path):
            return "count.html"
        if OVERLAY_PAGE.fullmatch(path):
            return "overlay.html"
        if self.card is not None and CARD_PATH.fullmatch(path):
            return "card.png"
        return None

    def respond(self, connection: ServerConnection,
                request: Request) -> Response | None | Awaitable[Response]:
        """The response to a page request, or None when the path is not one of the page's.

        HttpError 400 for a Host sent twice or too long (`header`). A card is
        a coroutine (websockets awaits it): it may have to be made first.
        """
        path = request.path.partition("?")[0]
        name = self.file_for(path)
        if name is None:
            return None
        host = header(request.headers, "Host")
        headers = {"Content-Security-Policy": policy(host),
                   "X-Content-Type-Options": "nosniff",
                   "Referrer-Policy": "no-referrer",
                   "Cache-Control": "no-cache"}
        if request.method not in METHODS:
            return respond(connection, HTTPStatus.METHOD_NOT_ALLOWED,
                           f"{request.method} is not allowed here\n".encode(),
                           {**headers, "Allow": ", ".join(METHODS),
                            "Content-Type": "text/plain; charset=utf-8"})
        headers["Content-Type"] = TYPES[Path(name).suffix]
        head = request.method == "HEAD"
        if name == "card.png":
            lang = reader_language(request.path.partition("?")[2], None)  # ?lang= only; else English
            return self._card(connection, CARD_PATH.fullmatch(path)["id"], lang, headers, head)
        body = self.files[name]
        if name.endswith(".html"):
            # a list header: two of them are one list (RFC 9110 §5.3), not a request to refuse
            accept = ",".join(request.headers.get_all("Accept-Language"))
            lang = reader_language(request.path.partition("?")[2], accept)
            body = self.page(name, lang)
            headers.update({"Content-Language": lang, "Vary": "Accept-Language"})
            if name == "count.html":
                with use(lang):
                    body = self._with_preview(body, COUNT_PAGE.fullmatch(path)["id"], host,
                                              connection.transport.get_extra_info("ssl_object") is not None)
        return respond(connection, HTTPStatus.OK, body, headers, head=head)

    def _with_preview(self, page: bytes, election_id: str, host: str | None, secure: bool) -> bytes:
        """The count page with its preview tags, when the hub has the count (else the page as it is)."""
        snap = self.snapshot(election_id)
        if snap is None:
            return page
        return page.replace(PREVIEW_SLOT, preview_tags(snap, host, secure).encode(), 1)

    async def _card(self, connection: ServerConnection, election_id: str, lang: str,
                    headers: dict[str, str], head: bool) -> Response:
        """The election's card (404 when the hub has no such election; 503 when it could not be made)."""
        assert self.card is not None
        try:
            png = await self.card(election_id, lang)
        except Exception as exc:  # noqa: BLE001 - the worker's failure, already logged by Cards
            return refusal(connection, HttpError(HTTPStatus.SERVICE_UNAVAILABLE,
                                                 f"the card could not be made ({type(exc).__name__})"))
        if png is None:
            return refusal(connection, HttpError(HTTPStatus.NOT_FOUND, f"no election {election_id!r} on this hub"))
        return respond(connection, HTTPStatus.OK, png, headers, head=head)


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
