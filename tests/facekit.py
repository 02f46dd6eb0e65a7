"""What every face of a count should show, worked out from its file the way the dashboard does.

The dashboard's timeline is told of every event as it is counted
(`tally.timeline.Timeline.record`); the hub numbers a row's calls from the
events it keeps, when the row is made (`feeds.hub.board.last_calls`). These
helpers take the dashboard's way, so a test comparing a hub's row with them
checks that both ways number the calls alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tally.reducer import Count
from tally.schema import parse_event
from tally.summary import summary
from tally.timeline import Timeline


def counted(path: Path) -> tuple[Count, Timeline]:
    """The file's count and a dashboard's timeline of it, event by event."""
    count, timeline = Count(), Timeline()
    for line in Path(path).read_text().splitlines():
        if line.strip():
            event = parse_event(line)
            count.apply(event)
            timeline.record(event, count)
    return count, timeline


def expected_row(path: Path) -> dict[str, Any]:
    """The hub's row of the file's count, as JSON would carry it (lists, not tuples)."""
    count, timeline = counted(path)
    return json.loads(json.dumps(summary(count.snapshot(), timeline.ticker(count.election.yes_no, count))))
