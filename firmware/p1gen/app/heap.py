"""The heap plan: what the app allocates for good, in which order, and what happens when
a feature does not fit (docs/heap.md).

The rp2 heap (about 200 KB before the app) is never compacted: a block that is still
free when the web server and microdot have imported may be too short for a 3 KB buffer
even with 60 KB free in total. So, first thing in the app (``plan``):

1. a collection, and ``gc.threshold`` so the heap is collected every few KB allocated
   rather than only when it is full: short-lived objects then reuse the low holes instead
   of spreading over the whole heap between the long-lived ones;
2. the energy source's module, imported while the heap is empty, and its long-lived
   buffers (the p1 meter: its 3 KB frame buffer, its read chunk and its UART);
3. the web server's history ring (4 x 1.4 KB), when the web server is on;

each one after a collection, in this fixed order, largest first. The features import
after that (the source's client, microdot and the web API) and use these buffers
instead of allocating their own; nothing large is allocated per poll or per request.
A feature whose start-up runs out of memory is tried once more
after a collection (``attempt``); when it still does not fit it is switched off with
the reason in the status, and the telegrams go on.
"""
import gc

_THRESHOLD_DIV = 16  # collect after every 1/16 of the free heap allocated (~11 KB on a Pico W)
_MIN_THRESHOLD = 4096

planned = []  # what the plan set aside
failures = []  # "what: why" of every allocation that failed twice


def free():
    """Free heap after a collection, None on CPython."""
    if not hasattr(gc, "mem_free"):
        return None
    gc.collect()
    return gc.mem_free()


def attempt(what, make, *args):
    """make(*args) on a collected heap (a feature's long-lived objects then fill the holes
    from the bottom); after a MemoryError once more after a collection. A second failure
    is recorded, printed with the heap's state, and raised as a MemoryError naming ``what``."""
    gc.collect()
    try:
        return make(*args)
    except MemoryError:
        pass
    gc.collect()
    try:
        return make(*args)
    except MemoryError as e:
        error = "%s: does not fit in memory (%s; %s bytes free)" % (what, e, free())
    if len(failures) < 8:
        failures.append(error)
    report(error)
    raise MemoryError(error)


def plan(device):
    """Allocate, in a fixed order and before any feature imports, what the config needs
    for good. A buffer that does not fit here is left to its feature, which then tries
    (and reports) on its own."""
    gc.collect()
    if hasattr(gc, "threshold"):
        gc.threshold(max(_MIN_THRESHOLD, gc.mem_free() // _THRESHOLD_DIV))
    settings = device.source_settings()
    kind = settings.get("kind")
    if kind and kind != "none":
        try:
            from p1gen import sources

            mod = sources.module(kind)  # its bytecode in one piece, at the bottom of the heap
            reserve = getattr(mod, "reserve", None)
            if reserve is not None:
                attempt("source %s buffers" % kind, reserve, settings)
                planned.append("source %s buffers" % kind)
        except Exception as e:  # the source's own start reports the real problem
            print("p1gen heap: source %s: %s" % (kind, e))
    web = device.config.get("web") or {}
    if web.get("enabled", True) and getattr(device, "history", None) is None:
        try:
            from p1gen.web.history import History

            device.history = attempt("web history", History)
            planned.append("web history")
        except (ImportError, MemoryError):  # no web server in this firmware; or it reports on its own
            pass
    gc.collect()


def unload(name):
    """Forget module ``name`` (its code is collected once nothing holds it; the next import
    loads it again): for modules used now and then that hold no state."""
    import sys

    if sys.modules.pop(name, None) is not None:
        parent, leaf = name.rsplit(".", 1)
        try:
            delattr(sys.modules[parent], leaf)
        except (KeyError, AttributeError):
            pass


def status():
    """The plan's state for the status API (beside its free_heap)."""
    threshold = gc.threshold() if hasattr(gc, "threshold") else None
    return {"planned": planned, "failures": failures, "threshold": threshold}


def report(label):
    """The heap's state on the console (micropython.mem_info: free bytes and the largest
    free block), headed by ``label``; the host tools read it off the firmware's log."""
    gc.collect()
    print("p1gen heap: %s" % label)
    try:
        import micropython

        micropython.mem_info()
    except (ImportError, AttributeError):
        pass


async def watch(first_s=10, every_s=None):
    """A heap report once the app has settled after start-up, then every ``every_s``."""
    from p1gen import ticks
    from p1gen.app.aio import sleep_ms

    started = ticks.ms()
    await sleep_ms(first_s * 1000)
    report("at %d s (after start-up)" % first_s)
    while every_s:
        await sleep_ms(every_s * 1000)
        report("at %d s" % (ticks.diff(ticks.ms(), started) // 1000))
