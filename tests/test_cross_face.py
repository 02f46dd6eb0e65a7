"""One count, one truth: the hub's row, its page (in Chromium) and `tally report` say the same.

For a handful of states of real counts (close to decided while counting, closed,
a three-way ballot with a pile, a retraction and a note), each face is read
as a reader sees it and compared with the presentation model the dashboard
lays out (`tally.present.present` of the count and of a timeline told of
every event, as the dashboard's is): the same figures, the same chance
strings (one rounding rule: "> 99.9 %", never "100.0 %" before it is
certain) and the same ballot numbers on the last calls ("#1,006", never the
event's seq). One hub, one browser.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import threading
import time

import pytest
from textual.widgets import Static

from facekit import counted, expected_row
from test_page import TALLY, Hub, browser, frames, open_page, wait_text  # noqa: F401 (a fixture)
from tally.present import present

THREE_WAY = [
    json.dumps({"seq": 1, "type": "election", "id": "three", "title": "A three-way count",
                "choices": ["Teamsters", "UFCW", "No union"], "ballots": 40, "eligible": 50}),
    *[json.dumps({"seq": s, "type": "ballot", "choice": c})
      for s, c in enumerate(["Teamsters", "UFCW", "No union", "Teamsters", "UFCW"], start=2)],
    json.dumps({"seq": 7, "type": "ballot", "choice": "Teamsters", "count": 6}),
    json.dumps({"seq": 8, "type": "challenged"}),
    json.dumps({"seq": 9, "type": "ballot", "choice": "UFCW"}),
    json.dumps({"seq": 10, "type": "retract", "target": 9}),
    json.dumps({"seq": 11, "type": "note", "text": "a long note that must never overprint the ballot number beside it"}),
    json.dumps({"seq": 12, "type": "ballot", "choice": "No union"}),
]


def _count(election_id: str, calls: list[tuple[str, object]], **fields) -> list[str]:
    """A small count: its header, then each call ('yes', ('challenged', 1), ('close', None) …)."""
    lines = [json.dumps({"seq": 1, "type": "election", "id": election_id, "title": f"Count {election_id}",
                         **fields})]
    for seq, (kind, what) in enumerate(calls, start=2):
        if kind == "challenged":
            lines.append(json.dumps({"seq": seq, "type": "challenged", "count": what}))
        elif kind == "close":
            lines.append(json.dumps({"seq": seq, "type": "close"}))
        else:
            lines.append(json.dumps({"seq": seq, "type": "ballot", "choice": kind, "count": what}))
    return lines


def _renamed(lines: list[str], election_id: str) -> list[str]:
    first = json.loads(lines[0])
    return [json.dumps({**first, "id": election_id}), *lines[1:]]


STATES = {
    "ldj5-802": lambda: _renamed(frames("ldj5", 802), "ldj5-802"),  # NO > 99.9 %, not yet decided
    "ldj5-all": lambda: _renamed(frames("ldj5"), "ldj5-all"),  # closed: FINAL
    "three": lambda: THREE_WAY,
    "jfk8-early": lambda: _renamed(frames("jfk8", 60), "jfk8-early"),  # too early: every chance a chance
    "pending": lambda: _count("pending", [("yes", 4), ("no", 4), ("challenged", 2), ("close", None)],
                              ballots=10, eligible=12),  # challenges determinative
    "runoff": lambda: _count("runoff", [("A", 4), ("B", 4), ("C", 2), ("close", None)],
                             choices=["A", "B", "C"], ballots=10, eligible=12),  # a runoff ballot, closed
    "deauth": lambda: _count("deauth", [("yes", 6), ("no", 3)], rule="deauthorization",
                             union="Local 1", ballots=15, eligible=20),  # a deauthorization poll
}


FIGURES = ("headline", "subline", "margin", "remaining", "piles", "turnout")
"""The model's figures and phrases every dashboard shows (the broadcast view shows fewer)."""


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    running = Hub(tmp_path_factory.mktemp("cross") / "hub")
    for election_id, lines in STATES.items():
        running.publish(election_id, lines())
    yield running
    running.kill()


