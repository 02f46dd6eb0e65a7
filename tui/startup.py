"""The cycle collector held off while a dashboard starts, until its first frame.

Starting a dashboard makes a few hundred thousand objects that all stay alive
(modules, classes, the stylesheet, the screen's nodes) and next to no cyclic
garbage. Python's cycle collector, counting allocations, walked them ~185
times before the first frame (~70 ms of CPU, a full collection among them:
docs/PERFORMANCE.md, "Launch"), finding nothing to free. `hold` turns it off
before the dashboard's imports; the dashboard `release`s it once its first
frame of the count is drawn, or STARTED seconds after it mounted, whichever
comes first, so a feed that shows nothing for long does not run without it.
"""

from __future__ import annotations

import gc

STARTED = 2.0
"""Seconds after the dashboard mounted by which the collector is back on, frame or not."""

_held = False


def hold() -> None:
    """Turn the cycle collector off until `release` (if it was on)."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def release() -> None:
    """Turn the cycle collector back on, if `hold` turned it off; otherwise nothing."""
    global _held
    if _held:
        _held = False
        gc.enable()


def held() -> bool:
    return _held
