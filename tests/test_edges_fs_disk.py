"""A journal changed under a count, a full disk at start, and a new file's name made durable.

Issue 16, items 4, 5 and 13, each with real processes: a `tally count` in a
pseudo-terminal whose journal an "editor" replaces, a small tmpfs filled to
the last block (or a file-size limit, where mounting is not permitted), and
strace watching the system calls of a count and of a hub.
"""

from __future__ import annotations

import asyncio
import os
import pty
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from counts import ballots, header, write
from hubkit import ask, ballot, publishing, running_hub
from hubkit import header as header_frame
from test_crash import Terminal
from test_hub_process import TALLY

ROOT = Path(__file__).resolve().parent.parent
CHANGES = ["editor-save", "truncated", "appended-by-another", "deleted"]
SAID = {"editor-save": "was replaced by another file", "truncated": "was changed by another program",
        "appended-by-another": "was changed by another program", "deleted": "was deleted"}


def change(path: Path, how: str) -> bytes | None:
    """Change the journal as `how` says, behind its writer's back; what it holds after (None: gone)."""
    data = path.read_bytes()
    kept = data.splitlines(keepends=True)
    if how == "editor-save":  # write a copy without line 3, rename it over the journal
        temp = path.with_name(path.name + ".swp")
        temp.write_bytes(b"".join(kept[:2] + kept[3:]))
        os.rename(temp, path)
    elif how == "truncated":
        os.truncate(path, len(b"".join(kept[:-1])))
    elif how == "appended-by-another":
        with path.open("ab") as f:
            f.write(b'{"seq":%d,"type":"note","text":"typed in by hand"}\n' % (len(kept) + 1))
    else:
        path.unlink()
        return None
    return path.read_bytes()


def quit_with_status(term: Terminal) -> tuple[str, int]:
    """Press q; what the terminal showed and the exit code."""
    os.write(term.fd, b"q")
    end = time.monotonic() + 20
    while not (done := os.waitpid(term.pid, os.WNOHANG))[0]:
        assert time.monotonic() < end, "did not quit"
        term.read(0.05)
    term.read(0.2)
    os.close(term.fd)
    return term.output.decode(errors="replace"), os.waitstatus_to_exitcode(done[1])


# -- item 4: a journal changed under a running count ---------------------------------

@pytest.mark.parametrize("how", CHANGES)
def test_a_count_whose_journal_changes_under_it_stops_saving_and_exits_1(tmp_path, how):
    journal = tmp_path / "ldj5.jsonl"
    count = Terminal("count", str(journal), "--title", "Changed", "--ballots", "50")
    try:
        count.wait_for(lambda: b"Changed" in count.output)  # the screen is up
        count.type("yyn")
        count.wait_for(lambda: b"saved: entry 4" in count.output)  # acknowledged, not just written
        after = change(journal, how)
        shown = len(count.output)
        count.type("y")
        count.wait_for(lambda: b"not saved" in count.output[shown:])
        count.type("n")  # and every later entry is refused too
        count.read(0.5)
        assert (journal.read_bytes() if journal.exists() else None) == after
        assert sorted(p.name for p in tmp_path.iterdir()) == (["ldj5.jsonl"] if after else [])
    except BaseException:
        count.kill()
        raise
    output, code = quit_with_status(count)
    assert code == 1
    assert f"tally: not saved: {journal} {SAID[how]}" in output
    assert "nothing more is written to it" in output.splitlines()[-1]


@pytest.mark.parametrize("how", CHANGES)
async def test_a_hubs_file_changed_under_it_takes_nothing_more_until_a_restart(tmp_path, how):
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as pub:
            for frame in [header_frame(), ballot(2), ballot(3, "no"), ballot(4)]:
                assert "ack" in await ask(pub, frame)
            after = change(tmp_path / "test.jsonl", how)
            answer = await ask(pub, ballot(5))
        assert answer["seq"] == 5 and SAID[how] in answer["error"]
        assert answer["error"].endswith("restart the hub")
        assert ((tmp_path / "test.jsonl").read_bytes() if after is not None else None) == after


