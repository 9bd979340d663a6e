"""Millisecond ticks that wrap, the same on the board and on CPython.

Every interval in the firmware goes through ``diff``/``add`` so that code is
correct across the rp2's wrap at 2**30 ms (about 12.4 days). CPython gets an
emulation with the same period so host tests exercise the same arithmetic.
"""

try:
    from time import ticks_ms as _ticks_ms, ticks_diff, ticks_add  # MicroPython

    def ms():
        return _ticks_ms()

except ImportError:  # CPython
    import time as _time

    PERIOD = 1 << 30
    _HALF = PERIOD >> 1

    def ms():
        return int(_time.monotonic() * 1000) & (PERIOD - 1)

    def ticks_diff(a, b):
        return ((a - b + _HALF) & (PERIOD - 1)) - _HALF

    def ticks_add(t, delta):
        return (t + delta) & (PERIOD - 1)


def diff(a, b):
    """a - b in ms, correct across the wrap (a, b less than 2**29 ms apart)."""
    return ticks_diff(a, b)


def add(t, delta):
    return ticks_add(t, delta)
