"""`tally listen` (issue 20): calls heard in synthesised speech are counted, other speech is not,
unsure calls are held for a person, bad audio changes nothing, and the screen is `tally count`'s."""

from __future__ import annotations

import io
import json
import sys
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dash import text, until
from listenkit import ends, tally


def journal(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def calls(events: list[dict]) -> list[tuple[str, str | None, bool]]:
    """(type, choice, heard?) of each ballot and challenged entry."""
    return [(e["type"], e.get("choice"), "heard" in e) for e in events
            if e["type"] in ("ballot", "challenged")]


def at(event: dict) -> datetime:
    return datetime.fromisoformat(event["at"])


def test_headless_counts_each_call_of_a_yes_no_ballot_as_heard(clips, tmp_path):
    path = tmp_path / "j.jsonl"
    code, out, err = tally("listen", path, "--headless", "--audio", clips["calls"], "--ballots", 10)
    assert (code, err) == (0, "")
    assert out.count("\n") == 1 and "5 calls counted" in out  # one summary line
    events = journal(path)
    assert events[0]["type"] == "election" and events[0]["ballots"] == 10
    assert calls(events) == [("ballot", "yes", True), ("ballot", "no", True), ("ballot", "void", True),
                             ("challenged", None, True), ("ballot", "yes", True)]
    assert all(0 <= e["heard"] <= 1 for e in events[1:])


def test_each_entry_is_stamped_by_the_audio_clock(clips, tmp_path):
    """`at` of each call is the listening's start plus where the call ends in the audio: the gaps
    between entries are the gaps in the audio, not the (much shorter) time it took to hear them."""
    path = tmp_path / "j.jsonl"
    assert tally("listen", path, "--headless", "--audio", clips["calls"])[0] == 0
    stamps = [at(e) for e in journal(path)[1:]]
    said = ends(clips["calls"])
    for i in range(1, len(said)):
        gap = (stamps[i] - stamps[i - 1]).total_seconds()
        assert gap == pytest.approx(said[i] - said[i - 1], abs=0.2)


@pytest.mark.parametrize("ballot, flags, expected", [
    ("runoff", ["--choices", "Teamsters Local 727,UFCW Local 881",
                "--say", "Teamsters Local 727=teamsters local seven twenty seven",
                "--say", "UFCW Local 881=u f c w"],
     [("ballot", "Teamsters Local 727", True), ("ballot", "UFCW Local 881", True),
      ("ballot", "void", True), ("ballot", "UFCW Local 881", True)]),
    ("multi", ["--choices", "Teamsters,Carpenters,Neither"],
     [("ballot", "Teamsters", True), ("ballot", "Carpenters", True), ("ballot", "Neither", True),
      ("ballot", "Carpenters", True), ("challenged", None, True)]),
])
def test_other_ballots_are_heard_by_their_choices_names(clips, tmp_path, ballot, flags, expected):
    path = tmp_path / "j.jsonl"
    code, out, err = tally("listen", path, "--headless", "--audio", clips[ballot], *flags)
    assert (code, err) == (0, "")
    assert calls(journal(path)) == expected


def test_other_speech_between_calls_is_not_counted(clips, tmp_path):
    """"okay", "next one", "hold on" between the calls: the reject path takes them, no call is made."""
    path = tmp_path / "j.jsonl"
    code, out, err = tally("listen", path, "--headless", "--audio", clips["other"])
    assert code == 0, err
    events = journal(path)
    assert calls(events) == [("ballot", "yes", True), ("ballot", "no", True), ("ballot", "void", True),
                             ("ballot", "yes", True)]
    assert "3 not calls" in out


def test_headless_journals_an_unsure_call_as_a_note_never_a_ballot(clips, tmp_path):
    path = tmp_path / "j.jsonl"
    code, out, err = tally("listen", path, "--headless", "--audio", clips["held"])
    assert code == 0, err
    events = journal(path)
    assert calls(events) == [("ballot", "void", True)]
    notes = [e["text"] for e in events if e["type"] == "note"]
    assert len(notes) == 1 and notes[0].startswith("unsure: heard 'yes' at ")
    assert "confidence 0." in notes[0] and "1 unsure" in out


def test_raw_pcm_on_standard_input(clips, tmp_path):
    path = tmp_path / "j.jsonl"
    code, out, err = tally("listen", path, "--headless", "--audio", "-",
                           stdin=clips["raw"].read_bytes())
    assert code == 0, err
    assert [c for _, c, _ in calls(journal(path))] == ["yes", "no", "void", None, "yes"]


@pytest.mark.parametrize("audio, stdin, says", [
    ("22k", None, "22,050 Hz, 1 channel, 16-bit audio; tally listen needs 16,000 Hz"),
    ("stereo", None, "16,000 Hz, 2 channels, 16-bit audio; tally listen needs"),
    ("text", None, "not a WAV file"),
    ("silence", None, "no speech in 3.0 s of audio"),
    ("-", "text", "standard input is text, not audio"),
    ("-", "", "standard input ended before any audio"),
    ("missing", None, "cannot read it"),
])
def test_bad_audio_is_one_line_exit_2_and_nothing_journaled(clips, tmp_path, capsys, monkeypatch,
                                                          audio, stdin, says):
    path = tmp_path / "j.jsonl"
    source = "-" if audio == "-" else clips.get(audio, tmp_path / "nowhere.wav")
    data = b"" if stdin is None else (clips["text"].read_bytes() if stdin == "text" else b"")
    for mode in (["--headless"], []):  # with a screen too: refused before it starts
        code, out, err = in_process(capsys, monkeypatch, "listen", path, *mode, "--audio", source,
                                    stdin=data)
        assert (code, out) == (2, "") and err.count("\n") == 1 and says in err, err
        assert not path.exists()


def test_text_piped_in_is_refused_by_the_command(clips, tmp_path):
    """The same refusal from a real process reading a real pipe."""
    code, out, err = tally("listen", tmp_path / "j.jsonl", "--audio", "-", stdin=b"yes no void\n" * 99)
    assert (code, out) == (2, "") and err == ("tally: standard input is text, not audio: pipe raw 16 kHz "
                                              "16-bit mono PCM, e.g. ffmpeg -i IN -f s16le -ar 16000 "
                                              "-ac 1 - | tally listen J --audio -\n")
    assert not (tmp_path / "j.jsonl").exists()


def in_process(capsys, monkeypatch, *argv, stdin: bytes = b"") -> tuple[int, str, str]:
    """`tally ARGV` run by this process (no interpreter to start), standard input given."""
    from tui.cli import main

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(stdin))))
    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("flags, says", [
    (["--choices", "Teamsters Local 727,UFCW Local 881"], "the recogniser has no word '727'"),
    (["--choices", "Xqzv,Neither"], "the recogniser has no word 'xqzv'"),
    (["--say", "Union Q=quack"], "--say 'Union Q': not a choice on this ballot"),
    (["--say", "yes"], 'give it as --say "NAME=how it is said"'),
    (["--choices", "Yes Union,Neither", "--say", "Neither=yes union"], "are said the same"),
    ([], "give the audio: --audio FILE"),
])
def test_a_ballot_the_recogniser_cannot_model_is_one_line_exit_2(clips, tmp_path, capsys, monkeypatch,
                                                                 flags, says):
    path = tmp_path / "j.jsonl"
    audio = [] if not flags else ["--audio", clips["calls"]]
    code, out, err = in_process(capsys, monkeypatch, "listen", path, "--headless", *audio, *flags)
    assert (code, out) == (2, "") and err.count("\n") == 1 and says in err, err
    assert not path.exists()


