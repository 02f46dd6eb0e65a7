"""`tally serve` and `tally publish` on the command line: one line and exit 2 on any failure."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import stat

import pytest

from feeds.files import FeedError
from feeds.link import HubError
from feeds.publisher import Publisher
from feeds.tokens import hub_token, read_token
from tally.schema import dump_event
from tui.net_cli import GIVE_UP_AFTER, publish_file

from hubkit import FAST, TOKEN, replay, running_hub
from test_hub_process import TALLY


async def tally(*args: str, **kwargs) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *TALLY, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, **kwargs)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:  # timed out: leave nothing running
            proc.kill()
            await proc.wait()
    return proc.returncode, out.decode(), err.decode()


def private(path, text: str) -> None:
    """A token file as it must be: readable by its owner alone."""
    path.write_text(text)
    path.chmod(0o600)


def test_a_hub_makes_a_private_token_once_and_keeps_it(tmp_path):
    token, where = hub_token(tmp_path, None)
    assert str(tmp_path / "token") in where
    assert stat.S_IMODE((tmp_path / "token").stat().st_mode) == 0o600
    assert len(token) >= 32
    assert hub_token(tmp_path, None)[0] == token  # a restarted hub keeps accepting it


@pytest.mark.parametrize("text, why", [
    ("", "no token on the first line"),
    ("two words\n", "printable ASCII without spaces"),
])
def test_an_unusable_token_file_is_one_line(tmp_path, text, why):
    private(tmp_path / "t", text)
    with pytest.raises(FeedError, match=why):
        read_token(tmp_path / "t")


async def test_serve_with_a_missing_token_file_is_one_line_and_exit_2(tmp_path):
    code, out, err = await tally("serve", "--data", str(tmp_path), "--token-file", "/nonexistent/t")
    assert (code, err) == (2, "tally: /nonexistent/t: no such file\n")


async def test_serve_on_a_port_in_use_is_one_line_and_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = await tally("serve", "--port", str(port), "--data", str(tmp_path / "hub"))
    assert code == 2
    assert err == f"tally: cannot listen on 127.0.0.1:{port}: address already in use\n"
    assert not (tmp_path / "hub").exists()  # nothing made for a hub that never started: no DIR, no token


async def test_serve_refuses_a_broken_journal_in_one_line(tmp_path):
    (tmp_path / "x.jsonl").write_text('{"seq": 1, "type": "election", "id": "x", "title": "X"}\n'
                                      '{"seq": 3, "type": "ballot", "choice": "yes"}\n'
                                      '{"seq": 4, "type": "ballot", "choice": "yes"}\n')
    code, out, err = await tally("serve", "--port", "0", "--data", str(tmp_path))
    assert (code, err) == (2, f"tally: {tmp_path}/x.jsonl:2: seq 3 out of order: expected 2\n")


@pytest.mark.parametrize("n, words", [(0, "0 elections"), (1, "1 election"), (2, "2 elections")])
async def test_serve_says_how_many_elections_in_their_grammar(tmp_path, n, words):
    for i in range(n):
        (tmp_path / f"e{i}.jsonl").write_text(f'{{"seq": 1, "type": "election", "id": "e{i}", "title": "E"}}\n')
    proc = await asyncio.create_subprocess_exec(
        *TALLY, "serve", "--port", "0", "--data", str(tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
    finally:
        proc.kill()
        await proc.wait()
    assert f"({words} in {tmp_path})" in first, first


async def test_serve_exits_quietly_on_ctrl_c(tmp_path):
    def default_sigint() -> None:  # a test runner started in the background ignores it
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    proc = await asyncio.create_subprocess_exec(
        *TALLY, "serve", "--port", "0", "--data", str(tmp_path / "d"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, preexec_fn=default_sigint)
    try:
        first = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert b"listening on" in first
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert (proc.returncode, err) == (130, b"")
    assert b"the publish token is in" in out
    page = re.search(rb"the page: (http://127\.0\.0\.1:(\d+)/) ", out)  # where a browser opens it
    assert page and page.group(2) == re.search(rb":(\d+) ", first).group(1)


@pytest.mark.parametrize("host, tls, address", [
    ("127.0.0.1", False, "http://127.0.0.1:8765/"), ("0.0.0.0", False, "http://127.0.0.1:8765/"),
    ("::", True, "https://[::1]:8765/"), ("::1", False, "http://[::1]:8765/"),
    ("tally.example.org", True, "https://tally.example.org:8765/")])
def test_the_page_address_is_one_a_browser_opens(host, tls, address):
    from tui.net_cli import page_address
    assert page_address(host, 8765, tls) == address


async def test_publish_streams_a_file_then_has_nothing_new(tmp_path):
    private(tmp_path / "token", TOKEN)
    async with running_hub(tmp_path / "hub") as (hub, url):
        args = ("publish", "ldj5", url, "--token-file", str(tmp_path / "token"))
        assert await tally(*args) == (0, f"tally publish: ldj5: seq 1–1006 published to {url}\n", "")
        assert hub.elections["ldj5"].last == 1006
        again = await tally(*args)
        assert again == (0, "tally publish: nothing new: the hub already had all 1006 events of ldj5\n", "")


async def test_publish_paced_starts_after_what_the_hub_has(tmp_path):
    private(tmp_path / "token", TOKEN)
    short = tmp_path / "short.jsonl"
    short.write_text("".join(dump_event(e) + "\n" for e in replay("ldj5", 40)))
    async with running_hub(tmp_path / "hub") as (hub, url):
        first = Publisher(replay("ldj5", 20), url, TOKEN, wait=FAST)
        running = asyncio.create_task(first.run())
        assert await first.flushed()
        first.close()
        await running
        # The replay's ballots are seconds apart: at 1000x the 20 new ones take a moment.
        code, out, err = await tally("publish", str(short), url, "--token-file",
                                     str(tmp_path / "token"), "--speed", "1000")
        assert (code, out, err) == (0, f"tally publish: ldj5: seq 21–40 published to {url}\n", "")
        assert hub.elections["ldj5"].last == 40


async def test_publish_of_a_bad_file_is_one_line_per_problem(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"seq": 1, "type": "ballot", "choice": "yes"}\n')
    private(tmp_path / "token", "a-token\n")
    code, out, err = await tally("publish", str(bad), "ws://127.0.0.1:1", "--token-file", str(tmp_path / "token"))
    assert (code, err) == (2, f"tally: {bad}:1: the first event must be the election header\n")


async def test_publish_with_a_wrong_token_is_one_line(tmp_path):
    private(tmp_path / "token", "wrong")
    async with running_hub(tmp_path / "hub") as (hub, url):
        code, out, err = await tally("publish", "ldj5", url, "--token-file", str(tmp_path / "token"))
    assert (code, err) == (2, f"tally: {url}: HTTP 401: wrong token\n")


async def test_publish_gives_up_on_a_hub_that_never_comes(unused_tcp_port, capsys):
    url = f"ws://127.0.0.1:{unused_tcp_port}"
    with pytest.raises(HubError) as gave_up:
        await publish_file(replay("ldj5", 3), url, TOKEN, None, wait=FAST)
    assert str(gave_up.value) == (f"{url}: hub unreachable (connection refused); "
                                  f"gave up after {GIVE_UP_AFTER} attempts")
    said = capsys.readouterr().out.splitlines()
    assert said[0] == f"tally publish: {url} offline (connection refused); attempt 2 …"
    assert len(said) == GIVE_UP_AFTER


async def test_publish_says_a_bad_address_before_anything_else(tmp_path):
    code, out, err = await tally("publish", "ldj5", "not-a-url", "--token-file", str(tmp_path / "none"))
    assert (code, err) == (2, "tally: not-a-url: not a hub address (ws://HOST:PORT)\n")


# -- a token file anyone can read (issue 16, item 12) ------------------------------
@pytest.mark.parametrize("bit", [0o040, 0o020, 0o010, 0o004, 0o002, 0o001])
def test_a_token_file_open_to_group_or_others_is_refused_with_the_fix(tmp_path, bit):
    token = tmp_path / "token"
    private(token, TOKEN + "\n")
    token.chmod(0o600 | bit)
    with pytest.raises(FeedError) as refused:
        read_token(token)
    assert str(refused.value) == (f"{token}: the token file may be read or changed by others "
                                  f"(mode {0o600 | bit:04o}); make it yours alone: chmod 600 {token}")
    token.chmod(0o400)  # read-only for its owner is private too
    assert read_token(token) == TOKEN


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_token_file_of_another_user_is_refused(tmp_path):
    token = tmp_path / "token"
    private(token, TOKEN + "\n")
    os.chown(token, 4242, 4242)
    with pytest.raises(FeedError, match=r"belongs to another user \(uid 4242\)"):
        read_token(token)


async def test_every_command_refuses_a_token_anyone_can_read_in_one_line(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    private(data / "token", TOKEN + "\n")
    (data / "token").chmod(0o666)  # as the hub's own DIR/token, opened up afterwards
    shared = tmp_path / "shared-token"
    private(shared, TOKEN + "\n")
    shared.chmod(0o644)  # what `echo TOKEN > FILE` makes under umask 022
    for args, name in [
        (["serve", "--port", "0", "--data", str(data)], data / "token"),
        (["serve", "--port", "0", "--data", str(data), "--token-file", str(shared)], shared),
        (["publish", "ldj5", "ws://127.0.0.1:1", "--token-file", str(shared)], shared),
        (["count", str(tmp_path / "c.jsonl"), "--publish", "ws://127.0.0.1:1", "--token-file",
          str(shared)], shared),
    ]:
        code, out, err = await tally(*args)
        assert code == 2 and err.endswith(f"chmod 600 {name}\n") and err.count("\n") == 1, (args, err)
    assert not (tmp_path / "c.jsonl").exists()