# -- item 5: a full disk at start -----------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs at tmp_path/disk, unmounted after; skips if mounting is not permitted."""
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here (needs root where mounting is allowed): "
                    f"{done.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def fill(disk: Path) -> None:
    """Write a file until the disk has not one byte left."""
    with (disk / "filler").open("wb", buffering=0) as f:
        try:
            while True:
                f.write(b"x" * 512)
        except OSError as exc:
            assert exc.errno == 28  # ENOSPC


def everything(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def count_at_start(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*TALLY, "count", *args], cwd=ROOT, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60, **kwargs)


def test_starting_a_count_on_a_full_disk_is_one_line_exit_2_and_leaves_nothing(small_disk):
    fill(small_disk)
    before = everything(small_disk)
    done = count_at_start(str(small_disk / "new.jsonl"), "--title", "Full")
    assert done.returncode == 2
    assert done.stderr == f"tally: {small_disk / 'new.jsonl'}: not saved: No space left on device\n"
    assert everything(small_disk) == before


def test_resuming_a_count_on_a_full_disk_is_one_line_exit_2_and_changes_nothing(small_disk):
    journal = write(small_disk / "ldj5.jsonl", header(id="ldj5"), *ballots("yes", "no"))
    fill(small_disk)
    before = everything(small_disk)
    done = count_at_start(str(journal))
    assert done.returncode == 2
    assert done.stderr == f"tally: {journal}: not saved: No space left on device\n"
    assert everything(small_disk) == before


