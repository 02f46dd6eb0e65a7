"""`tally watch` and `tally count --publish` on screen, against a real hub on loopback."""

import asyncio
import json

from dash import text
from feeds.counting import open_count
from feeds.files import load
from feeds.publisher import Publisher
from feeds.publishing import CountPublisher
from feeds.watcher import Watcher
from hubkit import FAST, TOKEN, replay, running_hub, until
from tally.report import json_report
from tui.count_app import CountDashboard
from tally.schema import parse_event
from tui.watch_app import PickElection, WatchDashboard, election_label


async def drawn(pilot, condition, what: str) -> None:
    """Wait until condition() holds and the screen shows the latest state."""
    app = pilot.app
    await until(lambda: condition() and app._drawn == app.live.version, what)
    await pilot.pause()


async def publish(url: str, events) -> Publisher:
    publisher = Publisher(events, url, TOKEN, wait=FAST)
    task = asyncio.create_task(publisher.run())
    assert await publisher.flushed()
    publisher.close()
    await task
    return publisher


async def test_watch_follows_a_count_live_to_its_outcome(tmp_path):
    events = replay("ldj5")
    async with running_hub(tmp_path) as (hub, url):
        await publish(url, events[:300])
        app = WatchDashboard(f"{url}/elections/ldj5", Watcher(f"{url}/elections/ldj5", wait=FAST))
        async with app.run_test() as pilot:
            await drawn(pilot, lambda: app.live.count.last_seq == 300, "the first 300 events")
            assert "LIVE" in text(app, "#feed-status")
            assert "TOO EARLY TO CALL" in text(app, "#banner")
            await publish(url, events)
            await drawn(pilot, lambda: app.live.count.last_seq == len(events), "the whole count")
            assert "OUTCOME DECIDED — no union" in text(app, "#banner")
            assert app.live.count.snapshot().votes == (380, 618)
            await pilot.press("q")
        assert "380 yes · 618 no" in app.return_value


async def test_watch_shows_reconnecting_and_resumes_to_the_exact_totals(tmp_path, unused_tcp_port):
    events = replay("jfk8")
    url = f"ws://127.0.0.1:{unused_tcp_port}"
    app = WatchDashboard(f"{url}/elections/jfk8", Watcher(f"{url}/elections/jfk8", wait=FAST))
    async with app.run_test() as pilot:
        async with running_hub(tmp_path, port=unused_tcp_port):
            await publish(url, events[:1000])
            await drawn(pilot, lambda: app.live.count.last_seq == 1000, "the first 1000")
        link = app.watcher
        await drawn(pilot, lambda: link.link.state == "reconnecting" and link.link.attempt >= 2,
                    "reconnecting")
        status = text(app, "#feed-status")
        assert "RECONNECTING" in status and "attempt" in status and "showing seq 1000" in status
        async with running_hub(tmp_path, port=unused_tcp_port):
            await publish(url, events)
            await drawn(pilot, lambda: app.live.count.last_seq == len(events), "the whole count")
            assert "FINAL" in text(app, "#feed-status")  # connected, and the count is closed
            assert "OUTCOME DECIDED — the union wins" in text(app, "#banner")
    assert json_report(app.live.count.snapshot()) == json_report(load(tmp_path / "jfk8.jsonl").count.snapshot())


