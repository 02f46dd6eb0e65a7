"""Any request at all, sent as raw bytes to a live hub: a status below 500 and a clean log.

A real hub serves a data directory on a loopback port, in a thread of its own
(`test_hub_fuzz.HubThread`); hypothesis writes requests byte by byte (methods,
paths with odd bytes, percent-encoding or 10,000 characters, HTTP versions,
headers sent twice, oversized, with odd bytes, missing Host, WebSocket
upgrades right and wrong, tokens right and wrong) and sends each over its own
TCP connection.

What counts as an answer: a request that websockets' own HTTP parser
accepts (`websockets.http11.Request.parse`, run here on the same bytes) must
get a status line with a status below 500 (101 when it upgrades). A request
that parser refuses is refused by websockets at the protocol layer, before
the hub sees it: then the connection may be closed without a status (it is
not an HTTP/1.1 request the hub could answer), or answered 414/431 when a
line is too long. Never a 5xx, and the hub's log (tally.hub, websockets,
asyncio at INFO) never holds a traceback, an error, or the hub's last-resort
line ("could not answer …", which would mean a bug was met).
"""

from __future__ import annotations

import logging
import socket

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from websockets.http11 import Request
from websockets.streams import StreamReader

from counts import ballots, header, write
from hubkit import TOKEN, http, port_of, running_hub
from test_hub_abuse import captured
from test_hub_fuzz import HubThread

SETTINGS = settings(max_examples=300, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # a valid Sec-WebSocket-Key (RFC 6455's example)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    data = tmp_path_factory.mktemp("hub")
    write(data / "fuzz.jsonl", header(id="fuzz", ballots=20), *ballots("yes", "no"))
    with captured("tally.hub", "websockets", "asyncio") as records:
        hub = HubThread(data)
        try:
            yield hub, records
        finally:
            hub.close()


# -- what is sent --------------------------------------------------------------------

METHODS = st.sampled_from(["GET"] * 6 + ["HEAD"] * 2 + ["POST", "PUT", "DELETE", "OPTIONS",
                                                         "get", "BREW", "CONNECT", ""]) \
    | st.text(st.characters(codec="ascii", exclude_characters=" \r\n"), min_size=1, max_size=12)
PATHS = st.sampled_from([
    "/", "/e/fuzz", "/e/x", "/e/Bad_Id", "/static/tally.js", "/static/tally.css", "/static/icon.svg",
    "/static/", "/elections", "/elections/fuzz", "/elections/fuzz?since=0", "/elections/fuzz?since=2",
    "/elections/fuzz?since=99", "/elections/none", "/elections/fuzz/publish", "/elections/new/publish",
    "/board", "/board?id=fuzz", "/board?id=x", "/board?id=Bad", "*", "//[", "http://127.0.0.1/",
])
SUFFIXES = st.sampled_from(["", "", "", "?", "?since=%C2%B2", "%00", "%2e%2e/x", "/../token", "#x",
                            "?id=fuzz&id=x", "?since=0&since=1", "/", "%FF%FE", "?" + "&" * 50])
ODD = st.binary(max_size=24).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


@st.composite
def targets(draw) -> bytes:
    path = draw(PATHS).encode() + draw(SUFFIXES).encode()
    if not draw(st.integers(0, 5)):
        path += draw(ODD).replace(b" ", b"")  # bytes a path may not hold: not HTTP
    if not draw(st.integers(0, 9)):
        path += b"a" * draw(st.sampled_from([200, 5000, 9000, 20000]))
    return path


UPGRADE = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
           ("Sec-WebSocket-Key", KEY), ("Sec-WebSocket-Version", "13")]
HEADERS = st.sampled_from([
    ("Host", "127.0.0.1"), ("Host", "127.0.0.1"), ("Host", "hub:8080"), ("Host", "[::1]:80"),
    ("Host", "evil.example; script-src *"), ("Host", ""),
    ("Authorization", f"Bearer {TOKEN}"), ("Authorization", "Bearer wrong"), ("Authorization", "Basic x"),
    ("Authorization", "Bearer"), ("Upgrade", "websocket"), ("Upgrade", "h2c"), ("Connection", "Upgrade"),
    ("Connection", "close"), ("Sec-WebSocket-Key", KEY), ("Sec-WebSocket-Key", "not base64!"),
    ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Version", "99"),
    ("Sec-WebSocket-Extensions", "permessage-deflate; x=%"), ("Sec-WebSocket-Protocol", "a, ,b"),
    ("Origin", "null"), ("Content-Length", "5"), ("Transfer-Encoding", "chunked"),
    ("Accept", "*/*"), ("Cookie", "a=b"),
])


