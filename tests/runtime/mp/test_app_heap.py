"""The heap plan (p1gen.app.heap): a start-up that runs out of memory is tried again after a
collection and, when it still does not fit, reported; the plan sets aside what the config needs."""
import gc

from appdevice import device

from p1gen.app import heap


def _forget_failures():
    del heap.failures[:]


def test_attempt_tries_again_after_a_collection():
    calls = []

    def make(n):
        calls.append(n)
        if len(calls) == 1:
            raise MemoryError("memory allocation failed, allocating %d bytes" % n)
        return bytearray(n)

    buf = heap.attempt("thing", make, 64)
    assert len(buf) == 64 and calls == [64, 64]
    assert heap.failures == []


def test_what_never_fits_is_reported_and_named():
    def make():
        raise MemoryError("memory allocation failed, allocating 3072 bytes")

    error = None
    try:
        heap.attempt("source p1", make)
    except MemoryError as e:
        error = str(e)
    try:
        assert error is not None and error.startswith("source p1: does not fit in memory (")
        assert "allocating 3072 bytes" in error
        assert heap.status()["failures"] == [error]
    finally:
        _forget_failures()


def test_a_real_allocation_too_big_for_the_heap_is_reported():
    if not hasattr(gc, "mem_free"):  # CPython: its heap has no such limit
        return
    error = None
    try:
        heap.attempt("huge", bytearray, 1 << 24)
    except MemoryError as e:
        error = str(e)
    _forget_failures()
    assert error is not None and error.startswith("huge: does not fit in memory") and "bytes free" in error


def test_plan_sets_aside_the_history_before_the_web_server_starts():
    del heap.planned[:]
    dev = device({"source": {"kind": "sma", "host": "10.0.0.2"}})
    assert dev.history is None
    heap.plan(dev)
    assert dev.history is not None and dev.history.size == 360
    assert heap.planned == ["web history"]  # a network source has no buffers of its own to set aside
    del heap.planned[:]
    off = device({"web": {"enabled": False}})
    heap.plan(off)
    assert off.history is None and heap.planned == []
