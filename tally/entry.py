"""Counting by keyboard: which key enters what, and the pile count typed before it.

The person keeping the tally types one key per ballot as the Board agent calls
it (`y`, `n`, `v` void, `c` challenged), or a number first for a pile (`25y`).
This module turns keys into event fields; it knows nothing of screens or disks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tally.reducer import Count
from tally.schema import VOID, Election

# Keys with a fixed meaning, never given to a choice.
VOID_KEY, CHALLENGED_KEY, UNDO_KEY, CLOSE_KEY, QUIT_KEY = "v", "c", "u", "x", "q"
RESERVED = {VOID_KEY, CHALLENGED_KEY, UNDO_KEY, CLOSE_KEY, QUIT_KEY}
MAX_PILE = 1_000_000


# Words that many unions' names share: their letters tell two choices apart least.
COMMON_WORDS = {"union", "local", "workers", "united", "labor", "the", "of", "and", "no"}


def choice_keys(election: Election) -> dict[str, str]:
    """One letter per choice: y/n on a yes/no ballot (a poll too), else a letter from each name.

    A choice takes the first free letter among the initials of its words that
    are not common to union names, then the letters of the first such word,
    then every initial, then the letters of its name, then the alphabet; letters
    with a fixed meaning (v c u x q) are never given. "Union A", "Union B",
    "Neither" get a, b, n; "Teamsters Local 727", "UFCW Local 881" get t, f.
    """
    if election.yes_no:
        return {"y": "yes", "n": "no"}
    keys: dict[str, str] = {}
    for choice in election.choices:
        words = choice.lower().split()
        own = [w for w in words if w not in COMMON_WORDS and w[0].isalpha()]
        candidates = ([w[0] for w in own] + list(own[0] if own else "") + [w[0] for w in words]
                      + list(choice.lower()) + list("abcdefghijklmnoprstwyz"))
        keys[next(k for k in candidates if k.isalpha() and k not in RESERVED and k not in keys)] = choice
    return keys


@dataclass
class Entry:
    """The digits typed so far for a pile, and what a key would enter."""

    keys: dict[str, str]
    digits: str = field(default="")
    refused: str | None = None
    """Why a digit of the pending count was refused: the count typed is not the count kept."""

    @property
    def pile(self) -> int:
        return int(self.digits) if self.digits else 1

    def type_digit(self, digit: str) -> str | None:
        """Add a digit to the pending count; a reason when it is refused.

        A refused digit spoils the whole pending count, not just itself:
        `0y` or a sixth digit past the limit would otherwise enter the digits
        that were kept (one ballot, or a smaller pile), which is not what was
        typed. So the next entry key enters nothing (`fields_for`) and the
        count starts again.
        """
        if self.refused is None and not self.digits and digit == "0":
            self.refused = "a pile starts with 1–9"
        elif self.refused is None and int(self.digits + digit) > MAX_PILE:
            self.refused = f"a pile of more than {MAX_PILE:,} ballots is surely a typo"
        elif self.refused is None:
            self.digits += digit
        return self.refused

    def clear(self) -> None:
        self.digits = ""
        self.refused = None

    def fields_for(self, key: str) -> dict | None:
        """The event (without seq) that `key` enters with the pending count, or None.

        None too when a digit of the pending count was refused (`refused`).
        """
        if self.refused is not None:
            return None
        if key in self.keys:
            return {"type": "ballot", "choice": self.keys[key], "count": self.pile}
        if key == VOID_KEY:
            return {"type": "ballot", "choice": VOID, "count": self.pile}
        if key == CHALLENGED_KEY:
            return {"type": "challenged", "count": self.pile}
        return None


def undo_target(count: Count) -> int | None:
    """The most recent entry not yet retracted: what `u` takes back (None: nothing)."""
    for seq in range(count.last_seq, 0, -1):
        if count.retractable(seq):
            return seq
    return None