def _report(path) -> tuple[dict, str]:
    text = subprocess.run([*TALLY, "report", str(path)], capture_output=True, text=True, check=True).stdout
    data = subprocess.run([*TALLY, "report", "--json", str(path)], capture_output=True, text=True, check=True)
    return json.loads(data.stdout), text


@pytest.mark.parametrize("election_id", list(STATES))
def test_every_face_says_the_same(browser, hub, election_id):  # noqa: F811
    path = hub.data / f"{election_id}.jsonl"
    count = counted(path)[0]
    dashboard = _dashboard_model(path)
    row = expected_row(path)["model"]

    # the dashboard's model and the hub's row: figures, chances, calls by ballot
    for key in ("headline", "subline", "margin", "remaining", "piles", "turnout", "chances", "calls", "likeliest"):
        assert row[key] == dashboard[key], key
    texts = [c["text"] for c in dashboard["chances"] or ()]
    assert not any(t in ("100.0 %", "0.0 %") for t in texts)

    # the report, text and JSON
    data, text = _report(path)
    assert [c["text"] for c in data["chances"] or ()] == texts
    if texts:
        line = ", ".join(f"{c['label']} {c['text']}" for c in dashboard["chances"])
        assert line in text

    # the dashboard and its broadcast view (Textual, 160×50)
    screens = _in_a_thread(_dashboard_and_broadcast, path)
    _screen_agrees({"words": screens["dashboard"], "ticker": screens["ticker"]}, dashboard)
    for key in ("headline", "subline", "margin", "last_call"):  # a room's view shows less
        assert dashboard[key] in screens["broadcast"], ("broadcast", key)
    if texts:
        assert _chance_line(dashboard) in screens["broadcast"]

    # the page, in Chromium
    page = open_page(browser, f"{hub.http}/e/{election_id}", viewport={"width": 390, "height": 844})
    wait_text(page, "#call", dashboard["headline"].split(" — ")[0])
    _page_agrees(page, dashboard)
    if count.closed:
        wait_text(page, "#status", "FINAL")
        assert "LIVE" not in page.locator("#status").inner_text()
    _calls_are_laid_out_apart(page)
    page.context.close()


def _dashboard_model(path, **link) -> dict:
    """The model the dashboard lays out for the file's count, as plain JSON (`link`: its link's words)."""
    count, timeline = counted(path)
    model = present(count.snapshot(), _odds(count), calls=timeline.ticker(count.election.yes_no, count),
                    most_calls=12, **link).as_json()
    return json.loads(json.dumps(model))


def _chance_line(model: dict) -> str:
    return " · ".join(f"{c['label']} {c['text']}" for c in model["chances"] or ())


def _screen_agrees(screen: dict[str, str], model: dict, keys=FIGURES) -> None:
    """A Textual face's words hold the model's figures, its chance line and its calls' ballot numbers."""
    for key in keys:
        assert model[key] in screen["words"], key
    if model["chances"]:
        assert _chance_line(model) in screen["words"]
    ticker = [" ".join(line.split()) for line in screen["ticker"].splitlines()]  # its columns padded
    assert ticker[:len(model["calls"])] == [" ".join(f"{c['label']} {c['text']}".split()) for c in model["calls"]]


def _page_agrees(page, model: dict) -> None:
    """The page shows the model's figures, chance strings and calls by ballot, word for word."""
    page.wait_for_function("() => document.querySelectorAll('#chances .percent').length > 0", timeout=20_000)
    assert page.locator("#chances .percent").all_inner_texts() == [c["text"] for c in model["chances"] or ()]
    assert page.locator("#chances .words").all_inner_texts() == [c["label"] for c in model["chances"] or ()]
    assert page.locator(".choice .count").all_inner_texts() == [c["votes_text"] for c in model["choices"]]
    assert page.locator("#calls .label").all_text_contents() == [c["label"] for c in model["calls"]]
    assert page.locator("#calls .what").all_text_contents() == [c["text"] for c in model["calls"]]
    assert page.locator("#detail").inner_text() == model["subline"]
    facts = dict(zip(page.locator("#facts dt").all_inner_texts(), page.locator("#facts dd").all_inner_texts()))
    assert [facts.get(k) for k in ("Margin", "Remaining", "Piles", "Turnout")] == [
        model[k] for k in ("margin", "remaining", "piles", "turnout")]


