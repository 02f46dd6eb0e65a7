"""The journal: durable appends, torn last lines cut off, bad journals refused."""

import json

import pytest

from counts import ballots, header, numbered, write
from feeds.files import FeedError, load
from feeds.journal import Journal
from tally.reducer import RuleError
from tally.schema import parse_event


def ev(**fields):
    return parse_event(json.dumps(fields))


def test_append_is_on_disk_when_it_returns(tmp_path):
    path = tmp_path / "j.jsonl"
    opened = Journal.open(path)
    j = opened.journal
    j.append(ev(**numbered(header())[0]))
    j.append(ev(seq=2, type="ballot", choice="yes"))
    assert load(path).count.snapshot().votes == (1, 0)
    j.close()


def test_a_refused_event_is_not_written(tmp_path):
    path = tmp_path / "j.jsonl"
    j = Journal.open(path).journal
    j.append(ev(**numbered(header(ballots=1))[0]))
    j.append(ev(seq=2, type="ballot", choice="yes"))
    size = path.stat().st_size
    with pytest.raises(RuleError, match="more ballots"):
        j.append(ev(seq=3, type="ballot", choice="no"))
    assert path.stat().st_size == size and j.count.last_seq == 2


def test_resume_and_torn_last_line_is_cut(tmp_path):
    path = write(tmp_path / "j.jsonl", header(), *ballots("yes", "no"))
    with path.open("ab") as f:
        f.write(b'{"seq":4,"type":"ball')
    opened = Journal.open(path)
    assert opened.repaired and "j.jsonl:4: incomplete last line cut off" in opened.repaired
    assert opened.count.snapshot().votes == (1, 1)
    opened.journal.append(ev(seq=4, type="ballot", choice="no"))
    assert load(path).count.snapshot().votes == (1, 2)


def test_a_last_line_missing_only_its_newline_is_kept(tmp_path):
    path = write(tmp_path / "j.jsonl", header(), *ballots("yes"))
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    opened = Journal.open(path)
    assert opened.repaired is None and opened.count.last_seq == 2
    opened.journal.append(ev(seq=3, type="ballot", choice="yes"))
    assert load(path).count.snapshot().votes == (2, 0)


def test_a_bad_line_in_the_middle_refuses_the_journal(tmp_path):
    path = write(tmp_path / "j.jsonl", header(), *ballots("yes", "no"), raw_lines={2: "garbage"})
    with pytest.raises(FeedError, match="j.jsonl:2: not JSON"):
        Journal.open(path)


def test_a_directory_or_unwritable_journal_gets_one_line(tmp_path):
    with pytest.raises(FeedError, match="is a directory"):
        Journal.open(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(FeedError, match="cannot open for writing"):
        Journal.open(blocker / "j.jsonl")


@pytest.mark.parametrize("content", [b"buy milk", b"\n\nbuy milk", b'{"seq":2,"type":"ballot"'])
def test_a_file_whose_only_line_is_torn_but_no_header_is_refused_not_cut(tmp_path, content):
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(FeedError, match="not a journal"):
        Journal.open(path)
    assert path.read_bytes() == content


@pytest.mark.parametrize("torn", [b"{", b'{"seq":1,"ty', b'{"seq":1,"type":"election","id":"a","ti'])
def test_a_header_torn_by_a_crash_is_cut_and_the_count_starts_again(tmp_path, torn):
    path = tmp_path / "j.jsonl"
    path.write_bytes(torn)
    opened = Journal.open(path)
    assert opened.repaired and "j.jsonl:1: incomplete last line cut off" in opened.repaired
    assert path.read_bytes() == b"" and opened.count.election is None
    opened.journal.close()
