"""Counting by keyboard: which key enters what, and the pile count typed before it.

The person keeping the tally types one key per ballot as the Board agent calls
it (`y`, `n`, `v` void, `c` challenged), or a number first for a pile (`25y`).
A number then `=` then a key corrects the call with that ballot number in
place (`413=n`: ballot #413 was NO). The Board's announced figures are typed
into a form (`checkpoint_fields`). This module turns keys and typed figures
into event fields; it knows nothing of screens or disks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tally.reducer import Count
from tally.schema import CHALLENGED, MAX_BALLOTS, VOID, Election
from tally.timeline import NoSuchCall, ballot_call, target_label

# Keys with a fixed meaning, never given to a choice.
VOID_KEY, CHALLENGED_KEY, UNDO_KEY, CLOSE_KEY, QUIT_KEY = "v", "c", "u", "x", "q"
CORRECT_KEY = "="  # after a ballot number: the next key is what that ballot was (413=n)
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
    ballot: int | None = None
    """The ballot number typed before `=`: the next entry key corrects that call (`choice_for`)."""

    @property
    def pile(self) -> int:
        return int(self.digits) if self.digits else 1

    def type_equals(self) -> str | None:
        """`=` after a ballot number: the next key says what that ballot was; a reason when refused.

        Refused (and the pending entry spoilt, as a refused digit spoils a pile)
        without a number before it, or after one `=` already.
        """
        if self.refused is None and (not self.digits or self.ballot is not None):
            self.refused = f"type the ballot number first: 413{CORRECT_KEY}n corrects ballot #413 to n"
        elif self.refused is None:
            self.ballot, self.digits = int(self.digits), ""
        return self.refused

    def choice_for(self, key: str) -> str | None:
        """The choice an entry key names: a choice's own key, `v` void, `c` challenged (None: none)."""
        if key in self.keys:
            return self.keys[key]
        return {VOID_KEY: VOID, CHALLENGED_KEY: CHALLENGED}.get(key)

    def type_digit(self, digit: str) -> str | None:
        """Add a digit to the pending count; a reason when it is refused.

        A refused digit spoils the whole pending count, not just itself:
        `0y` or a sixth digit past the limit would otherwise enter the digits
        that were kept (one ballot, or a smaller pile), which is not what was
        typed. So the next entry key enters nothing (`fields_for`) and the
        count starts again.
        """
        if self.refused is None and self.ballot is not None:
            self.refused = f"after {CORRECT_KEY} comes what ballot #{self.ballot:,} was: a choice's key, v or c"
        elif self.refused is None and not self.digits and digit == "0":
            self.refused = "a pile starts with 1–9"
        elif self.refused is None and int(self.digits + digit) > MAX_PILE:
            self.refused = f"a pile of more than {MAX_PILE:,} ballots is surely a typo"
        elif self.refused is None:
            self.digits += digit
        return self.refused

    def clear(self) -> None:
        self.digits = ""
        self.refused = None
        self.ballot = None

    def fields_for(self, key: str) -> dict | None:
        """The event (without seq) that `key` enters with the pending count, or None.

        None too when a digit of the pending count was refused (`refused`),
        and while a correction is pending (`ballot`: `correction_fields` makes it).
        """
        if self.refused is not None or self.ballot is not None:
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


def correction_fields(count: Count, ballot: int, choice: str) -> dict:
    """The `correct` event (without seq) that makes ballot #`ballot`'s call `choice`.

    The ballot number is the ticker's (`tally.timeline.ballot_call`: a pile's
    whole range names it). Raises NoSuchCall in the counter's words: no such
    ballot, a retracted call, or a call that already is `choice` (the reducer
    refuses that too, but by entry, not by the number the counter typed).
    """
    target = ballot_call(count, ballot)
    election = count.election
    slot = (election.choices.index(choice) if choice in election.choices
            else len(election.choices) + (choice == CHALLENGED))
    if count.call_at(target)[0] == slot:
        name = choice.upper() if election.yes_no or choice == VOID else choice
        raise NoSuchCall(f"ballot {target_label(count, target)} is already {name}: nothing to correct")
    return {"type": "correct", "target": target, "choice": choice}


def figure(typed: str, name: str, required: bool = True) -> int | None:
    """A figure typed into the Board's form: digits, thousands commas allowed ('1,518').

    Blank is None (not announced) where the figure is optional; anything
    else that is not a whole number from 0 to the format's limit is refused
    with ValueError naming the field.
    """
    text = typed.strip().replace(",", "").replace("\u202f", "").replace(" ", "")
    if not text:
        if required:
            raise ValueError(f"{name}: type the figure the Board announced")
        return None
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"{name}: {typed.strip()[:20]!r} is not a whole number")
    value = int(text)
    if value > MAX_BALLOTS:  # the format's limit for a figure (tally.schema.Tally)
        raise ValueError(f"{name}: {value:,} is more than any count holds")
    return value


def checkpoint_fields(election: Election, votes: dict[str, str], void: str = "", challenged: str = "",
                      text: str = "") -> dict:
    """The `checkpoint` event (without seq) for the figures typed into the Board's form.

    Every choice's votes are required; void and challenged only when announced
    (blank: not compared); the text is the agent's words, optional. ValueError
    in one line for a figure that is not one; whether the figures fit the
    ballot is the reducer's rule, said when the event is journaled.
    """
    fields: dict = {"type": "checkpoint",
                    "votes": {c: figure(votes.get(c, ""), c) for c in election.choices}}
    for name, typed in (("void", void), ("challenged", challenged)):
        value = figure(typed, name, required=False)
        if value is not None:
            fields[name] = value
    if text.strip():
        fields["text"] = text.strip()
    return fields