@st.composite
def header_lines(draw) -> list[bytes]:
    """Headers: the usual ones, doubled, oversized, with odd bytes; sometimes a whole upgrade."""
    fields = list(UPGRADE) if draw(st.booleans()) else []
    fields += draw(st.lists(HEADERS, max_size=6))
    lines = [f"{name}: {value}".encode() for name, value in fields]
    if not draw(st.integers(0, 4)):  # the same header again, with another value
        name = draw(st.sampled_from(["Host", "Authorization", "Upgrade", "Sec-WebSocket-Key", "Connection"]))
        lines.append(name.encode() + b": " + draw(ODD))
    if not draw(st.integers(0, 5)):  # odd bytes in a value, or in a name
        lines.append(draw(st.sampled_from([b"Host", b"X-Odd", b"Authorization", b"X\x00Y", b"\xff"]))
                     + b": " + draw(ODD))
    if not draw(st.integers(0, 9)):  # oversized
        name = draw(st.sampled_from([b"Host", b"Authorization", b"X-Big"]))
        lines.append(name + b": " + b"a" * draw(st.sampled_from([1100, 8000, 9000])))
    if not draw(st.integers(0, 19)):
        lines += [b"X: y"] * draw(st.sampled_from([100, 130]))  # websockets takes 128 headers
    return draw(st.permutations(lines))


@st.composite
def requests(draw) -> bytes:
    if not draw(st.integers(0, 29)):
        return draw(st.binary(min_size=1, max_size=200)) + b"\r\n\r\n"  # not HTTP at all
    version = draw(st.sampled_from([b"HTTP/1.1"] * 6 + [b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1.1 x", b""]))
    line = draw(METHODS).encode() + b" " + draw(targets()) + b" " + version
    return b"\r\n".join([line, *draw(header_lines())]) + b"\r\n\r\n"


# -- what must come back ---------------------------------------------------------------

def parsed_by_websockets(raw: bytes) -> bool:
    """Whether websockets' HTTP parser takes these bytes as a request (else it refuses them itself)."""
    reader = StreamReader()
    reader.feed_data(raw)
    reader.feed_eof()
    parser = Request.parse(reader.read_line)
    try:
        next(parser)
    except StopIteration:
        return True
    except Exception:  # noqa: BLE001 - any refusal of the parser's
        return False
    return False  # it would wait for more


def answer_to(url: str, raw: bytes) -> bytes:
    """The head of the hub's answer (up to the blank line), or b"" when it closed without one."""
    with socket.create_connection(("127.0.0.1", port_of(url)), timeout=20) as sock:
        try:
            sock.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the hub closed on the first bytes: read what it said
        got = b""
        while b"\r\n\r\n" not in got:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            got += chunk
    return got.partition(b"\r\n\r\n")[0]


def status_of(head: bytes) -> int | None:
    if not head.startswith(b"HTTP/1.1 "):
        return None
    return int(head.split(b" ", 2)[1])


def clean(records: list[logging.LogRecord]) -> list[str]:
    """What must never be in the log: tracebacks, errors, the last resort."""
    return [r.getMessage() for r in records
            if r.exc_info or r.levelno >= logging.ERROR or "could not answer" in r.getMessage()
            or "Traceback" in r.getMessage()]


@SETTINGS
@given(raw=requests())
@example(raw=b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")  # was a 500 and a traceback
@example(raw=b"GET /e/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
@example(raw=b"HEAD /static/tally.css HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n")
@example(raw=b"GET / HTTP/1.1\r\nHost: " + b"a" * 2000 + b"\r\n\r\n")
@example(raw=b"GET / HTTP/1.0\r\n\r\n")
@example(raw=b"GET /elections/fuzz/publish HTTP/1.1\r\nAuthorization: Bearer "
         + TOKEN.encode() + b"\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\n\r\n")
@example(raw=b"GET /board HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         b"Sec-WebSocket-Key: " + KEY.encode() + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
def test_every_request_gets_a_status_below_500_and_leaves_no_traceback(live, raw):
    hub, records = live
    before = len(records)
    head = answer_to(hub.url, raw)
    status = status_of(head)
    if parsed_by_websockets(raw):
        assert status is not None, f"closed without a status: {head[:200]!r}"
    assert status is None or 100 <= status < 500, head[:300]
    assert clean(records[before:]) == []


def test_the_hub_still_serves_after_the_fuzz(live):
    """Runs last: the hub answers as before, and nothing ever went to its log as an error."""
    hub, records = live
    head = answer_to(hub.url, b"GET /elections HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert status_of(head) == 200
    assert hub.call(lambda: hub.hub.elections["fuzz"].last) == 3
    assert clean(records) == []


@pytest.mark.parametrize("awaited", [False, True], ids=["answered-at-once", "answered-later"])
async def test_a_bug_met_by_a_request_is_a_400_and_one_line(tmp_path, awaited):
    """The last resort: an exception that is no HttpError never reaches websockets (a 500 and a traceback)."""
    async def later():
        raise ZeroDivisionError("a bug")

    def broken(connection, request):
        if awaited:
            return later()
        raise ZeroDivisionError("a bug")

    with captured("tally.hub", "websockets", "asyncio") as records:
        async with running_hub(tmp_path) as (hub, url):
            hub._answer = broken
            answers = [await http(url, "/elections") for _ in range(3)]
    assert [status for status, _, _ in answers] == [400] * 3
    assert answers[0][2] == b"this request could not be answered\n"
    told = [r.getMessage() for r in records if "could not answer" in r.getMessage()]
    assert told == ["could not answer 'GET /elections': ZeroDivisionError: a bug "
                    "(a bug in tally: please report it)"]  # once a second at most
    assert not [r for r in records if r.exc_info or r.levelno >= logging.ERROR]
