"""The stream overlay (/overlay/ID) and the card, in a real Chromium against `tally serve`.

The overlay is a browser source for OBS: everything but its lower third must
be fully transparent (a screenshot without a background: alpha 0), its numbers
must be `tally report`'s, it must keep them (marked stale) through a hub's
restart, and a hostile title stays text. The hub makes the preview card in
a worker process: Pillow is never loaded in the hub's own process. The
fixtures (one browser for the module, a `tally serve` per test) are the page
tests' (tests/test_page.py).
"""

from __future__ import annotations

import io
import json
import subprocess
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from hubkit import header
from test_hostile_text import HOSTILE, hostile_events
from test_page import SHOTS, TALLY, WAIT, browser, frames, hub, open_page, report, shown, wait_text  # noqa: F401

SIZES = ((1920, 1080), (1280, 720))


def overlay_count(page, choice: str) -> str:
    return shown(page, f'.side[data-choice="{choice}"] .count')


def transparent_above_the_lower_third(png: bytes, height: int) -> None:
    image = Image.open(io.BytesIO(png))
    assert image.mode == "RGBA"
    alpha = image.getchannel("A")
    top = alpha.crop((0, 0, image.width, height * 2 // 3))
    assert top.getextrema() == (0, 0), "something is drawn above the lower third"
    assert alpha.crop((0, height * 2 // 3, image.width, height)).getextrema()[1] == 255  # the box is there


def test_the_overlay_is_a_lower_third_that_says_what_tally_report_says(browser, hub):
    hub.publish("ldj5", frames("ldj5", 400))
    midway = report(hub.data / "ldj5.jsonl")
    yes, no = midway["votes"]["yes"], midway["votes"]["no"]
    SHOTS.mkdir(exist_ok=True)
    for width, height in SIZES:
        page = open_page(browser, f"{hub.http}/overlay/ldj5", viewport={"width": width, "height": height})
        wait_text(page, '.side[data-choice="yes"] .count', f"{yes:,}")
        wait_text(page, "#status", "LIVE")
        assert overlay_count(page, "no") == f"{no:,}"
        assert shown(page, "#call") == "TOO EARLY TO CALL"
        assert shown(page, "#margin") == f"NO leads by {no - yes:,}"
        for selector in (".side .count", ".side .name", "#margin"):  # nothing cut, and large enough to read
            fits = page.evaluate(f"[...document.querySelectorAll('{selector}')].every(n => n.scrollWidth <= n.clientWidth)")
            assert fits, f"{selector} is cut at {width}×{height}"
        digits = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.side .count')).fontSize)")
        assert digits >= 0.055 * height  # 6vh: 65 px at 1080, 43 at 720
        png = page.screenshot(omit_background=True)
        transparent_above_the_lower_third(png, height)
        (SHOTS / f"overlay-{width}x{height}.png").write_bytes(png)
        assert page.seen["dialogs"] == [] and not [m for m in page.seen["console"] if "Content Security" in m]
        page.context.close()


def test_the_overlay_keeps_its_numbers_through_a_restart_and_the_card_is_made_elsewhere(browser, hub, tmp_path):
    events = frames("jfk8")
    hub.publish("jfk8", events[:1500])
    page = open_page(browser, f"{hub.http}/overlay/jfk8", viewport={"width": 1280, "height": 720})
    before = report(hub.data / "jfk8.jsonl")
    wait_text(page, '.side[data-choice="no"] .count', f"{before['votes']['no']:,}")
    hub.kill()
    wait_text(page, "#status", "RECONNECTING")
    wait_text(page, "#status", "last update")
    assert overlay_count(page, "yes") == f"{before['votes']['yes']:,}"  # never blank: the last numbers, dimmed
    assert page.evaluate("document.body.classList.contains('-stale')")
    transparent_above_the_lower_third(page.screenshot(omit_background=True), 720)
    hub.start()
    hub.publish("jfk8", events)
    final = report(hub.data / "jfk8.jsonl")
    wait_text(page, '.side[data-choice="yes"] .count', f"{final['votes']['yes']:,}")
    assert overlay_count(page, "no") == f"{final['votes']['no']:,}"
    wait_text(page, "#status", "FINAL")
    assert not page.evaluate("document.body.classList.contains('-stale')")

    with urllib.request.urlopen(f"{hub.http}/card/jfk8.png", timeout=WAIT / 1000) as answer:
        assert answer.headers["Content-Type"] == "image/png"
        served = Image.open(io.BytesIO(answer.read()))
    maps = Path(f"/proc/{hub.proc.pid}/maps").read_text()
    assert "PIL" not in maps, "Pillow was loaded in the hub's own process"
    out = tmp_path / "jfk8.png"
    subprocess.run([*TALLY, "report", str(hub.data / "jfk8.jsonl"), "--png", str(out)], check=True,
                   capture_output=True)
    written = Image.open(out)
    assert served.size == written.size == (1200, 630)
    assert served.tobytes() == written.tobytes()  # the hub's card is `tally report --png`'s, pixel for pixel


@pytest.mark.parametrize("key", ["html", "controls", "rtl", "long-word", "bold"])
def test_a_hostile_title_stays_text_on_the_overlay(browser, hub, key):
    s = HOSTILE[key]
    events = [json.dumps(e) for e in hostile_events(s)[:4]]
    hub.publish("hostile", [header("hostile", **{k: v for k, v in json.loads(events[0]).items()
                                                 if k not in ("seq", "type", "id")}), *events[1:]])
    page = open_page(browser, f"{hub.http}/overlay/hostile", viewport={"width": 1280, "height": 720})
    page.wait_for_selector(".side .count", timeout=WAIT)
    text = page.evaluate("(id) => document.getElementById(id).textContent", "title")
    assert text == s[:200]
    names = page.evaluate("[...document.querySelectorAll('.side .name')].map(n => n.textContent)")
    assert names == [c for c in json.loads(events[0])["choices"]]
    assert page.locator("img, #third script, #third b, #third svg").count() == 0
    assert page.seen["dialogs"] == []
    transparent_above_the_lower_third(page.screenshot(omit_background=True), 720)
