import sys
from pathlib import Path

from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))

# Every property test is reproducible: the same examples on every run and
# every machine (a failure seen in CI is seen again locally). No deadline: a
# property test asserts behaviour, not speed (bench/ measures speed), and a
# 200 ms deadline failed an example that took 0.75 ms once the machine was not
# busy. A test's own @settings still chooses its number of examples.
settings.register_profile("tally", derandomize=True, database=None, deadline=None)
settings.load_profile("tally")


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    """`tally listen`'s test clips, said by espeak-ng once a session (tests/listenkit.py)."""
    from listenkit import make_clips, require_speech

    require_speech()
    return make_clips(tmp_path_factory.mktemp("clips"))