def _calls_are_laid_out_apart(page) -> None:
    """Each call's ballot number and words in boxes that do not overlap, set smaller than the banner."""
    boxes = page.evaluate("""() => [...document.querySelectorAll('#calls li')].map(li => {
        const a = li.querySelector('.label').getBoundingClientRect();
        const b = li.querySelector('.what').getBoundingClientRect();
        return [a.right, b.left, a.width];
    })""")
    for right, left, width in boxes:
        assert width == 0 or left >= right + 4, (right, left)  # a gap: "#10CHALLENGED" never
    sizes = page.evaluate("""() => [getComputedStyle(document.querySelector('#calls')).fontSize,
                                     getComputedStyle(document.querySelector('#detail')).fontSize]""")
    assert float(sizes[0].rstrip("px")) <= float(sizes[1].rstrip("px"))


def _in_a_thread(work, *args):
    out: dict = {}
    thread = threading.Thread(target=lambda: out.update(value=asyncio.run(work(*args))))
    thread.start()
    thread.join(120)
    assert "value" in out, "the dashboard did not come up"
    return out["value"]


async def _dashboard_and_broadcast(path) -> dict[str, str]:
    """Every text of the dashboard at the file's end, of its ticker, and of the broadcast view."""
    from dash import needle_ready, replay_app, to_end

    def words(app) -> str:
        return "\n".join(str(s.visual) for s in app.screen.query(Static))

    app = replay_app(path)
    async with app.run_test(size=(160, 50)) as pilot:
        await to_end(pilot)
        await needle_ready(pilot, timeout=30)
        shown = {"dashboard": words(app), "ticker": str(app.screen.query_one("#ticker").visual)}
        await pilot.press("b")
        await pilot.pause(0.3)
        shown["broadcast"] = words(app)
    return shown


def _odds(count):
    from tally.odds import odds
    return odds(count.snapshot())


def test_the_link_words_are_the_models_and_final_wins(browser, tmp_path):  # noqa: F811
    """Reconnecting, the page says the model's mark; a closed count says FINAL whatever the link does."""
    from tally.present import LINK_MARKS, link_state

    hub = Hub(tmp_path / "hub")
    try:
        hub.publish("open", _renamed(frames("ldj5", 300), "open"))
        hub.publish("closed", _renamed(frames("ldj5"), "closed"))
        open_one = open_page(browser, f"{hub.http}/e/open")
        closed = open_page(browser, f"{hub.http}/e/closed")
        wait_text(open_one, "#status", LINK_MARKS["live"])
        wait_text(closed, "#status", LINK_MARKS[link_state("live", counted(hub.data / "closed.jsonl")[0].snapshot())])
        hub.kill()
        wait_text(open_one, "#status", LINK_MARKS["reconnecting"])
        closed.wait_for_timeout(1500)
        assert closed.locator("#status").inner_text() == LINK_MARKS["final"]  # never RECONNECTING, never LIVE
    finally:
        if hub.proc.poll() is None:
            hub.kill()


# -- the link: reconnecting, offline and stale, on `tally watch` and on the page ----------------

LINK_STATES = ("reconnecting", "offline")
"""What a hub can do to its watchers: die (they reconnect, and their numbers go stale), or come back
without the count (restarted on another data directory: they are offline, the numbers staler still)."""


