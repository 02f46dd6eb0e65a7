import sys
from pathlib import Path

from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))

# Every property test is reproducible: the same examples on every run and
# every machine (a failure seen in CI is seen again locally). A test's own
# @settings still chooses its number of examples and its deadline.
settings.register_profile("tally", derandomize=True, database=None)
settings.load_profile("tally")