async def test_watch_an_election_not_yet_on_the_hub_says_it_is_waiting(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        app = WatchDashboard(f"{url}/elections/later", Watcher(f"{url}/elections/later", wait=FAST))
        async with app.run_test() as pilot:
            await drawn(pilot, lambda: app.watcher.link.state == "waiting", "waiting")
            status = text(app, "#feed-status")
            assert "WAITING" in status and 'no election "later" on this hub yet' in status
            # Nothing of the count has arrived: no call, which would read as a count begun.
            assert text(app, "#banner") == "WAITING FOR THE COUNT\nnothing has arrived yet"


async def test_watch_of_a_hub_that_does_not_answer_calls_nothing(unused_tcp_port):
    url = f"ws://127.0.0.1:{unused_tcp_port}/elections/ldj5"  # nobody listens there
    app = WatchDashboard(url, Watcher(url, wait=FAST))
    async with app.run_test() as pilot:
        await drawn(pilot, lambda: app.watcher.link.state == "reconnecting", "reconnecting")
        assert "RECONNECTING" in text(app, "#feed-status")
        assert text(app, "#banner") == "WAITING FOR THE COUNT\nnothing has arrived yet"
        assert "TOO EARLY" not in text(app, "#banner")


async def test_watching_a_mistyped_id_says_so_and_names_the_hubs_elections(tmp_path):
    """It keeps waiting (the count may not have begun), but says for what, and what there is."""
    async with running_hub(tmp_path) as (hub, url):
        await publish(url, replay("ldj5", 5))
        await publish(url, replay("jfk8", 5))
        app = WatchDashboard(f"{url}/elections/nope", Watcher(f"{url}/elections/nope", wait=FAST))
        async with app.run_test(size=(200, 30)) as pilot:
            says = 'no election "nope" on this hub yet (it has: jfk8, ldj5)'
            await drawn(pilot, lambda: says in app.watcher.link.detail, "the hub's elections")
            await until(lambda: says in text(app, "#feed-status"), "on screen")
            first = app.watcher.link.attempt
            await until(lambda: app.watcher.link.attempt > first + 1, "still asking")
            await pilot.pause()
            assert "WAITING" in text(app, "#feed-status") and says in text(app, "#feed-status")


async def test_the_picker_lists_the_hubs_elections_and_returns_the_chosen_one():
    elections = [{"id": "ldj5", "title": "LDJ5", "last": 10, "totals": {"yes": 3, "no": 5},
                  "outcome": "undecided"},
                 {"id": "jfk8", "title": "JFK8", "last": 4, "totals": {}, "outcome": "undecided"}]
    assert "3 yes · 5 no" in election_label(elections[0]).plain
    app = PickElection("ws://127.0.0.1:1", elections)
    async with app.run_test() as pilot:
        await pilot.press("down", "enter")
    assert app.return_value == "jfk8"


async def test_count_publish_goes_on_offline_and_catches_up(tmp_path, unused_tcp_port):
    url = f"ws://127.0.0.1:{unused_tcp_port}"
    journal = tmp_path / "count.jsonl"
    opened = open_count(journal, {"title": "Published", "id": "pub", "ballots": 50})
    publisher = CountPublisher(opened.events, url, TOKEN, wait=FAST)
    app = CountDashboard(opened.journal, opened.live, opened.repaired, publisher)
    hub_dir = tmp_path / "hub"
    async with app.run_test() as pilot:
        for key in "yyn3yvc":
            await pilot.press(key)
        await until(lambda: publisher.link.state == "offline" and publisher.link.attempt >= 2, "offline")
        await drawn(pilot, lambda: "OFFLINE" in text(app, "#feed-status"), "offline shown")
        assert "counting locally, 7 to send" in text(app, "#feed-status")
        assert load(journal).count.snapshot().votes == (5, 1)  # the count went on
        async with running_hub(hub_dir, port=unused_tcp_port):
            await until(lambda: publisher.link.seq == len(opened.events), "caught up")
            await pilot.press("n")
            await until(lambda: publisher.link.seq == 8, "the next entry published")
            await drawn(pilot, lambda: "hub has seq 8" in text(app, "#feed-status"), "live shown")
            assert "COUNTING" in text(app, "#feed-status")
            await pilot.press("q")
    assert publisher.reached and publisher.unsent_words() is None
    on_hub = json_report(load(hub_dir / "pub.jsonl").count.snapshot())
    assert on_hub == json_report(load(journal).count.snapshot())
    assert json.loads(journal.read_text().splitlines()[-1])["choice"] == "no"


async def test_the_picker_keeps_its_list_current(tmp_path, monkeypatch):
    monkeypatch.setattr(PickElection, "REFRESH", 0.05)
    async with running_hub(tmp_path) as (hub, url):
        app = PickElection(url, [])
        async with app.run_test() as pilot:
            await publish(url, replay("ldj5", 20))
            options = app.query_one("OptionList")
            await until(lambda: options.option_count == 1, "the new election listed")
            assert "ldj5" in str(options.get_option_at_index(0).prompt)
            await pilot.press("enter")
        assert app.return_value == "ldj5"


async def test_a_count_whose_id_the_hub_holds_for_another_count_says_hub_conflict(tmp_path):
    """A new journal with --id ldj5 against a hub holding the real ldj5: a lasting HUB
    CONFLICT on screen naming the first differing seq; the count goes on locally."""
    journal = tmp_path / "new.jsonl"
    async with running_hub(tmp_path / "hub") as (hub, url):
        await publish(url, replay("ldj5", 40))
        opened = open_count(journal, {"title": "Mine", "id": "ldj5", "ballots": 1000})
        publisher = CountPublisher(opened.events, url, TOKEN, wait=FAST)
        app = CountDashboard(opened.journal, opened.live, opened.repaired, publisher)
        async with app.run_test(size=(160, 40)) as pilot:
            await until(lambda: publisher.link.state == "conflict", "the conflict")
            await drawn(pilot, lambda: "HUB CONFLICT" in text(app, "#feed-status"), "conflict shown")
            status = text(app, "#feed-status")
            assert "differs from this count from seq 1 on" in status and "counting here only" in status
            for key in "yyn":
                await pilot.press(key)
            await drawn(pilot, lambda: app.live.count.last_seq == 4, "the count goes on")
            assert "HUB CONFLICT" in text(app, "#feed-status")  # and it stays said
            await pilot.press("q")
        assert publisher.unsent_words().startswith("HUB CONFLICT: the hub holds another count")
        assert load(tmp_path / "hub" / "ldj5.jsonl").count.last_seq == 40  # the hub's count untouched
    assert load(journal).count.snapshot().votes == (2, 1)


async def test_a_copied_journal_that_went_on_elsewhere_conflicts_at_its_first_new_seq(tmp_path):
    events = replay("ldj5", 30)
    async with running_hub(tmp_path / "hub") as (hub, url):
        await publish(url, events)
        mine = events[:20] + [parse_event(json.dumps(
            {"seq": 21, "type": "note", "text": "counted on another laptop"}))]
        publisher = Publisher(mine, url, TOKEN, wait=FAST)
        final = await publisher.run()
    assert final.state == "conflict"
    assert final.detail == ("HUB CONFLICT: the hub holds another count under this id: "
                            "its ldj5 differs from this count from seq 21 on")


async def test_a_hub_ahead_of_the_journal_is_a_conflict(tmp_path):
    events = replay("ldj5", 30)
    async with running_hub(tmp_path / "hub") as (hub, url):
        await publish(url, events)
        final = await Publisher(events[:10], url, TOKEN, wait=FAST).run()
    assert final.state == "conflict"
    assert final.detail.endswith("it has 30 events of ldj5, more than the 10 of this count")


async def test_tally_publish_of_another_count_exits_2_with_the_same_words(tmp_path):
    from test_net_cli import tally

    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"seq": 1, "type": "election", "id": "ldj5", "title": "Not LDJ5"}) + "\n")
    (tmp_path / "token").write_text(TOKEN + "\n")
    (tmp_path / "token").chmod(0o600)  # a token file others can read is refused
    async with running_hub(tmp_path / "hub") as (hub, url):
        await publish(url, replay("ldj5", 5))
        code, out, err = await tally("publish", str(other), url, "--token-file", str(tmp_path / "token"))
    assert (code, err) == (2, f"tally: {url}: HUB CONFLICT: the hub holds another count under "
                              "this id: its ldj5 differs from this count from seq 1 on\n")