@pytest.mark.parametrize("election_id", ["ldj5-802", "pending"])  # open, and closed
def test_the_link_states_on_the_dashboard_and_the_page(browser, tmp_path, election_id):  # noqa: F811
    """`tally watch` and the page, each through a hub killed and then restarted without the count.

    At each state both show the model's figures, chance strings and ballot
    numbers, the same link mark (the model's: `link_state`, a closed count
    FINAL while the link retries) and, while the count is open, how old the
    numbers are (`stale_words`, "⚠ last update N s ago").
    """
    from tally.present import feed_mark, link_state

    hubs = [Hub(tmp_path / "hub")]
    hubs[0].publish(election_id, STATES[election_id]())
    path = hubs[0].data / f"{election_id}.jsonl"
    model = _dashboard_model(path)
    snap = counted(path)[0].snapshot()
    marks = {state: feed_mark(link_state(state, snap)) for state in ("live", *LINK_STATES)}
    steps = {state: threading.Event() for state in ("live", *LINK_STATES)}
    page_done = {state: threading.Event() for state in steps}
    tui: dict = {}
    watching = threading.Thread(target=lambda: tui.update(asyncio.run(
        _watch_through_the_link(hubs, election_id, tmp_path, steps, page_done))))
    page = open_page(browser, f"{hubs[0].http}/e/{election_id}")
    try:
        wait_text(page, "#status", marks["live"])
        watching.start()
        for state in ("live", *LINK_STATES):
            assert steps[state].wait(60), f"the dashboard did not reach {state}: {tui}"
            wait_text(page, "#status", marks[state])
            status = page.locator("#status").inner_text()
            assert status.startswith(marks[state]), status
            stale = state != "live" and not snap.closed
            assert ("⚠ last update" in status) == stale, status
            opacity = float(page.evaluate("getComputedStyle(document.querySelector('main')).opacity"))
            assert (opacity < 1) == stale, opacity  # dimmed while stale, as `tally watch` dims
            _page_agrees(page, model)
            page_done[state].set()
        watching.join(60)
    finally:
        for done in page_done.values():
            done.set()
        for hub in hubs:
            if hub.proc.poll() is None:
                hub.kill()
        page.context.close()
    for state in ("live", *LINK_STATES):
        screen = tui[state]
        assert screen["mark"] == marks[state], state
        _screen_agrees(screen, model)
        stale = screen["model"].stale  # a closed count's numbers never go stale
        assert bool(stale) == (state != "live" and not snap.closed) and stale in screen["words"], state
        assert re.fullmatch(r"⚠ last update \d+ s ago", stale) or not stale, stale


async def _watch_through_the_link(hubs: list, election_id: str, tmp_path, steps, page_done) -> dict:
    """`tally watch` of the count: live, its hub killed, then a hub without it on the same port.

    At each state it records what the screen shows and waits for the page
    to be looked at too, so that both are seen in the same state.
    """
    from dash import needle_ready
    from hubkit import FAST
    from feeds.watcher import Watcher
    from tui.watch_app import WatchDashboard

    url = f"{hubs[0].url}/elections/{election_id}"
    app = WatchDashboard(url, Watcher(url, wait=FAST))
    shown: dict = {}

    async def until(condition, timeout: float = 30) -> None:
        for _ in range(int(timeout / 0.05)):
            if condition():
                return
            await pilot.pause(0.05)
        raise AssertionError(f"timed out: link {app.watcher.link}")

    async def record(state: str) -> None:
        moment = app.now()
        clock, app.now = app.now, lambda: moment  # the screen and the model of one instant: the
        app.redraw()                              # screen said "1 s ago" where the model, made a
        await pilot.pause()                       # moment later, said "2 s ago"
        shown[state] = {"words": "\n".join(str(s.visual) for s in app.screen.query(Static)),
                        "ticker": str(app.screen.query_one("#ticker").visual),
                        "mark": str(app.screen.query_one("#feed-status .feed-mark").visual),
                        "model": app.framed(app._view).presentation}
        app.now = clock
        steps[state].set()
        await until(page_done[state].is_set, 60)

    async with app.run_test(size=(160, 50)) as pilot:
        await until(lambda: app.watcher.link.state == "live" and app.live.count.closed == (election_id == "pending")
                    and app.live.count.last_seq == counted(hubs[0].data / f"{election_id}.jsonl")[0].last_seq)
        await needle_ready(pilot, timeout=30)
        await record("live")
        hubs[0].kill()
        await until(lambda: app.watcher.link.state == "reconnecting")
        await pilot.pause(1.1)  # a whole second: "⚠ last update 1 s ago"
        await record("reconnecting")
        hubs.append(Hub(tmp_path / "empty", port=hubs[0].port))  # the same address, without the count
        await until(lambda: app.watcher.link.state == "not found")
        await record("offline")
        await pilot.press("q")
    return shown


