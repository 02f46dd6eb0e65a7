"""Issue 17's small command-line items: a refusal says what to give, in one line, exit 2.

Each runs the real `tally` in a fresh directory (no tally-data/ there).
"""

from __future__ import annotations

import subprocess

import pytest

from feeds.bundled import NAMES, SETS

from test_hub_process import TALLY


def tally(cwd, *args: str) -> tuple[int, str, str]:
    done = subprocess.run([*TALLY, *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("argv", [["publish", "ldj5", "ws://127.0.0.1:9"],
                                  ["count", "j.jsonl", "--publish", "ws://127.0.0.1:9"]])
def test_publishing_without_a_token_says_what_to_give(tmp_path, argv):
    code, _, err = tally(tmp_path, *argv)
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith("tally: no token: give --token-file FILE") and "tally-data/token" not in err
    assert not (tmp_path / "j.jsonl").exists()  # nothing started, nothing written


def test_a_token_file_given_but_missing_is_named(tmp_path):
    code, _, err = tally(tmp_path, "publish", "ldj5", "ws://127.0.0.1:9", "--token-file", "t")
    assert (code, err) == (2, "tally: t: no such file\n")


@pytest.mark.parametrize("command", ["replay", "report", "board"])
def test_a_mistyped_bundled_name_lists_the_bundled_names(tmp_path, command):
    code, out, err = tally(tmp_path, command, "jfk")
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("tally: no such file or bundled count: jfk (bundled: ")
    assert all(name in err for name in NAMES + SETS)


@pytest.mark.parametrize("command", ["replay", "report"])
def test_a_bundled_day_of_several_counts_names_the_board_and_one_count_to_give(tmp_path, command):
    code, out, err = tally(tmp_path, command, SETS[0])
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert "is a bundled day of " in err and f"tally board {SETS[0]} shows them all" in err
    one = err.rstrip().rsplit(" ", 1)[1]
    code, out, _ = tally(tmp_path, "report", one)  # the count it names is one to give
    assert code == 0 and out


def test_a_file_that_exists_keeps_its_own_reason(tmp_path):
    (tmp_path / "jfk").mkdir()
    code, _, err = tally(tmp_path, "replay", "jfk")
    assert code == 2 and "is a directory" in err and "bundled" not in err
