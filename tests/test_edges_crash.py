"""The crash handler on a full or read-only disk (issue 16, item 6): one line, exit 70, always.

A real tmpfs of 16 KiB, filled to the last byte (a file can still be made
there, but not written: the old handler left an empty log and raised), and
a real read-only mount (root ignores file modes, not a read-only mount).
Each crash is a real process with a planted bug, as in test_crash_exit.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.crash import EXIT_CRASH

from test_crash_exit import BOOM, crash_logs, run_in_pty

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def mounted(where: Path, *options: str) -> Iterator[Path]:
    """A 16 KiB tmpfs on ``where`` for the block's time (skipped, saying why, where mount is refused)."""
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(["size=16k", *options]),
                           "tmpfs", str(where)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode}): "
                    "these tests need root")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)


@pytest.fixture
def full_dir(tmp_path):
    """A directory on a tmpfs with not one byte free (and a `tally` folder made before it filled)."""
    with mounted(tmp_path / "full") as where:
        (where / "tally").mkdir()
        fd = os.open(where / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 512):
                pass
        except OSError:  # ENOSPC: full
            pass
        finally:
            os.close(fd)
        yield where


@pytest.fixture
def read_only_dir(tmp_path):
    with mounted(tmp_path / "read-only", "ro") as where:
        yield where


def crash(env: dict[str, str], before: str = "") -> subprocess.CompletedProcess:
    """`tally report ldj5` with a planted bug, in a new process: its exit code and what it printed."""
    code = f"""
import sys
{before}
import tally.report
def boom(snap):
    raise ZeroDivisionError({BOOM!r})
tally.report.text_report = boom
from tui.cli import main
sys.exit(main(["report", "ldj5"]))
"""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, env={**os.environ, **env})


def said_one_line(done: subprocess.CompletedProcess, where: str) -> None:
    assert done.returncode == EXIT_CRASH, done
    assert done.stderr.splitlines() == [f"tally: stopped by an unexpected error (ZeroDivisionError: "
                                        f"{BOOM}); {where}. Please report it."], done.stderr


def test_a_full_crash_directory_passes_the_log_to_the_next(full_dir, tmp_path):
    done = crash({"TALLY_CRASH_DIR": str(full_dir), "XDG_STATE_HOME": str(tmp_path / "state")})
    [log] = crash_logs(tmp_path / "state" / "tally")
    said_one_line(done, f"the traceback is in {log}")
    assert "ZeroDivisionError" in log.read_text() and "boom" in log.read_text()
    assert crash_logs(full_dir) == []  # the empty file it made there is gone