def test_the_pages_stale_words_are_the_models(browser, tmp_path):  # noqa: F811
    """The page counts the seconds itself, and words them as `stale_words` does: seconds, minutes, hours.

    The page's clock is Playwright's: paused when the link drops, then moved
    on by exactly 40 s, 150 s (2.5 min: Python rounds half to even) and 6,000 s.
    """
    from tally.present import stale_words

    hub = Hub(tmp_path / "hub")
    try:
        hub.publish("open", _renamed(frames("ldj5", 300), "open"))
        page = browser.new_context().new_page()
        page.clock.install()
        page.goto(f"{hub.http}/e/open")
        page.wait_for_selector("#calls li", timeout=20_000)  # the model is in: its words with it
        page.clock.pause_at(page.evaluate("Date.now()") + 1000)
        hub.kill()
        moved = 0
        for seconds in (0, 40, 150, 6000):
            page.clock.fast_forward((seconds - moved) * 1000)
            moved = seconds
            assert _status_after(page, stale_words(seconds)).endswith(" · " + stale_words(seconds))
        page.context.close()
    finally:
        if hub.proc.poll() is None:
            hub.kill()


def _status_after(page, words: str) -> str:
    """The page's status line once it says `words`: asked from here, as a paused page clock stops
    the page's own polling (`wait_for_function` waits on animation frames)."""
    for _ in range(200):
        status = page.locator("#status").inner_text()
        if words in status:
            return status
        time.sleep(0.1)
    raise AssertionError(f"the page says {status!r}, not {words!r}")


# -- `tally board`: each row as the hub's row and the model say it ------------------------------

def test_the_board_rows_are_the_models(hub):
    """`tally board` against the hub: each count's line has the model's votes, its likeliest chance
    string (while counting: "> 99.9 %", never "100%"), its lead's figure and its state word."""
    lines = _in_a_thread(_board_lines, hub.url)
    assert set(lines) == set(STATES)
    for election_id, line in lines.items():
        model = expected_row(hub.data / f"{election_id}.jsonl")["model"]
        assert "–".join(c["votes_text"] for c in model["choices"]) in line, election_id
        assert line.rstrip().endswith(model["state_words"]), (election_id, line)
        lead = model["lead_short"].rpartition(" +")
        assert (lead[2] and f"+{lead[2]}" in line) or model["lead_short"] in line, (election_id, line)
        if model["state"] == "counting" and model["chances"]:
            assert f" {model['chances'][0]['text']} " in line, (election_id, line)
        else:
            assert " — " in line, (election_id, line)  # called: no chance, its state says it


async def _board_lines(url: str) -> dict[str, str]:
    """Each row of `tally board URL` at 160 columns, once every needle is in, as plain text."""
    from hubkit import FAST
    from feeds.board import BoardFollower
    from tui.board_app import HubBoard

    app = HubBoard(BoardFollower(url, wait=FAST))
    async with app.run_test(size=(160, 50)) as pilot:
        for _ in range(600):
            rows = app.source.rows()
            if len(rows) == len(STATES) and not any(r.get("working") for r in rows):
                break
            await pilot.pause(0.05)
        app._drawn = -1
        app.draw()
        await pilot.pause()
        options = app.board_rows
        lines = {str(options.get_option_at_index(i).id): options.get_option_at_index(i).prompt.plain
                 for i in range(options.option_count)}
        status = str(app.status.visual)
        await pilot.press("q")
    assert "● LIVE" in status, status
    return lines
