"""Hub addresses from outside (issue 16, item 10): one parser, and a bad address is one line, exit 2.

`feeds.link.parse_address` is the only place an address is read. Generated
strings (pieces of real addresses put together wrong) either give an address
every client can connect to as written, or a one-line HubError: never
another exception. Then the three commands as real processes: exit 2, one
line, no crash log.
"""

from __future__ import annotations

import ipaddress
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.link import HubError, hub_addresses, parse_address, watch_addresses

from test_hub_process import TALLY

PIECES = ["ws://", "wss://", "WS://", "http://", "ws:/", "", "[", "]", "::1", "[::1]", "[::1",
          "::1]", "127.0.0.1", "localhost", "a", "-a", "a-", "a.", "..", "%25eth0", ":", ":0", ":1",
          ":65535", ":65536", ":99999", ":-1", ":+1", ":١٢", "@", "u:p@", "/", "/elections/",
          "/elections/p", "/elections/P", "/elections/p/", "?since=3", "?since=x", "?", "#", "#f",
          " ", "\t", "\n", "\x1b", "é", ",", ",ws://127.0.0.1:2", "ws://[::1]:2,"]


@st.composite
def addresses(draw) -> str:
    """Strings made of address pieces, and now and then any text at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=40))
    return "".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8)))


def connectable(hub: str) -> None:
    """What a client does with a hub address: it must split, with a host and a port in range."""
    parts = urlsplit(hub)
    assert parts.scheme in ("ws", "wss") and parts.hostname and parts.path == ""
    assert parts.port is None or 1 <= parts.port <= 65535
    if hub.split("://", 1)[1].startswith("["):
        ipaddress.IPv6Address(parts.hostname.replace("%25", "%"))


def one_line(exc: HubError) -> None:
    assert str(exc).splitlines() == [str(exc)]  # literal(): a control character is a symbol


@settings(derandomize=True, max_examples=600, deadline=None)
@given(addresses())
def test_an_address_is_either_usable_or_one_line(text):
    for parse in (hub_addresses, watch_addresses):
        try:
            parsed = parse(text)
        except HubError as exc:
            one_line(exc)
            continue
        hubs = parsed if parse is hub_addresses else parsed[0]
        for hub in hubs:
            connectable(hub)
            assert parse_address(hub).hub == hub  # what it gives back reads the same again


@pytest.mark.parametrize("url, hub, path", [
    ("ws://127.0.0.1:8765", "ws://127.0.0.1:8765", ""),
    ("wss://[::1]:443/", "wss://[::1]:443", "/"),
    ("WS://localhost/elections/p?since=2", "ws://localhost", "/elections/p?since=2"),
])
def test_good_addresses_are_read_as_typed(url, hub, path):
    assert (parse_address(url).hub, parse_address(url).path) == (hub, path)


@pytest.mark.parametrize("url, why", [
    ("ws://[::1/elections/p", "an IPv6 address without its closing ]"),
    ("ws://[", "an IPv6 address without its closing ]"),
    ("ws://[::g]:1", "[::g] is not an IPv6 address"),
    ("ws://a:99999", "the port is 1 to 65535, not '99999'"),
    ("ws://a:0", "the port is 1 to 65535, not '0'"),
    ("ws://u:secret@a:1", "a user name"),
    ("ws://a b:1", "spaces or control characters"),
])
def test_bad_addresses_say_why(url, why):
    with pytest.raises(HubError) as refused:
        parse_address(url)
    assert str(refused.value) == f"{url}: not a hub address (ws://HOST:PORT): {why}"


def tally(args: list[str], crash_dir: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*TALLY, *args], capture_output=True, text=True, timeout=60, cwd=cwd,
                          env={**__import__("os").environ, "TALLY_CRASH_DIR": str(crash_dir),
                               "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})


@pytest.mark.parametrize("args", [
    ["watch", "ws://[::1/elections/p"],
    ["publish", "p.jsonl", "ws://["],
    ["count", "c.jsonl", "--publish", "ws://[::1"],
    ["watch", "ws://a:99999/elections/p"],
    ["publish", "p.jsonl", "ws://127.0.0.1:99999"],
    ["count", "c.jsonl", "--publish", "ws://127.0.0.1:1,ws://a:65536"],
    ["board", "ws://[::1"],
])
def test_a_bad_hub_address_is_one_line_and_exit_2_with_no_crash_log(tmp_path, args):
    crashes = tmp_path / "crashes"
    crashes.mkdir()
    (tmp_path / "p.jsonl").write_text('{"seq":1,"type":"election","id":"p","title":"P"}\n')
    done = tally(args, crashes, tmp_path)
    assert done.returncode == 2, done
    assert done.stderr.count("\n") == 1 and "not a hub address" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert list(crashes.iterdir()) == []
    assert not (tmp_path / "c.jsonl").exists()  # nothing done before the address was read
