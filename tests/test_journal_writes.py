"""Stored before counted, whole or not at all: a journal append that fails changes nothing.

The real failure is a child process with a file-size limit (RLIMIT_FSIZE, with
SIGXFSZ ignored), so the kernel itself cuts a write short and then refuses it
with EFBIG, exactly as a full disk would. The others replace one call.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counts import ballots, header, numbered, write
from feeds.files import load
from feeds.journal import Journal, JournalWriteError
from tally.reducer import Count, RuleError
from tally.schema import parse_event

ROOT = Path(__file__).resolve().parent.parent


def ev(**fields):
    return parse_event(json.dumps(fields))


EFBIG_CHILD = """
import json, resource, signal, sys
from feeds.journal import Journal
from tally.schema import parse_event

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing
path = sys.argv[1]
journal = Journal.open(path).journal
before = open(path, "rb").read()
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (len(before) + 10, hard))  # room for 10 bytes only
note = parse_event(json.dumps({"seq": 4, "type": "note", "text": "a note longer than ten bytes"}))
try:
    journal.append(note)
    print(json.dumps({"error": None}))
except Exception as exc:
    print(json.dumps({"error": str(exc), "type": type(exc).__name__,
                      "file_unchanged": open(path, "rb").read() == before,
                      "last_seq": journal.count.last_seq, "votes": journal.count.votes}))
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # the disk has room again
journal.append(note)
print(json.dumps({"after": journal.count.last_seq}))
"""


def test_a_write_the_kernel_cuts_short_efbig_is_cut_off_and_not_counted(tmp_path):
    path = write(tmp_path / "j.jsonl", header(), *ballots("yes", "no"))
    child = subprocess.run([sys.executable, "-c", EFBIG_CHILD, str(path)], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr
    failed, after = (json.loads(line) for line in child.stdout.splitlines())
    assert failed == {"error": "not saved: File too large", "type": "JournalWriteError",
                      "file_unchanged": True, "last_seq": 3, "votes": [1, 1]}
    assert after == {"after": 4}  # the journal stayed whole: the next append is fine
    loaded = load(path)
    assert loaded.ok and loaded.count.last_seq == 4


def half_then(errno_: int):
    """A stand-in for os.write that writes half of what it is given, then fails: a disk filling up."""
    real = os.write
    calls = []

    def write(fd, data):
        calls.append(len(data))
        if len(calls) == 1:
            return real(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno_, os.strerror(errno_))

    return write


def failing(errno_: int):
    """A stand-in for an os call that always fails with errno_."""

    def call(*args):
        raise OSError(errno_, os.strerror(errno_))
    return call


def started(tmp_path, **fields):
    path = tmp_path / "j.jsonl"
    journal = Journal.open(path).journal
    journal.append(ev(**numbered(header(**fields))[0]))
    journal.append(ev(seq=2, type="ballot", choice="yes"))
    return path, journal


def test_a_full_disk_enospc_leaves_the_journal_whole_and_the_count_unchanged(tmp_path, monkeypatch):
    path, journal = started(tmp_path)
    before = path.read_bytes()
    monkeypatch.setattr(os, "write", half_then(errno.ENOSPC))
    with pytest.raises(JournalWriteError) as failed:
        journal.append(ev(seq=3, type="ballot", choice="no", count=25))
    monkeypatch.undo()
    assert str(failed.value) == "not saved: No space left on device"
    assert isinstance(failed.value, OSError) and failed.value.errno == errno.ENOSPC
    assert path.read_bytes() == before
    assert (journal.count.last_seq, journal.count.votes) == (2, [1, 0])
    journal.append(ev(seq=3, type="ballot", choice="no", count=25))  # once there is room
    assert load(path).count.snapshot().votes == (1, 25)
    journal.close()


def test_a_failed_fsync_eio_is_cut_off_too(tmp_path, monkeypatch):
    path, journal = started(tmp_path)
    before = path.read_bytes()
    real = os.fsync
    failures = iter([OSError(errno.EIO, os.strerror(errno.EIO))])

    def fsync(fd):
        failure = next(failures, None)
        if failure:
            raise failure
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(JournalWriteError, match="^not saved: Input/output error$"):
        journal.append(ev(seq=3, type="ballot", choice="no"))
    assert path.read_bytes() == before and journal.count.last_seq == 2
    journal.close()


def test_when_even_the_cut_fails_the_journal_refuses_more_until_opened_again(tmp_path, monkeypatch):
    path, journal = started(tmp_path)
    monkeypatch.setattr(os, "write", half_then(errno.ENOSPC))
    monkeypatch.setattr(os, "ftruncate", failing(errno.EIO))
    with pytest.raises(JournalWriteError) as failed:
        journal.append(ev(seq=3, type="ballot", choice="no"))
    monkeypatch.undo()
    assert not failed.value.whole and "open the journal again" in str(failed.value)
    with pytest.raises(JournalWriteError, match="open the journal again"):
        journal.append(ev(seq=3, type="ballot", choice="no"))  # its end is unknown: no more
    assert journal.count.last_seq == 2
    journal.close()
    reopened = Journal.open(path)  # the partial line is cut off, as after a crash
    assert reopened.repaired and reopened.count.last_seq == 2
    reopened.journal.append(ev(seq=3, type="ballot", choice="no"))
    reopened.journal.close()


def test_a_refused_event_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    path, journal = started(tmp_path, ballots=1)
    monkeypatch.setattr(os, "open", failing(errno.EACCES))  # were it opened, this would say so
    with pytest.raises(RuleError, match="more ballots"):
        journal.append(ev(seq=3, type="ballot", choice="no"))
    monkeypatch.undo()
    journal.close()


def test_a_deleted_journal_is_not_started_again_from_the_middle(tmp_path):
    path, journal = started(tmp_path)
    path.unlink()
    with pytest.raises(JournalWriteError, match=f"^not saved: {path} was deleted: nothing more"):
        journal.append(ev(seq=3, type="ballot", choice="no"))
    assert not path.exists() and journal.count.last_seq == 2
    journal.close()


def test_a_count_holds_one_file_open_its_journal_which_is_its_lock(tmp_path):
    path, journal = started(tmp_path)
    assert files_open_in(tmp_path) == ["j.jsonl"]  # no lock file beside it
    journal.close()
    assert files_open_in(tmp_path) == []


def files_open_in(directory) -> list[str]:
    """The names of the files under directory that this process holds open now."""
    names = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed while listed
        if target.startswith(str(directory)):
            names.append(os.path.basename(target))
    return sorted(names)


# -- Count.check: the same answer as apply, and no change ------------------------

EVENTS = st.one_of(
    st.builds(lambda c, n: {"type": "ballot", "choice": c, "count": n},
              st.sampled_from(["yes", "no", "void", "maybe"]), st.integers(1, 4)),
    st.builds(lambda n: {"type": "challenged", "count": n}, st.integers(1, 3)),
    st.builds(lambda t: {"type": "retract", "target": t}, st.integers(1, 12)),
    st.just({"type": "note", "text": "n"}),
    st.just({"type": "close"}),
    st.just({"type": "election", "id": "again", "title": "Again"}),
)


@settings(max_examples=150, deadline=None)
@given(st.booleans(), st.lists(st.tuples(EVENTS, st.integers(-1, 1)), max_size=12))
def test_check_raises_what_apply_would_and_changes_nothing(with_ballots, steps):
    """Every event is checked, then applied; a seq off by one now and then."""
    count = Count()
    fields = header(ballots=8) if with_ballots else header()
    events = [(fields, 0)] + steps
    for fields, off in events:
        try:
            event = ev(seq=max(count.last_seq + 1 + off, 1), **fields)
        except ValueError:
            continue  # not even a valid event (an election header after seq 1 may be)
        state = _state(count)
        try:
            count.check(event)
            checked = None
        except RuleError as exc:
            checked = str(exc)
        assert _state(count) == state
        try:
            count.apply(event)
            applied = None
        except RuleError as exc:
            applied = str(exc)
            assert _state(count) == state
        assert checked == applied


def _state(count: Count):
    return (count.last_seq, list(count.votes), count.void, count.challenged, count.opened,
            count.closed, count.decided_at, bytes(count._did), bytes(count._amount))
