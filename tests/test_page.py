"""The hub's web page in a real browser: Chromium driven by Playwright, against `tally serve`.

Chromium is Debian's package (`apt-get install -y chromium`, see README);
without it these tests are skipped with a notice, unless TALLY_REQUIRE_BROWSER
is set (as .ci/run does), when a missing browser fails them. One browser for
the module; each test starts its own `tally serve` process.

Screenshots go to tests/__screenshots__/ (not kept in git): look at them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from websockets.sync.client import connect

from hubkit import TOKEN, header, replay

TALLY = [sys.executable, "-m", "tui.cli"]
SHOTS = Path(__file__).resolve().parent / "__screenshots__"
WAIT = 20_000  # ms: a loaded 2-core machine
CHROMIUM = os.environ.get("TALLY_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def _missing(why: str):
    if os.environ.get("TALLY_REQUIRE_BROWSER"):
        pytest.fail(f"TALLY_REQUIRE_BROWSER is set, but {why}")
    pytest.skip(f"browser tests skipped: {why} (apt-get install -y chromium; pip install -e '.[test]')")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    if not os.path.exists(CHROMIUM):
        _missing(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


class Hub:
    """`tally serve` in its own process, on 127.0.0.1; killed and started again at will."""

    def __init__(self, data: Path, port: int = 0) -> None:
        self.data = data
        self.token_file = data.parent / "token"
        self.token_file.write_text(TOKEN + "\n")
        self.token_file.chmod(0o600)  # a token file others can read is refused
        self.port = port
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [*TALLY, "serve", "--port", str(self.port), "--data", str(self.data),
             "--token-file", str(self.token_file)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        listening = re.search(r"listening on ws://127\.0\.0\.1:(\d+) ", line)
        assert listening, f"unexpected first line from tally serve: {line!r}"
        self.port = int(listening[1])

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def publish(self, election_id: str, frames: list[str]) -> None:
        """Send frames from the hub's last on (a second publish picks up where it stands)."""
        with connect(f"{self.url}/elections/{election_id}/publish",
                     additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
            last = json.loads(ws.recv())["last"]
            for frame in frames:
                if json.loads(frame)["seq"] <= last:
                    continue
                ws.send(frame)
                answer = json.loads(ws.recv())
                assert "ack" in answer, answer


@pytest.fixture
def hub(tmp_path):
    running = Hub(tmp_path / "hub")
    yield running
    running.kill()


def frames(name: str, n: int | None = None) -> list[str]:
    return [e.model_dump_json(exclude_none=True) for e in replay(name, n)]


def report(path: Path) -> dict:
    out = subprocess.run([*TALLY, "report", "--json", str(path)], capture_output=True, check=True)
    return json.loads(out.stdout)


def handled(report: dict) -> int:
    """Ballots handled: the newest call's ballot number."""
    return report["valid"] + report["void"] + report["challenged"]


def report_of(lines: list[str]) -> dict:
    from tally.reducer import Count
    from tally.report import json_report
    from tally.schema import parse_event
    count = Count()
    for line in lines:
        count.apply(parse_event(line))
    return json_report(count.snapshot(), needle=False)


def open_page(browser, url: str, **context):
    """A page at url, with every request, WebSocket, dialog and policy complaint recorded."""
    page = browser.new_context(**context).new_page()
    page.seen = {"requests": [], "sockets": [], "dialogs": [], "console": []}
    page.on("request", lambda r: page.seen["requests"].append(r.url))
    page.on("websocket", lambda ws: page.seen["sockets"].append(ws.url))
    page.on("dialog", lambda d: (page.seen["dialogs"].append(d.message), d.dismiss()))
    page.on("console", lambda m: page.seen["console"].append(m.text))
    page.goto(url)
    return page


def shown(page, selector: str) -> str:
    return page.locator(selector).inner_text()


def wait_text(page, selector: str, text: str) -> None:
    page.wait_for_function(
        "([s, t]) => { const n = document.querySelector(s); return n && n.textContent.includes(t); }",
        arg=[selector, text], timeout=WAIT)


def count_of(page, choice: str) -> str:
    return shown(page, f'.choice[data-choice="{choice}"] .count')


def test_the_page_shows_what_tally_report_says_of_the_hubs_file(browser, hub):
    hub.publish("ldj5", frames("ldj5", 400))
    hub.publish("jfk8", frames("jfk8", 300))
    page = open_page(browser, f"{hub.http}/e/ldj5")
    midway = report(hub.data / "ldj5.jsonl")
    wait_text(page, '.choice[data-choice="yes"] .count', f"{midway['votes']['yes']:,}")
    assert count_of(page, "no") == f"{midway['votes']['no']:,}"
    assert shown(page, "#call") == "TOO EARLY TO CALL"
    wait_text(page, "#status", "LIVE")
    wait_text(page, "#calls", f"#{handled(midway):,}")  # numbered by ballot, not by seq

    hub.publish("ldj5", frames("ldj5"))
    final = report(hub.data / "ldj5.jsonl")
    # Rows go out as the count moves: one may show the last "no" before the last "yes" is in.
    wait_text(page, '.choice[data-choice="no"] .count', f"{final['votes']['no']:,}")
    wait_text(page, '.choice[data-choice="yes"] .count', f"{final['votes']['yes']:,}")
    wait_text(page, "#call", "OUTCOME DECIDED")
    assert "no majority for Amazon Labor Union" in shown(page, "#call")  # the model's words
    assert f"Void: {final['void']:,}" in shown(page, "#facts .piles")
    assert f"Challenged: {final['challenged']:,}" in shown(page, "#facts .piles")
    wait_text(page, "#status", "FINAL")  # a closed count: never LIVE

    board = open_page(browser, f"{hub.http}/")
    board.wait_for_selector('.row[data-id="jfk8"]', timeout=WAIT)
    rows = board.locator(".row")
    assert [rows.nth(i).get_attribute("data-id") for i in range(rows.count())] == ["jfk8", "ldj5"]
    assert "FINAL" in board.locator('.row[data-id="ldj5"] .state').inner_text()
    assert "COUNTING" in board.locator('.row[data-id="jfk8"] .state').inner_text()
    for p in (page, board):
        assert not [m for m in p.seen["console"] if "Content Security Policy" in m], p.seen["console"]


def test_a_hub_killed_and_restarted_mid_count_ends_with_the_exact_totals(browser, hub):
    events = frames("jfk8")
    hub.publish("jfk8", events[:1500])
    page = open_page(browser, f"{hub.http}/e/jfk8")
    wait_text(page, "#calls", f"#{handled(report_of(events[:1500])):,}")
    hub.kill()
    wait_text(page, "#status", "RECONNECTING")
    assert "last update" in shown(page, "#status")
    hub.start()  # the same port: the page's links come back by themselves
    hub.publish("jfk8", events[:3000])
    hub.kill()
    hub.start()
    hub.publish("jfk8", events)
    final = report(hub.data / "jfk8.jsonl")
    wait_text(page, "#status", "FINAL")  # the closed count's row: its figures are the last
    assert count_of(page, "yes") == f"{final['votes']['yes']:,}"
    assert count_of(page, "no") == f"{final['votes']['no']:,}"
    assert f"Challenged: {final['challenged']:,}" in shown(page, "#facts .piles")
    labels = [s for s in page.locator("#calls .label").all_text_contents() if s]
    numbers = [int(s.lstrip("#").split("–")[-1].replace(",", "")) for s in labels]
    assert numbers == sorted(numbers, reverse=True) and len(set(numbers)) == len(numbers)  # none twice, in order


HOSTILE = "<img src=x onerror=alert(1)>"


def test_user_text_is_shown_literally_and_runs_nothing(browser, hub):
    hub.publish("xss", [
        header("xss", title=HOSTILE, choices=["<b>Union</b>", "Neither<script>alert(3)</script>"],
               location='"><svg onload=alert(4)>'),
        json.dumps({"seq": 2, "type": "note", "text": "<script>alert(2)</script>"}),
        json.dumps({"seq": 3, "type": "ballot", "choice": "<b>Union</b>"}),
    ])
    for path in ("/", "/e/xss"):
        page = open_page(browser, f"{hub.http}{path}")
        page.wait_for_selector(".row, #calls li", timeout=WAIT)
        wait_text(page, "body", HOSTILE)
        if path == "/e/xss":
            wait_text(page, "#calls", "<script>alert(2)</script>")
            assert shown(page, "#title") == HOSTILE
            assert "<b>Union</b>" in shown(page, "#choices")
        assert page.locator("img").count() == 0
        assert page.locator("main script, main svg, main b").count() == 0
        assert page.seen["dialogs"] == []


def test_the_page_asks_nothing_of_any_host_but_the_hub(browser, hub):
    hub.publish("ldj5", frames("ldj5", 50))
    for path in ("/", "/e/ldj5"):
        page = open_page(browser, f"{hub.http}{path}")
        wait_text(page, "#status", "LIVE")
        page.wait_for_timeout(500)
        origins = {urlsplit(u).netloc for u in page.seen["requests"] + page.seen["sockets"]}
        assert origins == {f"127.0.0.1:{hub.port}"}, page.seen
        schemes = {urlsplit(u).scheme for u in page.seen["sockets"]}
        assert schemes == {"ws"}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_phone_and_desktop(browser, hub, scheme):
    """Both pages at 360×740 and 1280×800: saved for a person to look at."""
    hub.publish("ldj5", frames("ldj5", 600))
    hub.publish("bhm1-2022", frames("bhm1-2022"))
    hub.publish("jfk8", frames("jfk8", 2000))
    SHOTS.mkdir(exist_ok=True)
    for width, height in ((360, 740), (1280, 800)):
        for path, name in (("/", "board"), ("/e/ldj5", "count")):
            page = open_page(browser, f"{hub.http}{path}", viewport={"width": width, "height": height})
            page.emulate_media(color_scheme=scheme)
            wait_text(page, "#status", "LIVE")
            page.wait_for_selector(".row, #calls li", timeout=WAIT)
            page.wait_for_timeout(300)
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow, f"{name} scrolls sideways at {width} px"
            page.screenshot(path=str(SHOTS / f"{name}-{width}x{height}-{scheme}.png"))
            page.context.close()


def test_the_board_page_takes_rows_that_come_together_in_one_frame(browser, hub):
    """Elections that change in the same moment reach the page as one `{"rows": [...]}` frame
    (feeds.hub.board.packed): the page draws every row of it."""
    names = ["pa", "pb", "pc", "pd"]
    for name in names:
        hub.publish(name, [header(name, ballots=40), json.dumps({"seq": 2, "type": "ballot", "choice": "yes"})])
    page = open_page(browser, f"{hub.http}/")
    packed = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: packed.append(
        isinstance(frame, str) and frame.startswith('{"rows":'))))
    page.reload()
    for name in names:
        wait_text(page, f'li[data-id="{name}"] .bar-line .count', "1")
    for round_ in range(3):  # each round: all four change at once
        for name in names:
            hub.publish(name, [json.dumps({"seq": 3 + round_, "type": "ballot", "choice": "no"})])
        if any(packed):
            break
    for name in names:
        page.wait_for_function(
            "([id, n]) => [...document.querySelectorAll(`li[data-id='${id}'] .bar-line .count`)]"
            ".map((c) => c.textContent).join(' ') === `1 ${n}`", arg=[name, str(round_ + 1)], timeout=WAIT)
    assert any(packed), "no frame of several rows came: the packing was not tried"
