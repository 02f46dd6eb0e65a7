"""An unexpected error (a bug in tally, not the user's mistake) exits non-zero with one line
that names a crash log, and the log holds the traceback: on a screen and without one."""

from __future__ import annotations

import os
import pty
import select
import sys
import time
from pathlib import Path

from tui.cli import main
from tui.crash import EXIT_CRASH

ROOT = Path(__file__).resolve().parent.parent
BOOM = "a planted bug"


def run_in_pty(code: str, crash_dir: Path, timeout: float = 30.0) -> tuple[int, str]:
    """Run `python -c code` in a real pseudo-terminal; its exit status and everything it printed."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.environ.update(TERM="xterm-256color", COLUMNS="100", LINES="30",
                          TALLY_CRASH_DIR=str(crash_dir))
        os.execv(sys.executable, [sys.executable, "-c", code])
    output = b""
    end = time.monotonic() + timeout
    while True:
        assert time.monotonic() < end, "did not exit: " + output.decode(errors="replace")[-500:]
        if select.select([fd], [], [], 0.05)[0]:
            try:
                output += os.read(fd, 1 << 16)
            except OSError:
                pass
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def crash_logs(folder: Path) -> list[Path]:
    return sorted(folder.glob("tally-crash-*.log"))


def test_a_crash_inside_the_dashboard_exits_70_with_one_line_naming_the_log(tmp_path):
    code = f"""
import sys
import tally.present as present
def boom(snap):
    raise RuntimeError({BOOM!r})
present.banner = boom
from tui.cli import main
sys.exit(main(["replay", "ldj5", "--max"]))
"""
    status, printed = run_in_pty(code, tmp_path)
    assert status == EXIT_CRASH
    [log] = crash_logs(tmp_path)
    said = printed[printed.rindex("tally: stopped"):].replace("\r\n", "\n").strip()
    assert said == (f"tally: stopped by an unexpected error (RuntimeError: {BOOM}); "
                    f"the traceback is in {log}. Please report it.")  # the last thing, one line
    assert "Traceback" not in printed and "boom" not in printed  # not on the terminal
    assert "RuntimeError" in log.read_text() and "boom" in log.read_text()


def test_a_crash_without_a_screen_exits_70_with_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TALLY_CRASH_DIR", str(tmp_path))

    def boom(snap):
        raise ZeroDivisionError(BOOM)

    monkeypatch.setattr("tally.report.text_report", boom)
    assert main(["report", "ldj5"]) == EXIT_CRASH
    err = capsys.readouterr().err
    [log] = crash_logs(tmp_path)
    assert err.splitlines() == [f"tally: stopped by an unexpected error (ZeroDivisionError: {BOOM}); "
                                f"the traceback is in {log}. Please report it."]
    assert "Traceback (most recent call last)" in log.read_text()


def test_with_no_writable_crash_folder_the_log_goes_to_the_next(tmp_path, capsys, monkeypatch):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    monkeypatch.setenv("TALLY_CRASH_DIR", str(blocked))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr("tally.report.text_report", lambda snap: 1 / 0)
    assert main(["report", "ldj5"]) == EXIT_CRASH
    [log] = crash_logs(tmp_path / "state" / "tally")
    assert str(log) in capsys.readouterr().err


async def test_an_error_in_a_draw_queued_behind_the_feed_stops_the_dashboard(monkeypatch):
    """The draws queued behind the feed (its first frame, a feed's change of state, a typed entry's
    redraw) run as Textual's callbacks: an error in one stops the app (exit 70 in `tally`), where
    a bare asyncio callback's error was only logged and the dashboard froze on screen."""
    import pytest
    import tally.present as present
    from dash import replay_app, until

    app = replay_app("ldj5", paused=True)
    with pytest.raises(RuntimeError, match=BOOM):
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: app.live.count.election is not None)

            def boom(snap):
                raise RuntimeError(BOOM)

            monkeypatch.setattr(present, "banner", boom)
            app.live.version += 1  # something new to draw
            app._feed_changed()  # as a feed does when it is ready, paused or at its end
            for _ in range(100):
                await pilot.pause(0.05)
                if not app.is_running:
                    break
            assert not app.is_running, "the dashboard went on after an error in its draw"
    assert app.return_code == 1
