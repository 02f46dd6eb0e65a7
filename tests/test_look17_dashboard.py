"""Issue 17, looking at the dashboard as a reader does at 80×24: the chance chart's caption.

The screenshot showed "Union's chance: 27.5 % n…": at 80 columns the chart has
26 cells and even its narrow caption was cut (with "> 99.9 %", more of it). The
caption now gives way word by word (`tally.present.chance_chart_tight`): the
chance itself is always whole.
"""

from __future__ import annotations

import pytest

from dash import needle_ready, replay_app, to_end
from test_snapshots import first_events
from tui.widgets.needle import ChanceChart


@pytest.mark.parametrize("events", [60, 600], ids=["open", "all-but-certain"])
async def test_the_chance_charts_caption_fits_at_80_columns(tmp_path, events):
    app = replay_app(first_events(tmp_path, events))
    async with app.run_test(size=(80, 24)) as pilot:
        await to_end(pilot)
        await needle_ready(pilot)
        chart = app.screen.query_one(ChanceChart)
        caption = str(chart.label.visual)
        union = next(c.text for c in app.framed(app._view).presentation.chances if c.key == "yes")
        assert chart.size.width < 45  # the narrow layout
        assert len(caption) <= chart.label.size.width, (caption, chart.label.size.width)
        assert f": {union}" in caption, caption  # the chance, whole
