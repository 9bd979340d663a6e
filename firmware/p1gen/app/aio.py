"""The two MicroPython asyncio calls the tasks use, also on CPython (for the host tests)."""
import asyncio

_sleep_ms = getattr(asyncio, "sleep_ms", None)
_wait_for_ms = getattr(asyncio, "wait_for_ms", None)


def sleep_ms(ms):
    if _sleep_ms is not None:
        return _sleep_ms(ms)
    return asyncio.sleep(ms / 1000)


def wait_for_ms(aw, ms):
    if _wait_for_ms is not None:
        return _wait_for_ms(aw, ms)
    return asyncio.wait_for(aw, ms / 1000)


try:
    from micropython import const  # pyright: ignore  (folds private constants away: no name, no heap)
except ImportError:  # CPython (the host tests)
    def const(value):  # pyright: ignore
        return value
