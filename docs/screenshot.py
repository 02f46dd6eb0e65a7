"""Make the README's picture: LDJ5 in the middle of its count (python docs/screenshot.py).

Writes docs/ldj5-mid-count.svg; `rsvg-convert docs/ldj5-mid-count.svg -o docs/ldj5-mid-count.png`
turns it into the PNG the README shows.
"""

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from dash import replay_app, until  # noqa: E402

EVENTS = 700


async def main() -> None:
    app = replay_app("ldj5")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.live.count.election is not None)
        for _ in range(EVENTS - 1):
            app.replay.step()
            await pilot.pause(0)
        await until(pilot, lambda: app.live.count.last_seq == EVENTS)
        app.save_screenshot("ldj5-mid-count.svg", str(ROOT / "docs"))


asyncio.run(main())
