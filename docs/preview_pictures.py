"""Make the README's pictures of the overlay and the card (python docs/preview_pictures.py).

Starts `tally serve` on a loopback port with the first 600 events of LDJ5,
takes the overlay (/overlay/ldj5) in Chromium at 1280×720 with no background,
lays it over a video frame made here (a synthetic picture of a room: no
footage of anyone), and fetches the card (/card/ldj5.png). Writes
docs/overlay-over-video.png and docs/card-ldj5.png, both made small.
"""

import io
import signal
import sys
import tempfile
import urllib.request
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from test_page import CHROMIUM, Hub, frames  # noqa: E402

EVENTS = 600


def video_frame(size: tuple[int, int]) -> Image.Image:
    """A stand-in for a livestream's frame: a warm room, a table, two blurred figures at it."""
    w, h = size
    frame = Image.new("RGB", size)
    draw = ImageDraw.Draw(frame)
    for y in range(h):  # wall to floor
        t = y / h
        draw.line([(0, y), (w, y)], fill=(int(92 + 60 * t), int(80 + 38 * t), int(70 + 20 * t)))
    draw.rectangle((0, int(h * 0.62), w, h), fill=(70, 52, 40))  # the floor
    draw.rectangle((int(w * 0.12), int(h * 0.50), int(w * 0.88), int(h * 0.58)), fill=(120, 86, 58))  # a table
    for cx in (0.33, 0.62):  # two people counting, out of focus
        x = int(w * cx)
        draw.ellipse((x - 46, int(h * 0.22), x + 46, int(h * 0.36)), fill=(196, 152, 120))
        draw.rounded_rectangle((x - 90, int(h * 0.35), x + 90, int(h * 0.56)), 40, fill=(54, 74, 110))
    draw.rectangle((int(w * 0.44), int(h * 0.47), int(w * 0.52), int(h * 0.50)), fill=(236, 232, 220))  # ballots
    return frame.filter(ImageFilter.GaussianBlur(6))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        hub = Hub(Path(tmp) / "hub")  # `tally serve` on a loopback port (the page tests' own)
        try:
            hub.publish("ldj5", frames("ldj5", EVENTS))
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM)
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                page.goto(f"{hub.http}/overlay/ldj5")
                page.wait_for_selector(".side .count")
                page.wait_for_function("document.getElementById('status').textContent.includes('LIVE')")
                overlay = Image.open(io.BytesIO(page.screenshot(omit_background=True)))
                browser.close()
            with urllib.request.urlopen(f"{hub.http}/card/ldj5.png", timeout=60) as answer:
                card = Image.open(io.BytesIO(answer.read()))
        finally:
            hub.proc.send_signal(signal.SIGINT)  # as Ctrl-C: the hub ends its workers itself
            hub.proc.wait()
    shot = video_frame(overlay.size).convert("RGBA")
    shot.alpha_composite(overlay)
    small = shot.convert("RGB").resize((960, 540), Image.LANCZOS)
    small.quantize(256, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE).save(
        ROOT / "docs" / "overlay-over-video.png", optimize=True)
    card.convert("RGB").resize((600, 315), Image.LANCZOS).quantize(64).save(
        ROOT / "docs" / "card-ldj5.png", optimize=True)


if __name__ == "__main__":
    main()