def no_room() -> None:
    """For a child: no file may grow at all (the kernel says EFBIG, as a full disk says ENOSPC)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))


def test_a_count_that_cannot_write_its_header_leaves_nothing_behind(tmp_path):
    done = count_at_start(str(tmp_path / "new.jsonl"), "--title", "Limited", preexec_fn=no_room)
    assert done.returncode == 2
    assert done.stderr == f"tally: {tmp_path / 'new.jsonl'}: not saved: File too large\n"
    assert list(tmp_path.iterdir()) == []


# -- item 13: a new file's directory is fsync'd before its first entry is acknowledged --

needs_strace = pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
STRACE = ["strace", "-f", "-qq", "-s", "80", "-e", "trace=openat,fsync,write,sendto,close,clone,clone3"]


class Traced(Terminal):
    """A `tally count` in a pseudo-terminal, under strace (its calls written to ``log``)."""

    def __init__(self, log: Path, *args: str) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(ROOT)
            os.environ.update(TERM="xterm-256color", COLUMNS="120", LINES="40")
            os.execvp("strace", [*STRACE, "-o", str(log), sys.executable, "-m", "tui.cli", *args])
        self.output = b""


def calls(log: Path) -> list[str]:
    """The calls of the traced command's own process (the first pid in the log, and the threads it
    starts), in order of their return, without the pid in front (padded to a width, so any spaces).

    Its child processes (the hub's row worker starts with it) are left out: descriptors are
    numbered per process. A call that another thread's or process's call interrupted is split by
    strace ("openat(… <unfinished ...>", later "<... openat resumed>) = 7"): the two halves are
    joined, at the place of the second.
    """
    joined: list[str] = []
    pending: dict[str, str] = {}
    ours: set[str] = set()
    for line in log.read_text().splitlines():
        if " " not in line:
            continue
        pid, call = line.split(None, 1)
        ours = ours or {pid}
        if call.endswith("<unfinished ...>"):
            pending[pid] = call.removesuffix("<unfinished ...>").rstrip()
            continue
        if call.startswith("<... ") and " resumed>" in call:
            call = pending.pop(pid, "") + call.split(" resumed>", 1)[1]
        if pid not in ours:
            continue
        if call.startswith(("clone(", "clone3(")):
            if "CLONE_THREAD" in call and (tid := re.search(r"= (\d+)$", call)):
                ours.add(tid[1])  # a thread of ours; a process (no CLONE_THREAD) is not
            continue
        joined.append(call)
    return joined


def opened_at(trace: list[str], pattern: str, after: int = 0) -> tuple[int, str]:
    """(index, fd) of the first openat from ``after`` on whose text matches ``pattern``."""
    for i, line in enumerate(trace[after:], after):
        if line.startswith("openat(") and re.search(pattern, line) and (fd := re.search(r"= (\d+)$", line)):
            return i, fd[1]
    raise AssertionError(f"no openat matching {pattern!r}")


def synced(trace: list[str], fd: str, after: int) -> int:
    """The index of the first fsync of ``fd`` after ``after`` (before it is closed)."""
    for i, line in enumerate(trace[after:], after):
        if line.startswith(f"fsync({fd})"):
            return i
        if line.startswith(f"close({fd})"):
            break
    raise AssertionError(f"fd {fd} was not fsync'd after call {after}")


def directory_synced(trace: list[str], directory: Path, after: int) -> int:
    """The index of the first fsync after ``after`` of a descriptor then open on ``directory``."""
    on_it: set[str] = set()
    for i, line in enumerate(trace):
        if opened := re.match(r'openat\(AT_FDCWD, "(.*)", .*\) = (\d+)$', line):
            (on_it.add if opened[1] == str(directory) else on_it.discard)(opened[2])
        elif closed := re.match(r"close\((\d+)\)", line):
            on_it.discard(closed[1])
        elif i > after and (fsync := re.match(r"fsync\((\d+)\)", line)) and fsync[1] in on_it:
            return i
    raise AssertionError(f"{directory} was not fsync'd after call {after}")


def first(trace: list[str], pattern: str, after: int = 0) -> int:
    return next(i for i, line in enumerate(trace[after:], after) if re.search(pattern, line))


@needs_strace
def test_a_new_journals_directory_is_fsynced_before_the_screen_shows_it(tmp_path):
    journal = tmp_path / "new.jsonl"
    log = tmp_path.parent / f"{tmp_path.name}.strace"
    count = Traced(log, "count", str(journal), "--title", "Traced")
    try:
        count.wait_for(lambda: b"Traced" in count.output, timeout=60)  # the screen is up
    finally:
        count.kill()
    trace = calls(log)
    made, fd = opened_at(trace, rf'"{re.escape(str(journal))}", O_(RDWR|WRONLY)\|O_CREAT')
    header = synced(trace, fd, first(trace, rf'^write\({fd}, "{{\\"seq\\":1,', made))
    named = directory_synced(trace, tmp_path, header)
    assert named < first(trace, r"^write\([12], ", made)  # before the first frame of the screen


@needs_strace
async def test_a_hubs_new_election_and_token_are_named_durably_before_they_are_used(tmp_path):
    data = tmp_path / "hub"
    log = tmp_path / "hub.strace"
    hub = await asyncio.create_subprocess_exec(
        *STRACE, "-o", str(log), *TALLY, "serve", "--port", "0", "--data", str(data), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        line = (await asyncio.wait_for(hub.stdout.readline(), 60)).decode()
        port = re.search(r"ws://127\.0\.0\.1:(\d+) ", line)[1]
        await asyncio.wait_for(hub.stdout.readline(), 10)  # where the token is
        token = (data / "token").read_text().strip()
        async with publishing(f"ws://127.0.0.1:{port}", "new", token=token) as pub:
            assert await ask(pub, header_frame("new")) == {"ack": 1}
    finally:
        # strace only detaches on SIGTERM: the hub itself is told to end (its pid leads the log).
        os.kill(int(log.read_text().split(None, 1)[0]), signal.SIGTERM)
        await asyncio.wait_for(hub.communicate(), 30)
    trace = calls(log)
    made, token_fd = opened_at(trace, r'"[^"]*/token", O_WRONLY\|O_CREAT\|O_EXCL')
    written = synced(trace, token_fd, made)
    assert directory_synced(trace, data, written) < first(trace, r"^write\(1, .*listening", made)

    made, fd = opened_at(trace, r'new\.jsonl", O_WRONLY.*O_CREAT')
    header = synced(trace, fd, first(trace, rf'^write\({fd}, "{{\\"seq\\":1,', made))
    assert directory_synced(trace, data, header) < first(trace, r'^(sendto|write)\(\d+, ".*ack\\": 1', made)
