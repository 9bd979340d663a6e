"""Millisecond ticks that wrap at 2**30, on the board, the unix port and CPython alike.

Every interval in the firmware goes through ``diff``/``add``. The rp2's
``ticks_ms`` wraps at 2**30 ms (about 12.4 days); the unix port's and CPython's
clocks do not, so here they are folded to the same period and host tests
exercise the same arithmetic across the wrap.
"""

PERIOD = 1 << 30
_MASK = PERIOD - 1
_HALF = PERIOD >> 1

import time

_clock_ms = getattr(time, "ticks_ms", None)  # MicroPython; CPython has monotonic_ns


def ms():
    if _clock_ms is None:
        return (getattr(time, "monotonic_ns")() // 1000000) & _MASK
    return _clock_ms() & _MASK


def diff(a, b):
    """a - b in ms, correct across the wrap (a and b less than 2**29 ms apart)."""
    return ((a - b + _HALF) & _MASK) - _HALF


def add(t, delta):
    return (t + delta) & _MASK
