import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

try:  # the needle's model, until the `odds` branch is merged: a stand-in with its API
    import tally.odds  # noqa: F401
except ImportError:
    import odds_stand_in

    sys.modules["tally.odds"] = odds_stand_in