@settings(max_examples=60)
@given(st.binary(min_size=0, max_size=3000))
def test_any_bytes_on_standard_input_are_audio_or_one_refusal(data):
    """Whatever arrives on standard input: a source to hear, or AudioError in one line."""
    from feeds.listen.audio import AudioError, AudioSource, open_audio

    try:
        source = open_audio("-", io.BufferedReader(io.BytesIO(data)))
    except AudioError as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    assert isinstance(source, AudioSource)
    while source.read(3200):
        pass


@settings(max_examples=60)
@given(st.lists(st.text(max_size=30), max_size=3))
def test_say_flags_parse_or_refuse_in_one_line(given_says):
    from feeds.listen.grammar import ModelError, parse_say

    try:
        says = parse_say(given_says)
    except ModelError as exc:
        assert "\n" not in str(exc)
        return
    assert set(says) <= {s.partition("=")[0].strip() for s in given_says}


# -- the screen --------------------------------------------------------------------

def footer_key_in_view(app, key: str) -> bool:
    """Whether the Footer shows `key` whole, left of the palette's key (past it, a key is cut)."""
    from textual.widgets._footer import FooterKey

    keys = list(app.screen.query(FooterKey))
    palette = [k.region.x for k in keys if k.has_class("-command-palette")]
    edge = min(palette, default=app.size.width)
    return any(k.key == key and k.region.right <= edge for k in keys)


