"""One writer per file, however it is reached; and tally touches no file it did not make.

Issue 16, items 2 and 3. The lock is the file's own (feeds/locks.py), so a
symlink, a hard link, ``..``, a symlinked directory or a second mount of the
directory all reach the same lock. The generated tests build the ways in
from parts; the process tests run real `tally count` and `tally serve`, with
real links and a real bind mount (skipped, saying why, where mounting is
not permitted).
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counts import ballots, header, write
from feeds.counting import CountSetupError, open_count
from feeds.files import FeedError
from feeds.hub import Hub
from feeds.journal import Journal
from feeds.locks import InUse
from hubkit import TOKEN, ask, ballot, publishing, running_hub
from hubkit import header as header_frame
from test_crash import Terminal, lines
from test_hub_process import TALLY, start_hub
from test_locks import IN_USE, count_refusal, holding, kill

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = settings(derandomize=True, deadline=None, max_examples=40,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


# -- the ways in ---------------------------------------------------------------------

DIRS = {  # how a path reaches directory d (d/sub exists; dlink -> d)
    "d": "d", "dot": "d/.", "dotdot": "d/sub/..", "dirlink": "dlink",
    "dirlink-dotdot": "dlink/sub/..", "up-and-back": "d/sub/../../d",
}
FILES = {  # how it reaches d/j.jsonl from there
    "name": "j.jsonl", "symlink": "rel.jsonl", "absolute-symlink": "abs.jsonl",
    "chain": "chain.jsonl", "hard-link": "hard.jsonl",
}


def world(tmp: Path) -> Path:
    """d/j.jsonl (a journal) and symlinks to it; the hard link is made later (`link_hard`)."""
    d = tmp / "d"
    (d / "sub").mkdir(parents=True)
    journal = write(d / "j.jsonl", header(id="j"), *ballots("yes", "no"))
    (tmp / "dlink").symlink_to("d")
    (d / "rel.jsonl").symlink_to("j.jsonl")
    (d / "abs.jsonl").symlink_to(journal)
    (d / "chain.jsonl").symlink_to("rel.jsonl")
    return journal


def link_hard(journal: Path) -> None:
    """A second name for the journal, made once a writer has it (a journal with two is refused)."""
    os.link(journal, journal.with_name("hard.jsonl"))


def reach(tmp: Path, how: tuple[str, str]) -> Path:
    return tmp / DIRS[how[0]] / FILES[how[1]]


def refused_naming_this_process(path: Path) -> None:
    """A count on path is refused in one line naming the holder: this process, in these tests."""
    with pytest.raises(InUse) as refused:
        Journal.open(path)
    assert str(refused.value) == f"{path}: {IN_USE.format(pid=os.getpid())}"


WAYS = st.tuples(st.sampled_from(sorted(DIRS)), st.sampled_from(sorted(FILES)))


@SETTINGS
@given(first=WAYS, second=WAYS)
def test_a_second_count_by_any_way_to_the_same_file_is_refused_naming_the_pid(tmp_path_factory, first, second):
    tmp = tmp_path_factory.mktemp("ways")
    journal = world(tmp)
    if "hard-link" in (first[1], second[1]) and first[1] == "hard-link":
        link_hard(journal)  # there before the first writer: it is refused for having two names
        with pytest.raises(FeedError, match="has 2 names"):
            Journal.open(reach(tmp, first))
        return
    before = journal.read_bytes()
    held = Journal.open(reach(tmp, first)).journal
    try:
        if second[1] == "hard-link":
            link_hard(journal)
        refused_naming_this_process(reach(tmp, second))
    finally:
        held.close()
    assert journal.read_bytes() == before


@SETTINGS
@given(hub_dir=st.sampled_from(sorted(DIRS)), count=WAYS)
def test_a_count_by_any_way_into_a_hubs_directory_is_refused(tmp_path_factory, hub_dir, count):
    tmp = tmp_path_factory.mktemp("hubways")
    journal = world(tmp)
    before = journal.read_bytes()
    hub = Hub.open(tmp / DIRS[hub_dir], TOKEN)
    try:
        if count[1] == "hard-link":  # made while the hub runs, one of them outside its directory
            link_hard(journal)
            os.link(journal, tmp / "outside.jsonl")
            with pytest.raises(FeedError, match=r"outside\.jsonl: has 3 names \(hard links\)"):
                Journal.open(tmp / "outside.jsonl")
        refused_naming_this_process(reach(tmp, count))
    finally:
        hub.close()
    assert journal.read_bytes() == before


@SETTINGS
@given(count=WAYS, hub_dir=st.sampled_from(sorted(DIRS)))
def test_a_hub_by_any_way_to_a_directory_a_count_writes_in_is_refused(tmp_path_factory, count, hub_dir):
    tmp = tmp_path_factory.mktemp("counthub")
    journal = world(tmp)
    if count[1] == "hard-link":  # the count writes a file of its own, linked in while it runs
        journal.unlink()
        journal = write(tmp / "hard.jsonl", header(id="j"), *ballots("yes"))
        held = Journal.open(journal).journal
        os.link(journal, tmp / "d" / "j.jsonl")
    else:
        held = Journal.open(reach(tmp, count)).journal
    try:
        with pytest.raises(InUse, match=rf"j\.jsonl: in use by another tally \(pid {os.getpid()}\)"):
            Hub.open(tmp / DIRS[hub_dir], TOKEN)
    finally:
        held.close()


# -- real processes ---------------------------------------------------------------------

@pytest.fixture
def bind_mount(tmp_path):
    """mount(src, dst) binds src at dst, unmounted after; skips if this machine does not let us."""
    mounted: list[Path] = []

    def mount(src: Path, dst: Path) -> Path:
        dst.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "--bind", str(src), str(dst)], capture_output=True, text=True)
        if done.returncode:
            pytest.skip(f"cannot bind-mount here (needs root in a namespace that allows it): "
                        f"{done.stderr.strip()}")
        mounted.append(dst)
        return dst

    yield mount
    for dst in reversed(mounted):
        subprocess.run(["umount", str(dst)], check=True)


def alias(kind: str, journal: Path, tmp: Path, bind_mount) -> Path:
    """Another way to `journal` (in tmp/d/), made on disk: the way the second writer takes."""
    if kind == "symlink":
        (tmp / "alias.jsonl").symlink_to(journal)
        return tmp / "alias.jsonl"
    if kind == "hard-link":
        os.link(journal, tmp / "alias.jsonl")
        return tmp / "alias.jsonl"
    if kind == "dotdot":
        (journal.parent / "sub").mkdir(exist_ok=True)
        return journal.parent / "sub" / ".." / journal.name
    if kind == "symlinked-directory":
        (tmp / "dlink").symlink_to(journal.parent)
        return tmp / "dlink" / journal.name
    assert kind == "bind-mount"
    return bind_mount(journal.parent, tmp / "mnt") / journal.name


@pytest.mark.parametrize("kind", ["symlink", "hard-link", "dotdot", "symlinked-directory", "bind-mount"])
def test_tally_count_by_another_way_beside_a_running_count_is_refused_naming_its_pid(tmp_path, kind, bind_mount):
    (tmp_path / "d").mkdir()
    journal = write(tmp_path / "d" / "ldj5.jsonl", header(id="ldj5"), *ballots("yes"))
    counting = holding(journal)
    try:
        other = alias(kind, journal, tmp_path, bind_mount)
        before = journal.read_bytes()
        second = count_refusal(other)
        assert second.returncode == 2
        assert second.stderr == f"tally: {other}: {IN_USE.format(pid=counting.pid)}\n"
        assert journal.read_bytes() == before
    finally:
        kill(counting)


@pytest.mark.parametrize("kind", ["symlink", "hard-link", "dotdot", "symlinked-directory", "bind-mount"])
async def test_tally_count_into_a_running_hubs_file_by_another_way_is_refused(tmp_path, kind, bind_mount):
    data = tmp_path / "d"
    data.mkdir()
    journal = write(data / "ldj5.jsonl", header(id="ldj5"), *ballots("yes"))
    hub, port = await start_hub(data)
    try:
        other = alias(kind, journal, tmp_path, bind_mount)
        before = journal.read_bytes()
        refused = await asyncio.to_thread(count_refusal, other)
        assert refused.returncode == 2
        if kind == "hard-link":  # the hub holds its directory, not the file: two names are refused
            assert refused.stderr.startswith(f"tally: {other}: has 2 names (hard links)")
        else:
            assert refused.stderr == f"tally: {other}: {IN_USE.format(pid=hub.pid)}\n"
        assert journal.read_bytes() == before
        async with publishing(f"ws://127.0.0.1:{port}", "ldj5") as pub:  # the hub goes on
            assert await ask(pub, ballot(3, "no")) == {"ack": 3}
    finally:
        hub.terminate()
        await hub.wait()


async def test_a_hub_does_not_start_on_a_file_a_count_writes_through_a_hard_link(tmp_path):
    outside = write(tmp_path / "ldj5.jsonl", header(id="ldj5"), *ballots("yes"))
    counting = holding(outside)
    try:
        (tmp_path / "hub").mkdir()
        os.link(outside, tmp_path / "hub" / "ldj5.jsonl")  # linked in after the count began
        (tmp_path / "token").write_text(TOKEN)
        (tmp_path / "token").chmod(0o600)  # a token file others may read is refused
        second = await asyncio.create_subprocess_exec(
            *TALLY, "serve", "--port", "0", "--data", str(tmp_path / "hub"),
            "--token-file", str(tmp_path / "token"), cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            _, err = await asyncio.wait_for(second.communicate(), 30)
        finally:
            if second.returncode is None:  # it started: the test fails, and the hub goes
                second.kill()
                await second.wait()
        assert second.returncode == 2
        assert err.decode() == (f"tally: {tmp_path / 'hub' / 'ldj5.jsonl'}: "
                                f"{IN_USE.format(pid=counting.pid)}\n")
    finally:
        kill(counting)


# -- the hub and symlinks in its directory ----------------------------------------------

def hub_log(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "tally.hub"]


async def test_a_symlink_out_of_the_hubs_directory_is_neither_served_nor_written(tmp_path, caplog):
    (tmp_path / "outside").mkdir()
    outside = write(tmp_path / "outside" / "x.jsonl", header(id="s"), *ballots("yes"))
    before = outside.read_bytes()
    data = tmp_path / "hub"
    data.mkdir()
    (data / "s.jsonl").symlink_to(Path("..") / "outside" / "x.jsonl")
    (data / "d.jsonl").symlink_to(Path("..") / "outside" / "none.jsonl")  # dangling
    write(data / "real.jsonl", header(id="real"), *ballots("no"))
    caplog.set_level(logging.WARNING, "tally.hub")
    async with running_hub(data) as (hub, url):
        assert sorted(hub.elections) == ["real"]
        assert hub_log(caplog) == [
            f"{data / 'd.jsonl'}: a symbolic link, not served: the hub serves only the files in its directory",
            f"{data / 's.jsonl'}: a symbolic link, not served: the hub serves only the files in its directory"]
        for election_id in ("s", "d"):
            async with publishing(url, election_id) as pub:
                answer = await ask(pub, header_frame(election_id))
                assert answer["seq"] == 1 and answer["error"].startswith("not saved: ")
        async with publishing(url, "real") as pub:
            assert await ask(pub, ballot(3)) == {"ack": 3}
    assert outside.read_bytes() == before
    assert sorted(p.name for p in outside.parent.iterdir()) == ["x.jsonl"]  # nothing made outside
    assert (data / "s.jsonl").is_symlink() and (data / "d.jsonl").is_symlink()


async def test_a_symlink_put_in_place_of_a_hubs_file_while_it_runs_is_not_written_through(tmp_path):
    outside = write(tmp_path / "outside.jsonl", header(id="test"), *ballots("yes", "no"))
    before = outside.read_bytes()
    async with running_hub(tmp_path / "hub") as (hub, url):
        async with publishing(url) as pub:
            assert await ask(pub, header_frame()) == {"ack": 1}
            served = tmp_path / "hub" / "test.jsonl"
            served.unlink()
            served.symlink_to(outside)
            answer = await ask(pub, ballot(2))
            assert answer["seq"] == 2 and "is a symbolic link" in answer["error"]
    assert outside.read_bytes() == before


# -- item 3: nothing tally did not make is truncated, overwritten or deleted ------------

NAMES = ["poetry", "j.jsonl", "count.lock", "notes.txt"]
CONTENTS = st.one_of(
    st.sampled_from([b"", b"buy milk", b"buy milk\n", b"{", b'{"seq":1,"type":"ele',
                     b"[tool.poetry]\nname = 'x'\n", b"999999\n"]),
    st.binary(max_size=40))


@st.composite
def neighbourhoods(draw):
    """A journal name, and what is already beside it: files, or symlinks to a victim outside."""
    name = draw(st.sampled_from(NAMES))
    around = {}
    for other in sorted({f"{name}.lock", ".lock", "poetry.lock", f"{name}.tmp", name}):
        kind = draw(st.sampled_from(["absent", "file", "symlink"]))
        if kind == "file":
            around[other] = draw(CONTENTS)
        elif kind == "symlink":
            around[other] = None
    return name, around


def snapshot(*dirs: Path) -> dict[str, object]:
    """Every entry under dirs: a file's bytes, a symlink's target."""
    seen = {}
    for d in dirs:
        for p in sorted(d.rglob("*")):
            seen[str(p)] = os.readlink(p) if p.is_symlink() else p.read_bytes() if p.is_file() else "dir"
    return seen


@SETTINGS
@given(case=neighbourhoods(), resume_flags=st.booleans())
def test_a_count_never_changes_a_file_it_did_not_make(tmp_path_factory, case, resume_flags):
    tmp = tmp_path_factory.mktemp("neighbours")
    here, away = tmp / "here", tmp / "away"
    here.mkdir()
    away.mkdir()
    victim = away / "victim.txt"
    victim.write_bytes(b"precious\n")
    name, around = case
    for other, content in around.items():
        if content is None:
            (here / other).symlink_to(victim)
        else:
            (here / other).write_bytes(content)
    before = snapshot(here, away)
    journal = here / name
    try:
        opened = open_count(journal, {"title": "T"} if resume_flags else {})
    except CountSetupError:
        assert snapshot(here, away) == before  # refused: nothing changed at all
        return
    opened.journal.close()
    after = snapshot(here, away)
    assert {p: c for p, c in after.items() if p != str(journal)} == {
        p: c for p, c in before.items() if p != str(journal)}
    if name in around:  # the journal the person named, resumed: only ever added to,
        was = around[name]  # or a torn entry at its end cut off, which `repaired` said
        kept = was[:was.rfind(b"\n") + 1] if opened.repaired else was
        assert after[str(journal)].startswith(kept)


@pytest.mark.parametrize("lock_name", ["poetry.lock", "j.jsonl.lock"])
def test_tally_count_leaves_a_file_named_like_its_old_lock_alone(tmp_path, lock_name):
    journal = tmp_path / lock_name.removesuffix(".lock")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    if lock_name == "poetry.lock":
        (tmp_path / lock_name).write_text("[[package]]\nname = 'x'\n")
    else:
        (tmp_path / lock_name).symlink_to(victim)
    before = snapshot(tmp_path)
    count = Terminal("count", str(journal), "--title", "Neighbours")
    count.wait_for(lambda: lines(journal) >= 1)
    count.read(1.0)
    count.type("y")
    count.wait_for(lambda: lines(journal) == 2)
    count.quit()
    after = snapshot(tmp_path)
    assert {p: c for p, c in after.items() if p != str(journal)} == before


async def test_a_hub_leaves_a_symlinked_dot_lock_and_its_target_alone(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    data = tmp_path / "hub"
    data.mkdir()
    (data / ".lock").symlink_to(victim)
    hub, port = await start_hub(data)
    try:
        async with publishing(f"ws://127.0.0.1:{port}") as pub:
            assert await ask(pub, header_frame()) == {"ack": 1}
    finally:
        hub.terminate()
        await hub.wait()
    assert victim.read_text() == "precious\n"
    assert os.readlink(data / ".lock") == str(victim)
