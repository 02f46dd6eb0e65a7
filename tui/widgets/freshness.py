"""How fresh the numbers are: the last call, the pace, the time left at it, the recent trend.

A watcher whose link dropped sees "last update 40 s ago" counting up, so stale
numbers never pass for current ones. The time comes from the app's clock
(`app.now`), never read here: screenshots freeze it.
"""

from __future__ import annotations

from datetime import datetime

from feeds.live import View
from tally.reducer import Snapshot
from tally.timeline import Pace
from tui.widgets.readout import Readout
from tui.widgets.words import choice_name


def ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 90:
        return f"{seconds} s ago"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min ago"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min ago"


def duration(minutes: float) -> str:
    if minutes < 1:
        return "< 1 min"
    if minutes < 90:
        return f"~{round(minutes)} min"
    return f"~{int(minutes // 60)} h {round(minutes % 60):02d} min"


def clock_time(at: datetime, local: bool) -> str:
    """A stamp as the time of day: the count's own clock for a recording, the viewer's when live.

    The one place a stamp is moved to another offset for display. The format
    keeps `at` centuries inside datetime's range (tally.schema.EARLIEST and
    LATEST), so no offset can carry it past year 9999 or before year 1; a C
    library that cannot place the instant in the viewer's zone (localtime
    fails) gets the count's own clock, never a stopped screen.
    """
    if local:
        try:
            at = at.astimezone()
        except (OverflowError, OSError, ValueError):
            pass
    return at.strftime("%H:%M:%S")


def freshness_lines(view: View, now: datetime, local: bool) -> tuple[str, str]:
    """Two lines: when and how fast; and the recent trend against the whole count."""
    snap, pace = view.snapshot, view.pace
    first = []
    if view.feed.since is not None:
        first.append(f"⚠ last update {ago((now - view.feed.since).total_seconds())}")
    if pace.last_at is not None:
        first.append(f"last call {clock_time(pace.last_at, local)}")
    if snap is not None and not snap.closed:
        first.append(pace_words(pace, snap))
    return " · ".join(first) or "no calls yet", trend_words(pace, snap)


def pace_words(pace: Pace, snap: Snapshot) -> str:
    if pace.per_minute is None:
        return "pace not known yet"
    words = f"{pace.per_minute:,.1f}/min"
    left = pace.minutes_left(snap.remaining)
    return f"{words} · {duration(left)} to go" if left is not None else words


def trend_words(pace: Pace, snap: Snapshot | None) -> str:
    """'Last 100 ballots: YES 41 %, overall 38 %' for YES (or the leader of a multi-choice count)."""
    if snap is None or not pace.recent or not snap.valid:
        return "recent trend: not yet (fewer than 100 ballots)"
    i = 0 if snap.election.yes_no else (snap.leader if snap.leader is not None else 0)
    recent_valid = sum(pace.recent_votes)
    if not recent_valid:
        return f"last {pace.recent:,} ballots: no valid votes"
    share = 100 * pace.recent_votes[i] / recent_valid
    overall = 100 * snap.votes[i] / snap.valid
    return f"last {pace.recent:,} ballots: {choice_name(snap, i)} {share:.0f} %, overall {overall:.0f} %"


class Freshness(Readout):
    """The last call's time, the pace, the time left, the recent trend; or how stale the numbers are."""

    def show_view(self, view: View) -> None:
        app = self.app
        self.say(freshness_lines(view, app.now(), getattr(app, "LOCAL_TIMES", False)))
        self.set_class(view.feed.since is not None, "-stale")
