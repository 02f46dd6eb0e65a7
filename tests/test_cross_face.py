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
import subprocess
import threading

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
    count, timeline = counted(path)
    dashboard = present(count.snapshot(), _odds(count), calls=timeline.ticker(count.election.yes_no, count),
                        most_calls=12).as_json()
    dashboard = json.loads(json.dumps(dashboard))
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
    faces = {"dashboard": ("headline", "subline", "margin", "remaining", "piles", "turnout"),
             "broadcast": ("headline", "subline", "margin", "last_call")}  # a room's view shows less
    for name, keys in faces.items():
        for key in keys:
            assert dashboard[key] in screens[name], (name, key)
        if texts:
            assert " · ".join(f"{c['label']} {c['text']}" for c in dashboard["chances"]) in screens[name], name
    ticker = [" ".join(line.split()) for line in screens["ticker"].splitlines()]  # its columns padded
    assert ticker[:len(dashboard["calls"])] == [
        " ".join(f"{c['label']} {c['text']}".split()) for c in dashboard["calls"]]

    # the page, in Chromium
    page = open_page(browser, f"{hub.http}/e/{election_id}", viewport={"width": 390, "height": 844})
    wait_text(page, "#call", dashboard["headline"].split(" — ")[0])
    page.wait_for_function("() => document.querySelectorAll('#chances .percent').length > 0", timeout=20_000)
    assert page.locator("#chances .percent").all_inner_texts() == texts
    assert page.locator("#chances .words").all_inner_texts() == [c["label"] for c in dashboard["chances"]]
    assert page.locator(".choice .count").all_inner_texts() == [c["votes_text"] for c in dashboard["choices"]]
    assert page.locator("#calls .label").all_text_contents() == [c["label"] for c in dashboard["calls"]]
    assert page.locator("#calls .what").all_text_contents() == [c["text"] for c in dashboard["calls"]]
    assert page.locator("#detail").inner_text() == dashboard["subline"]
    if count.closed:
        wait_text(page, "#status", "FINAL")
        assert "LIVE" not in page.locator("#status").inner_text()
    _calls_are_laid_out_apart(page)
    page.context.close()


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
