"""Issue 19, item 1: `tally count JOURNAL --serve [HOST:]PORT`, live in one command.

The count serves its own page from a hub in its own process (feeds/serving.py):
real sockets on loopback, the real Hub, the real count screen (Pilot). A count
typed, quit, resumed and typed on ends with the hub's copy equal to the journal;
a port in use or a host that cannot be bound is one line, exit 2, nothing made;
the QR code on the screen decodes (zxing-cpp, a real decoder) to the page's address.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from textual.geometry import Region
from websockets.asyncio.client import connect

from dash import until
from feeds.counting import open_count
from feeds.files import FeedError
from feeds.serving import listen_address, open_served, served_dir
from hubkit import FAST, TOKEN, http, next_row, running_hub
from tui.cli import count_publisher
from tui.count_app import CountDashboard
from tui.widgets.serving import QrScreen, qr_lines

TALLY = [sys.executable, "-m", "tui.cli"]


def serving_app(path, listen="127.0.0.1:0", publish=None, tls=None, **flags):
    """What `tally count PATH --serve LISTEN [--publish URL]` builds, in this process."""
    served = open_served(path, listen, tls)
    opened = open_count(path, flags)
    publisher = count_publisher(opened, served, publish, TOKEN, wait=FAST)
    served.show(opened.live.count.election.id)
    return CountDashboard(opened.journal, opened.live, opened.repaired, publisher, served=served), served


def lines(path) -> list[str]:
    return path.read_text().splitlines()


def hub_copy(journal) -> list[str]:
    (copy,) = served_dir(journal).glob("*.jsonl")
    return lines(copy)


async def stopped(port: int) -> None:
    """Wait until nothing listens on the port any more."""
    async def refused() -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return True
        writer.close()
        return False

    for _ in range(100):
        if await refused():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"something still listens on {port}")


async def needle_on_the_page(served, election_id: str) -> None:
    """The page's stream (/board?id=ID) brings the count's chances: the hub's needle workers run
    from the count's process too (feeds/hub/workers.py, started under the count's screen)."""
    async with connect(f"{served.own_link()}/board?id={election_id}") as ws:
        while True:
            row = await next_row(ws, 20)
            if row.get("id") == election_id and row.get("chances"):
                return


async def press(pilot, *keys):
    for key in keys:
        await pilot.press(key)


def acked(app) -> int:
    publisher = app.publisher
    return min(p.link.seq for p in getattr(publisher, "publishers", {"": publisher}).values())


async def test_count_quit_resume_count_more_the_hubs_copy_equals_the_journal(tmp_path):
    path = tmp_path / "hall.jsonl"
    async with running_hub(tmp_path / "remote") as (_, remote):
        for keys, publish in ((("y", "y", "n"), None), (("2", "5", "n", "y", "u", "v"), remote)):
            app, served = serving_app(path, publish=publish, title="Local 1", ballots=40)
            async with app.run_test() as pilot:
                await press(pilot, *keys)
                await until(pilot, lambda: acked(app) == len(lines(path)))
                page = app.query_one("#serving").visual
                assert f"watch live: http://127.0.0.1:{served.port}/e/hall · w QR code" in str(page)
                status, _, _ = await http(served.own_link(), "/e/hall")
                assert status == 200  # the page, served from this very process
                listed = json.loads((await http(served.own_link(), "/elections"))[2])
                assert [(e["id"], e["last"]) for e in listed] == [("hall", len(lines(path)))]
                await needle_on_the_page(served, "hall")
            app.journal.close()  # as `tally count` does once its screen is gone
            assert hub_copy(path) == lines(path)  # nothing lost, nothing sent twice
            await stopped(served.port)  # quitting stopped the hub
        assert len(lines(path)) == 8  # the header, 3 ballots; a pile of 25, 1 ballot, an undo, a void
        assert lines(tmp_path / "remote" / "hall.jsonl") == lines(path)  # --publish too: all of it
    assert os.stat(served_dir(path) / "token").st_mode & 0o777 == 0o600


async def test_served_here_and_published_there_each_link_goes_its_own_way(tmp_path):
    """--serve with --publish to a hub that is down: the page has every entry, the header says
    OFFLINE and names the hub that waits; both are in one line each (Fanout)."""
    with socket.create_server(("127.0.0.1", 0)) as spare:
        down = f"ws://127.0.0.1:{spare.getsockname()[1]}"  # nothing will answer there
    path = tmp_path / "j.jsonl"
    app, served = serving_app(path, publish=down, title="T")
    async with app.run_test(size=(200, 30)) as pilot:
        await press(pilot, "y", "n")
        page, there = app.publisher.publishers.values()
        await until(pilot, lambda: page.link.seq == 3 and there.link.state == "offline")
        assert app.publisher.waiting() == 3 and app.publisher.words()[0] == "offline"
        detail = app.publisher.words()[1]
        assert detail.startswith("page: hub has seq 3 · ") and f"{down}: hub offline" in detail
        assert "OFFLINE · 3 to send" in str(app.query_one("#feed-status").query_one(".feed-mark").visual)
    app.journal.close()


async def test_the_qr_code_on_the_screen_decodes_to_the_pages_address(tmp_path):
    zxingcpp = pytest.importorskip("zxingcpp")
    import numpy as np

    app, served = serving_app(tmp_path / "j.jsonl", title="T")
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "w")
        await pilot.pause()
        assert isinstance(app.screen, QrScreen)
        qr = app.screen.query_one("#qr")
        strips = qr.render_lines(Region(0, 0, qr.size.width, qr.size.height))
        pixels = np.array([row for strip in strips for row in _cells(strip)], dtype=np.uint8)
        image = np.pad(np.kron(pixels, np.ones((4, 4), dtype=np.uint8)), 16, constant_values=255)
        (found,) = zxingcpp.read_barcodes(image)
        assert found.text == served.page
        assert qr.region.height <= 24 and qr.region.width <= 80  # it fits the smallest terminal
        await press(pilot, "escape")
        assert not isinstance(app.screen, QrScreen)


async def test_when_a_choice_has_w_the_qr_code_is_shift_w_and_the_line_says_so(tmp_path):
    app, served = serving_app(tmp_path / "j.jsonl", title="T", choices=["Workers United", "Neither"])
    async with app.run_test() as pilot:
        assert "⇧W QR code" in str(app.query_one("#serving").visual)
        await press(pilot, "w")  # a ballot for Workers United
        await until(pilot, lambda: app.live.count.snapshot().votes == (1, 0))
        await press(pilot, "W")
        await pilot.pause()
        assert isinstance(app.screen, QrScreen)
    app.journal.close()


def _cells(strip) -> tuple[list[int], list[int]]:
    """A row of character cells as drawn (glyph, colours) → two rows of pixels, 0 dark, 255 light."""
    top, bottom = [], []
    for segment in strip:
        bg = _light(segment.style.bgcolor)
        fg = bg if segment.style.color is None else _light(segment.style.color)  # padding: blank
        for char in segment.text:
            top.append(fg if char in "▀█" else bg)
            bottom.append(fg if char in "▄█" else bg)
    return top, bottom


def _light(color) -> int:
    r, g, b = color.get_truecolor()
    return 255 if (r + g + b) / 3 > 127 else 0


def test_qr_lines_draw_every_module_of_segnos_code():
    import segno

    page = "http://127.0.0.1:8765/e/amazon-ldj5-2022"
    drawn = qr_lines(page)
    matrix = [[bool(m) for m in row] for row in
              segno.make(page, error="l", boost_error=True, micro=False).matrix_iter(border=2)]
    redrawn = [[c in "▀█" for c in line] for line in drawn]
    redrawn = [row for line in drawn for row in ([c in "▀█" for c in line], [c in "▄█" for c in line])]
    assert redrawn[:len(matrix)] == matrix


def run_tally(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([*TALLY, *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_a_port_in_use_is_one_line_exit_2_and_nothing_is_made(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = run_tally("count", "j.jsonl", "--serve", str(port), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == f"tally: cannot listen on 127.0.0.1:{port}: address already in use\n"
    assert list(tmp_path.iterdir()) == []  # no journal, no hub directory


@pytest.mark.parametrize("listen, says", [
    ("999.1.1.1:8765", "cannot listen on 999.1.1.1:8765: "),
    ("eighty", "--serve 'eighty': give PORT or HOST:PORT (a port is a number, 0 to 65535)"),
    ("0.0.0.0", "--serve '0.0.0.0': give PORT or HOST:PORT"),
    ("127.0.0.1:70000", "--serve '127.0.0.1:70000': the port is 0 to 65535"),
])
def test_a_host_that_cannot_be_bound_or_a_bad_address_is_one_line_exit_2(tmp_path, listen, says):
    done = run_tally("count", "j.jsonl", "--serve", listen, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith(f"tally: {says}")
    assert done.stderr.count("\n") == 1 and list(tmp_path.iterdir()) == []


def test_a_new_journal_beside_an_earlier_counts_hub_copy_is_refused_in_one_line(tmp_path):
    journal = tmp_path / "j.jsonl"
    served_dir(journal).mkdir()
    (served_dir(journal) / "j.jsonl").write_text('{"seq":1,"type":"election","id":"j","title":"Before"}\n')
    with pytest.raises(FeedError, match=r"holds the page's copy of an earlier count, and .* is new: move"):
        open_served(journal, "127.0.0.1:0")
    assert not journal.exists()


@given(st.text(max_size=40))
def test_listen_address_is_a_host_and_port_or_one_line_why_not(text):
    try:
        host, port = listen_address(text)
    except ValueError as exc:
        assert "\n" not in str(exc)
        return
    assert 0 <= port <= 65535 and host and text.endswith(str(port))


async def test_a_hub_whose_copy_is_changed_under_it_takes_nothing_more_and_the_count_goes_on(tmp_path):
    """The hub part failing later (its file changed behind its back, as a failing disk or another
    program would): it stores nothing more, and every entry is still journaled and counted here."""
    path = tmp_path / "j.jsonl"
    app, served = serving_app(path, title="T")
    async with app.run_test() as pilot:
        await press(pilot, "y")
        await until(pilot, lambda: acked(app) == 2)
        (copy,) = served_dir(path).glob("*.jsonl")
        with copy.open("ab") as f:
            f.write(b'{"seq":3,"type":"note","text":"typed in by hand"}\n')
        await press(pilot, "n", "n")
        await until(pilot, lambda: app.publisher.link.state == "refused")  # "not saved": said, not retried
        assert len(lines(path)) == 4 and app.live.count.snapshot().votes == (1, 2)
        assert app.publisher.waiting() == 2  # said in the header: two entries the hub does not have
        assert "OFFLINE" in str(app.query_one("#feed-status").query_one(".feed-mark").visual)
        assert len(lines(copy)) == 3  # the hub took nothing more
        said = [n.message for n in app._notifications]  # what `tally serve` would log, on screen
        assert any("was changed by another program" in m and "restart the hub" in m for m in said)
    app.journal.close()


def test_bound_to_every_interface_the_screen_says_so_on_a_line_of_its_own():
    from feeds.serving import everywhere, reachable_host
    from tally.present import serving_words

    page = "http://127.0.0.1:8765/e/hall"
    assert serving_words(page, False) == (f"watch live: {page} · w QR code",)
    warning, address = serving_words(page, True)
    assert "every network interface" in warning and len(warning) <= 80 and address.startswith("watch live")
    assert everywhere("0.0.0.0") and everywhere("::") and not everywhere("127.0.0.1")
    assert reachable_host("127.0.0.1") == "127.0.0.1"
    assert reachable_host("0.0.0.0") not in ("0.0.0.0", "127.0.0.1", "")  # an address a phone can use


def test_the_command_in_a_terminal_prints_the_page_counts_serves_and_resumes(tmp_path):
    """`tally count J --serve 0` as a person runs it (a pseudo-terminal): the page's address printed
    at start, the hub's copy equal to the journal after quitting, after a resume and kill -9, and after
    a resume of that."""
    from test_crash import Terminal

    journal = tmp_path / "hall.jsonl"
    for keys, ending in (("yyn", "quit"), ("n5y", "kill")):
        count = Terminal("count", str(journal), "--serve", "0", "--title", "Hall", "--ballots", "60")
        count.wait_for(lambda: b"watch live: http://127.0.0.1:" in count.output)
        typed = len(count.output)
        count.type(keys)
        # Everything printed since: a loaded machine delivers a frame's bytes in one long read, in which
        # the header's change need not be among the last few thousand.
        count.wait_for(lambda: f"hub has seq {len(lines(journal))}".encode() in count.output[typed:])
        if ending == "kill":
            count.kill()
            continue
        said = count.quit()
        assert re.search(r"the count's page is http://127\.0\.0\.1:\d+/e/hall", said)
        assert hub_copy(journal) == lines(journal)
    assert len(lines(journal)) == 6
    count = Terminal("count", str(journal), "--serve", "0")  # resumed after the kill: nothing to send
    count.wait_for(lambda: b"hub has seq 6" in count.output)
    count.quit()
    assert hub_copy(journal) == lines(journal)
