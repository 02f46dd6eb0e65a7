"""Screenshots of the three banner states at 80×24 and 120×40 (pytest-textual-snapshot).

Nothing on the dashboard reads the wall clock (the replay paces by the events'
own stamps and is driven here with `end`), and no widget blinks, so the
pictures are stable. After a deliberate change: `pytest --snapshot-update`,
then look at the new pictures before committing them.
"""

from pathlib import Path

import pytest

from dash import ROOT, replay_app, to_end


def first_events(tmp_path: Path, n: int) -> Path:
    """The first n events of LDJ5: too early to call."""
    lines = (ROOT / "replays" / "ldj5.jsonl").read_text().splitlines()[:n]
    path = tmp_path / "ldj5-start.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("state", ["early", "decided", "pending"])
def test_banner_states(snap_compare, tmp_path, state, size):
    source = {"early": first_events(tmp_path, 300), "decided": "ldj5", "pending": "bhm1-2022"}[state]
    assert snap_compare(replay_app(source), terminal_size=size, run_before=to_end)