def listen_app(path, audio, **flags):
    from feeds.counting import open_count
    from feeds.listen.audio import open_audio
    from feeds.listen.recogniser import Recogniser
    from tui.listen_app import ListenDashboard

    opened = open_count(path, flags)
    return ListenDashboard(opened.journal, opened.live, opened.repaired,
                           recogniser=Recogniser(opened.live.count.election, {}),
                           source=open_audio(str(audio)))


@pytest.mark.parametrize("width", [80, 100, 120, 160])
async def test_a_held_call_s_keys_and_q_are_in_the_footer_at_every_width(tmp_path, width):
    """A held call is what the person must answer: its keys, the ballot keys and q stay in view."""
    import wave

    from feeds.listen.recogniser import Heard

    silence = tmp_path / "silence.wav"
    with wave.open(str(silence), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\0\0" * 16000 * 30)
    app = listen_app(tmp_path / "j.jsonl", silence, title="Test")
    async with app.run_test(size=(width, 24)) as pilot:
        app._heard(Heard("yes", "yes", 0.41, 1.0, 1.5))
        await until(pilot, lambda: footer_key_in_view(app, "enter"))
        for key in ("y", "n", "v", "c", "u", "enter", "slash", "backspace", "q"):
            assert footer_key_in_view(app, key), key
        assert footer_key_in_view(app, "t") == (width >= 120)  # Note, Close, Board give way below 120
        await pilot.press("backspace")  # dropped: the count's keys come back
        await until(pilot, lambda: not app.held)
        await until(pilot, lambda: not footer_key_in_view(app, "enter"))
        assert footer_key_in_view(app, "t") and footer_key_in_view(app, "q")


async def test_the_screen_holds_an_unsure_call_until_enter_counts_it(clips, tmp_path):
    path = tmp_path / "j.jsonl"
    app = listen_app(path, clips["held"], title="Test")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.stopped is not None, timeout=60)
        # Sure calls are journaled, then counted; the unsure one is held, not counted.
        assert calls(journal(path)) == [("ballot", "void", True)]
        assert app.live.count.snapshot().votes == (0, 0)
        held = text(app, "#held")
        assert held.startswith("held: heard 'yes' at ") and "enter counts it" in held
        assert "listening stopped: the audio ended" in text(app, "#listening")
        shown = {b.binding.key for b in app.active_bindings.values() if b.binding.show}
        assert {"enter", "slash", "backspace"} <= shown  # the Footer has them while a call is held
        # ... in the room of "0-9 Pile" (the entry line says the pile), so that q stays in view
        assert "1" not in shown and footer_key_in_view(app, "q")
        await pilot.press("enter")
        await until(pilot, lambda: not app.held)
        events = journal(path)
        assert events[-1]["type"] == "ballot" and events[-1]["choice"] == "yes"
        assert events[-1]["heard"] < 0.6  # under the sure threshold: a person confirmed it
        assert "(heard, confidence 0." in text(app, "#said")
        assert app.live.count.snapshot().votes == (1, 0)
        shown = {b.binding.key for b in app.active_bindings.values() if b.binding.show}
        assert "enter" not in shown
        # The keyboard count goes on after the audio ended: a typed entry has no `heard`.
        await pilot.press("y")
        await until(pilot, lambda: len(journal(path)) == len(events) + 1)
        assert journal(path)[-1] == {**journal(path)[-1], "type": "ballot", "choice": "yes"}
        assert "heard" not in journal(path)[-1]
        assert text(app, "#said").endswith("(typed)")


async def test_a_held_call_is_corrected_with_slash_then_a_key_or_dropped(clips, tmp_path):
    path = tmp_path / "j.jsonl"
    app = listen_app(path, clips["held"], title="Test")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.stopped is not None, timeout=60)
        app.held.append(app.held[0])  # the same unsure call twice: one corrected, one dropped
        await pilot.press("slash", "n")
        await until(pilot, lambda: len(app.held) == 1)
        assert journal(path)[-1] == {**journal(path)[-1], "type": "ballot", "choice": "no"}
        assert "heard" not in journal(path)[-1]  # the person said what it was: typed
        await pilot.press("backspace")
        await until(pilot, lambda: not app.held)
        note = journal(path)[-1]
        assert note["type"] == "note" and note["text"].startswith("dropped: heard 'yes' at ")
        assert app.live.count.snapshot().votes == (0, 1)


