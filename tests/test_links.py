"""Several hubs in one address: ws://A,ws://B[/elections/ID], tried in turn."""

from __future__ import annotations

import pytest

from feeds.link import HubError, Hubs, hub_addresses, watch_addresses
from feeds.watcher import Watcher
from tui.cli import main


def test_hub_addresses_are_split_and_checked():
    assert hub_addresses("ws://a:1, wss://b:2/") == ["ws://a:1", "wss://b:2"]
    with pytest.raises(HubError, match="not a hub address"):
        hub_addresses("ws://a:1,")
    with pytest.raises(HubError, match="give the hub's address alone"):
        hub_addresses("ws://a:1,ws://b:2/elections/x")


@pytest.mark.parametrize("text, hubs, path", [
    ("ws://a:1/elections/x", ["ws://a:1"], "/elections/x"),
    ("ws://a:1,ws://b:2/elections/x", ["ws://a:1", "ws://b:2"], "/elections/x"),
    ("ws://a:1/elections/x,ws://b:2/elections/x?since=3", None, None),
    ("ws://a:1,ws://b:2", ["ws://a:1", "ws://b:2"], ""),
])
def test_watch_addresses_take_the_path_from_the_one_that_has_it(text, hubs, path):
    if hubs is None:
        with pytest.raises(HubError, match="different elections"):
            watch_addresses(text)
    else:
        assert watch_addresses(text) == (hubs, path)


def test_hubs_go_round():
    hubs = Hubs(["ws://a:1", "ws://b:2"])
    seen = [hubs.current]
    for _ in range(2):
        hubs.move_on()
        seen.append(hubs.current)
    assert seen == ["ws://a:1", "ws://b:2", "ws://a:1"] and str(hubs) == "ws://a:1,ws://b:2"


def test_a_watcher_of_two_hubs_resumes_on_the_next_from_its_last_event():
    watcher = Watcher("ws://a:1,ws://b:2/elections/x", since=7)
    assert watcher._resume_url() == "ws://a:1/elections/x?since=7"
    watcher.hubs.move_on()
    assert watcher._resume_url() == "ws://b:2/elections/x?since=7"


@pytest.mark.parametrize("url, why", [
    ("ws://a:1,http://b:2/elections/x", "http://b:2/elections/x: not a hub address"),
    ("ws://a:1,ws://b:2/nowhere", "watch ws://HOST:PORT/elections/ID"),
])
def test_tally_watch_with_a_bad_address_is_one_line(url, why, capsys):
    assert main(["watch", url]) == 2
    assert why in capsys.readouterr().err


def test_tally_watch_of_hubs_none_of_which_answers_says_why_for_each(capsys, unused_tcp_port):
    first, second = f"ws://127.0.0.1:{unused_tcp_port}", "ws://127.0.0.1:1"
    assert main(["watch", f"{first},{second}"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert f"http://127.0.0.1:{unused_tcp_port}/elections: connection refused" in err
    assert "http://127.0.0.1:1/elections: connection refused" in err