def test_read_only_then_full_then_the_temporary_directory(read_only_dir, full_dir, tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    done = crash({"TALLY_CRASH_DIR": str(read_only_dir), "XDG_STATE_HOME": str(full_dir),
                  "TMPDIR": str(temporary)})
    [log] = crash_logs(temporary)
    said_one_line(done, f"the traceback is in {log}")
    assert crash_logs(full_dir / "tally") == crash_logs(read_only_dir) == []


def test_with_no_directory_at_all_the_traceback_goes_to_stderr(read_only_dir, full_dir):
    # The temporary directory always takes a file here (Python falls back to the current
    # directory): the directories are given as the only ones, both real and both refusing.
    done = crash({}, before="import pathlib, tui.crash\ntui.crash.crash_dirs = lambda: "
                            f"[pathlib.Path({str(full_dir)!r}), pathlib.Path({str(read_only_dir)!r})]")
    assert done.returncode == EXIT_CRASH, done
    *traceback, last = done.stderr.splitlines()
    assert traceback[0] == "Traceback (most recent call last):" and "boom" in done.stderr
    assert last == (f"tally: stopped by an unexpected error (ZeroDivisionError: {BOOM}); no crash "
                    "directory could take the traceback, so it is above. Please report it.")
    assert crash_logs(full_dir) == crash_logs(read_only_dir) == []


def test_a_crash_on_the_dashboard_with_a_full_crash_directory(full_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # run_in_pty's child inherits it
    code = f"""
import sys
import tally.present as present
def boom(snap):
    raise RuntimeError({BOOM!r})
present.banner = boom  # the model's banner: every face's words
from tui.cli import main
sys.exit(main(["replay", "ldj5", "--max"]))
"""
    status, printed = run_in_pty(code, full_dir)
    assert status == EXIT_CRASH
    [log] = crash_logs(tmp_path / "state" / "tally")
    said = printed[printed.rindex("tally: stopped"):].replace("\r\n", "\n").strip()
    assert said == (f"tally: stopped by an unexpected error (RuntimeError: {BOOM}); "
                    f"the traceback is in {log}. Please report it.")
    assert "Traceback" not in printed and "RuntimeError" in log.read_text()
    assert crash_logs(full_dir) == []


NO_HOME = """
import os, pwd
os.environ.pop("HOME", None)
os.environ.pop("XDG_STATE_HOME", None)
def nobody(uid):
    raise KeyError(f"getpwuid(): uid not found: {uid}")
pwd.getpwuid = nobody  # a uid with no passwd entry, as in `docker run --user 12345`
"""
NO_TEMPORARY = """
import tempfile
tempfile.tempdir = None
tempfile._candidate_tempdir_list = lambda: [{full!r}]  # every temporary directory full
"""


def test_with_no_home_to_be_found_the_log_goes_to_the_temporary_directory(full_dir, tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    done = crash({"TALLY_CRASH_DIR": str(full_dir), "TMPDIR": str(temporary)}, before=NO_HOME)
    [log] = crash_logs(temporary)
    said_one_line(done, f"the traceback is in {log}")
    assert crash_logs(full_dir) == []


def test_with_no_home_and_no_temporary_directory_the_traceback_goes_to_stderr(full_dir):
    done = crash({"TALLY_CRASH_DIR": str(full_dir)}, before=NO_HOME + NO_TEMPORARY.format(full=str(full_dir)))
    assert done.returncode == EXIT_CRASH, done
    *traceback, last = done.stderr.splitlines()
    assert traceback[0] == "Traceback (most recent call last):" and "boom" in done.stderr
    assert last == (f"tally: stopped by an unexpected error (ZeroDivisionError: {BOOM}); no crash "
                    "directory could take the traceback, so it is above. Please report it.")
    assert crash_logs(full_dir) == []


def test_a_dashboard_with_no_home_to_be_found_starts_and_its_crash_says_one_line(tmp_path, monkeypatch):
    """The dashboard sets its crash log up before it starts: with no home to be found that set-up
    raised, and every dashboard failed at its start with two tracebacks, bug or no bug."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))  # run_in_pty's child inherits it
    code = NO_HOME + f"""
import sys
import tally.present as present
def boom(snap):
    raise RuntimeError({BOOM!r})
present.banner = boom
from tui.cli import main
sys.exit(main(["replay", "ldj5", "--max"]))
"""
    status, printed = run_in_pty(code, tmp_path / "missing" / "crash")
    assert status == EXIT_CRASH, printed[-800:]
    logs = crash_logs(tmp_path / "missing" / "crash")  # made: a missing crash directory is created
    [log] = logs or crash_logs(temporary)
    said = printed[printed.rindex("tally: stopped"):].replace("\r\n", "\n").strip()
    assert said == (f"tally: stopped by an unexpected error (RuntimeError: {BOOM}); "
                    f"the traceback is in {log}. Please report it.")
    assert "Traceback" not in printed and "RuntimeError" in log.read_text()


PLACES = {
    "crash": ["unset", "fine", "full", "read-only", "a file"],
    "state": ["fine", "full", "read-only", "no home"],
    "temporary": ["fine", "none"],
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.fixed_dictionaries({place: st.sampled_from(kinds) for place, kinds in PLACES.items()}))
def test_the_log_goes_to_the_first_place_that_takes_it_whatever_refuses(kinds, full_dir, read_only_dir, tmp_path, capfd):
    """Generated: each place a crash log may go (TALLY_CRASH_DIR, the state directory, the temporary
    directory) fine, missing, full, read-only or impossible to work out. The log is in the first
    place that takes it whole, or on stderr; nothing is left anywhere else, and nothing raises."""
    import pwd
    import tempfile

    from tui.crash import STDERR, log_exception

    case = Path(tempfile.mkdtemp(dir=tmp_path))
    fine = {"crash": case / "crash", "state": case / "state", "temporary": case / "tmp"}
    fine["temporary"].mkdir()
    (case / "a-file").write_text("not a folder")
    where = {"fine": None, "full": full_dir, "read-only": read_only_dir, "a file": case / "a-file"}
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("TALLY_CRASH_DIR", raising=False)
        if kinds["crash"] != "unset":
            mp.setenv("TALLY_CRASH_DIR", str(where[kinds["crash"]] or fine["crash"]))
        if kinds["state"] == "no home":
            mp.delenv("XDG_STATE_HOME", raising=False)
            mp.delenv("HOME", raising=False)
            mp.setattr(pwd, "getpwuid", lambda uid: (_ for _ in ()).throw(KeyError(uid)))
        else:
            mp.setenv("XDG_STATE_HOME", str(where[kinds["state"]] or fine["state"]))
        if kinds["temporary"] == "none":
            mp.setattr(tempfile, "tempdir", None)
            mp.setattr(tempfile, "_candidate_tempdir_list", lambda: [str(full_dir)])
        else:
            mp.setattr(tempfile, "tempdir", str(fine["temporary"]))
        capfd.readouterr()
        path = log_exception(ZeroDivisionError("a planted bug"))
        printed = capfd.readouterr().err
    order = [("crash", fine["crash"]), ("state", fine["state"] / "tally"), ("temporary", fine["temporary"])]
    expected = next((folder for place, folder in order if kinds[place] == "fine"), None)
    if expected is None:
        assert path == STDERR and "ZeroDivisionError: a planted bug" in printed
    else:
        [log] = crash_logs(expected)
        assert path == log and "ZeroDivisionError: a planted bug" in log.read_text() and printed == ""
    for folder in (full_dir, full_dir / "tally", read_only_dir, *(folder for _, folder in order)):
        if folder != expected and folder.is_dir():
            assert crash_logs(folder) == []