def test_heard_is_a_field_of_ballot_and_challenged_in_the_format():
    """How an entry was made is journaled: `heard` (0-1) when heard, nothing when typed."""
    from tally.schema import EventError, json_schema, parse_event

    assert parse_event('{"seq":2,"type":"ballot","choice":"yes","heard":0.93}').heard == 0.93
    assert parse_event('{"seq":2,"type":"challenged","heard":1}').heard == 1
    assert parse_event('{"seq":2,"type":"ballot","choice":"yes"}').heard is None
    for bad in ('1.5', '-0.1', '"0.9"', 'true'):
        with pytest.raises(EventError):
            parse_event(f'{{"seq":2,"type":"ballot","choice":"yes","heard":{bad}}}')
    with pytest.raises(EventError, match="unknown field 'heard'"):
        parse_event('{"seq":2,"type":"note","text":"x","heard":0.5}')
    schema = json.loads(json_schema())
    assert {"Ballot", "Challenged"} <= {name for name, model in schema["$defs"].items()
                                        if "heard" in model["properties"]}


def test_audio_piped_in_while_the_keys_come_from_the_terminal(clips, tmp_path):
    """`--audio -` with a screen: the samples (full of "q" and "y" bytes) are heard, never read
    as keys; the keys typed in the terminal still count, and q quits."""
    import os
    import pty
    import threading

    from test_crash import ROOT, Terminal, lines

    raw = clips["raw"].read_bytes()
    assert b"q" in raw and b"y" in raw
    path = tmp_path / "j.jsonl"
    audio, feed = os.pipe()

    class Piped(Terminal):
        def __init__(self, *args: str) -> None:
            self.pid, self.fd = pty.fork()
            if self.pid == 0:  # the child: audio on standard input, the pty its terminal
                os.dup2(audio, 0)
                os.close(feed)
                os.chdir(ROOT)
                os.environ.update(TERM="xterm-256color", COLUMNS="120", LINES="40")
                os.execv(sys.executable, [sys.executable, "-m", "tui.cli", *args])
            self.output = b""

    term = Piped("listen", str(path), "--audio", "-")
    os.close(audio)

    def send() -> None:
        with os.fdopen(feed, "wb") as out:
            out.write(raw)

    threading.Thread(target=send, daemon=True).start()
    term.wait_for(lambda: lines(path) == 6, timeout=60)  # the header and five heard calls
    assert [e.get("heard") is not None for e in journal(path)[1:]] == [True] * 5
    term.read(0.5)
    term.type("n")
    term.wait_for(lambda: lines(path) == 7)
    assert journal(path)[-1]["choice"] == "no" and "heard" not in journal(path)[-1]
    said = term.quit()
    assert "Traceback" not in said


@settings(max_examples=40)
@given(st.lists(st.tuples(st.integers(0, 12_000), st.floats(0.0, 0.6)), min_size=1, max_size=8),
       st.integers(0, 2**16))
def test_utterances_lie_inside_the_audio_whatever_it_holds(bursts, seed):
    """Bursts of noise of any loudness and length, with silences: each utterance found starts
    before it ends, lies inside the audio, and carries exactly its own samples."""
    import numpy as np

    from feeds.listen.audio import RATE, AudioSource
    from feeds.listen.endpoint import utterances

    rng = np.random.default_rng(seed)
    parts = []
    for loudness, seconds in bursts:
        parts += [rng.normal(0, loudness + 1, int(seconds * RATE)), np.zeros(int(0.4 * RATE))]
    samples = np.clip(np.concatenate(parts), -32768, 32767).astype("<i2")
    source = AudioSource("test", io.BytesIO(samples.tobytes()))
    found = list(utterances(source, 0.25))
    duration = len(samples) / RATE
    for start, end, pcm in found:
        assert 0 <= start < end <= duration + 0.01
        assert len(pcm) == pytest.approx((end - start) * RATE * 2, abs=2 * 160 * 2)
    assert all(a[1] <= b[0] for a, b in zip(found, found[1:]))  # in order, never overlapping
