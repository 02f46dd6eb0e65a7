"""`tally count` killed with SIGKILL around the Board's figures and a correction in place (issue 18),
in a real pseudo-terminal, then started again: the journal has what the screen showed, and the
resumed screen shows what the journal has."""

from feeds.files import load
from tally.report import summary_line
from test_crash import Terminal, lines, started


def three_yes(journal):
    """`tally count` started in a pty, three YES typed and on disk."""
    first = Terminal("count", str(journal), "--title", "Crash test", "--ballots", "200")
    first.wait_for(started(journal))
    first.read(1.0)
    first.type("yyy")
    first.wait_for(lambda: lines(journal) == 4)
    return first


def test_the_boards_figures_shown_are_on_disk_and_the_resumed_count_names_the_disagreement(tmp_path):
    journal = tmp_path / "count.jsonl"
    first = three_yes(journal)
    first.type("t")
    first.wait_for(lambda: b"running totals" in first.output)  # the form is open (a fixed 0.5 s was not, loaded)
    first.type("2\t1\r")
    first.wait_for(lambda: b"differs from the Board" in first.output)  # shown only once on disk
    first.kill()

    snap = load(journal).count.snapshot()
    assert [c.differs for c in snap.checkpoints] == [(0, 1)]
    second = Terminal("count", str(journal))
    second.wait_for(lambda: b"differs from the Board" in second.output)
    printed = second.quit()
    assert summary_line(load(journal).count.snapshot()) in printed.replace("\r\n", "\n")


def test_killed_just_after_a_correction_the_journal_has_it_or_not_and_the_resumed_count_agrees(tmp_path):
    journal = tmp_path / "count.jsonl"
    first = three_yes(journal)
    first.type("3=n", pause=0)  # and kill while it may still be in flight
    first.kill()

    on_disk = load(journal)
    assert on_disk.ok, on_disk.problem_lines()
    corrected = on_disk.count.corrections != []
    assert on_disk.count.snapshot().votes == ((2, 1) if corrected else (3, 0))
    second = Terminal("count", str(journal))
    second.wait_for(lambda: b"Crash test" in second.output)
    second.read(1.0)
    assert (b"CORRECTED #3" in second.output) == corrected
    second.type("3=n")
    second.wait_for(lambda: b"CORRECTED #3" in second.output or b"already NO" in second.output)
    printed = second.quit()
    assert load(journal).count.snapshot().votes == (2, 1)  # corrected once, whichever run did it
    assert summary_line(load(journal).count.snapshot()) in printed.replace("\r\n", "\n")
