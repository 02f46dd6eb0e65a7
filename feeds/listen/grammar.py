"""The recogniser's grammar, made from the ballot: its calls, and a path for everything else.

A call is one of the ballot's choices ("yes" / "no" on a yes/no ballot; each
choice's name on a runoff or multi-union ballot), "void" or "challenged". The
recogniser is given only these, so it cannot mishear a call as a word it does
not know; but then anything else said between the calls would be forced into
a call. The reject path is a list of the things said between calls at a count
(OTHER_SPEECH): an utterance that matches one of them better than any call is
no call at all. docs/PERFORMANCE.md says how often this rejects speech that is
not on the list. Words the recogniser's dictionary lacks (a union's name, a
local's number) are given as they are said: `--say "UFCW Local 881=you eff see
double you local eight eighty one"`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from tally.schema import CHALLENGED, VOID, Election

OTHER_SPEECH = (
    "okay", "next one", "next", "hold on", "just a moment", "all right", "alright", "thank you",
    "let me see", "a second", "next ballot", "moving on", "here we go",
    "okay next", "one moment", "repeat that", "can everyone hear me", "we are back",
    "i know",
)
"""Said between the calls of a count: the reject path's words. Short function words ("a",
"to", "one" alone), hesitations ("um", "uh") and short words ("there", "and", "wait", "mute",
"sorry", "again", "got it") are left out: each took true calls of some voice ("no" heard as
"there" or "um", "challenged" as "and", "void" as "wait"; bench/bench_listen.py). So are
phrases that end in a call's own sounds: "that is" (a vowel and a hiss, as "yes") took 32
of 800 calls at 10 dB SNR and rejected 3 pieces of other speech; "hang on" (n and a back
vowel, as a British "no") took 11 and rejected 4. "i know" holds the call's homophone: it is
rejected as a whole phrase only (a call is one word alone)."""

SOUND_ALIKES = {"yes": ("yeah",), "no": ("nah", "now", "new"), "void": ("boy", "toy")}
"""Common words that sound like a call word ("yeah" and "yes", "nah" and "no", "boy" and
"void"): said alone between calls they are no call, but a grammar without them has only a call
to match them to, and matched them surely. They are on the reject path, and an utterance
heard as one of them is held as the call it sounds like, never counted and never dropped: a
true call heard so costs one key, not a ballot. (In the calls-only decoder's grammar too, to
split its posterior, they took 10 dB SNR from 87.4 % right to 72.3 %, held 22.5 %: not kept.)

Only words whose vowel or first sound differs from the call's. Words that are a call with one
consonant added or changed at its end ("nope", "yep", "yup", "yet", "challenge") and "noise"
were tried and took true calls: "nope" 38 of 400 clean "no"s, "yep" and "yup" 141 and "yet"
217 of the "yes"es at 10 dB SNR (bench/bench_listen.py, 8 sessions): a final consonant is what
a noisy line, and this acoustic model, loses first. "new" costs some noisy "no"s (0.5 points
of right calls at 10 dB) but is needed: the British "no" the reject-path decoder knows
(recogniser.ACCENTS, N AH UW) is one sound from it, and without it "new" was counted. "know" is said
exactly as "no" (N OW): alone it cannot be told from it by sound at all; in a phrase
("i know") it is OTHER_SPEECH."""


class ModelError(Exception):
    """A choice the recogniser cannot model, in one line that says what to give."""


@dataclass(frozen=True)
class Grammar:
    calls: dict[tuple[str, ...], str]
    """Each call's words (as the recogniser hears them) -> the choice it enters (a choice, void,
    challenged)."""
    other: tuple[tuple[str, ...], ...]
    """The reject path: word sequences that are no call."""
    alike: dict[tuple[str, ...], str] = field(default_factory=dict)
    """Words that sound like a call but are none (SOUND_ALIKES) -> the choice they sound like: on
    the reject path, and held as that choice, never counted."""

    def jsgf(self, reject: bool = True) -> str:
        """The grammar in JSGF: one utterance is one call or (`reject`) one piece of other speech."""
        calls = " | ".join(" ".join(words) for words in self.calls)
        if not reject:
            return f"#JSGF V1.0;\ngrammar calls;\npublic <utterance> = {calls};\n"
        other = " | ".join(" ".join(words) for words in (*self.other, *self.alike))
        return ("#JSGF V1.0;\ngrammar ballot;\npublic <utterance> = <call> | <other>;\n"
                f"<call> = {calls};\n<other> = {other};\n")

    def call(self, words: tuple[str, ...]) -> str | None:
        return self.calls.get(words)

    def sounds_like(self, words: tuple[str, ...]) -> str | None:
        """The choice a sound-alike sounds like ("yeah" -> "yes"), None for any other words."""
        return self.alike.get(words)


def words_of(text: str) -> tuple[str, ...]:
    """How a name is looked up in the dictionary: lowercase words, punctuation dropped."""
    return tuple(re.findall(r"[a-z0-9']+", text.lower()))


def parse_say(given: list[str]) -> dict[str, str]:
    """`--say "NAME=pronunciation"` flags as {name: pronunciation}; ModelError when malformed."""
    says: dict[str, str] = {}
    for item in given:
        name, sep, said = item.partition("=")
        if not sep or not name.strip() or not words_of(said):
            raise ModelError(f'--say {item!r}: give it as --say "NAME=how it is said", '
                             'e.g. --say "UFCW Local 881=u f c w local eight eighty one"')
        says[name.strip()] = said
    return says


def ballot_grammar(election: Election, says: dict[str, str], known: Callable[[str], bool]) -> Grammar:
    """The grammar of this ballot's calls; ModelError for a name with a word `known` refuses.

    `known(word)` says whether the recogniser's dictionary has the word. A
    `--say` for a name not on the ballot is refused too (a typo would be
    silently ignored), and so are two calls that sound the same.
    """
    unknown = set(says) - set(election.choices)
    if unknown:
        name = sorted(unknown)[0]
        raise ModelError(f"--say {name!r}: not a choice on this ballot "
                         f"({', '.join(election.choices)})")
    calls: dict[tuple[str, ...], str] = {}
    for choice in (*election.choices, VOID, CHALLENGED):
        words = words_of(says.get(choice, choice))
        missing = [w for w in words if not known(w)]
        if missing:
            raise ModelError(
                f"choice {choice!r}: the recogniser has no word {missing[0]!r}; say how it is "
                f'read aloud in words it knows: --say "{choice}=..." (e.g. "eight eighty one" for 881)')
        if words in calls:
            raise ModelError(f"choices {calls[words]!r} and {choice!r} are said the same "
                             f"({' '.join(words)!r}): tell them apart with --say")
        calls[words] = choice
    call_words = {w for words in calls for w in words}
    other = tuple(words for words in map(words_of, OTHER_SPEECH)
                  if words not in calls and all(map(known, words)))
    alike = {words_of(word): choice for said, choice in calls.items() if len(said) == 1
             for word in SOUND_ALIKES.get(said[0], ()) if word not in call_words and known(word)}
    return Grammar(calls, other, alike)
