"""`p1gen bench sources`: poll round-trip per source against its simulator, on CPython and
under the MicroPython unix port (150 KB heap), and the heap one poll allocates there.

Prints figures; asserts nothing. The unix port is 64-bit, so heap figures are
roughly twice what the same objects take on the Pico W's 32-bit rp2.
"""
import asyncio
import os
import statistics
import time

from p1gen import sources
from p1host.sim import homewizard, p1meter, sma, solaredge
from p1host.sim.mprun import MicroPythonSource
from p1host.sim.site import SiteState

NETWORK = (("sma", sma), ("solaredge", solaredge), ("homewizard", homewizard))


def _site():
    site = SiteState()
    site.pv_w = 4200
    site.house_phase_w = [600, 1800, 300]
    site.battery_soc = 70
    site.battery_w = 900
    return site


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stats(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return "n/a"
    p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
    return "median %7.1f  p90 %7.1f  max %7.1f" % (statistics.median(values), p90, values[-1])


def _cpython_round_trips(settings, count):
    async def main():
        source = sources.make(settings)
        out = []
        for _ in range(count + 1):
            source._last = None  # ignore poll_ms: measure the exchange itself
            t = time.perf_counter()
            ctx = await source.poll()
            out.append(((time.perf_counter() - t) * 1000, ctx.error))
        await source.close()
        return out

    results = asyncio.run(main())
    errors = [e for _, e in results if e]
    return [ms for ms, _ in results[1:]], errors


def _micropython(settings, count, pass_fds=(), sim=None):
    """(first poll, the next count polls, errors, the poll against a hung device or None)."""
    hung = None
    with MicroPythonSource(settings, pass_fds=pass_fds) as mp:
        first = mp.poll(exact_heap=True, now=True)
        rest = [mp.poll(exact_heap=True, now=True) for _ in range(count)]
        if sim is not None:
            sim.fault = "hang"
            hung = mp.poll(now=True, watch_loop=True)
            sim.fault = None
    errors = [r.get("error") or r.get("escaped") for r in [first] + rest if r.get("error") or r.get("escaped")]
    return first, rest, errors, hung


def main(args):
    count = 5 if getattr(args, "quick", False) else 40
    print("p1gen bench sources: %d polls per source after the first (connect, identify)" % count)
    print("round-trip in ms; heap in bytes allocated by one poll under MicroPython (collector off)")
    print()
    for kind, module in NETWORK:
        port = _free_port()
        settings = {"kind": kind, "host": "127.0.0.1", "port": port}
        with module.simulator(_site(), port=port) as sim:
            cp_ms, cp_errors = _cpython_round_trips(settings, count)
            first, rest, mp_errors, hung = _micropython(settings, count, sim=sim)
        print("%-10s CPython     round-trip  %s" % (kind, _stats(cp_ms)))
        print("%-10s MicroPython round-trip  %s   first poll %d ms" % (
            "", _stats([r["us"] / 1000 if "us" in r else None for r in rest]), first.get("ms", -1)))
        print("%-10s MicroPython heap/poll   %s   first poll %s" % (
            "", _stats([r.get("heap") for r in rest]), first.get("heap")))
        print("%-10s device hangs: poll gave up after %d ms (timeout 2000), loop held at most %d ms" % (
            "", hung.get("ms", -1), hung.get("max_gap_ms", -1)))
        for e in (cp_errors + mp_errors)[:3]:
            print("%-10s error: %s" % ("", e))
    site = _site()
    with p1meter.simulator(site, interval_s=0.2) as sim:
        fd = sim.reader_fd()
        try:
            settings = {"kind": "p1", "device": "fd:%d" % fd, "poll_ms": 100, "timeout_ms": 2000}
            first, rest, errors, _ = _micropython(settings, count, pass_fds=[fd])  # each poll waits for a telegram
        finally:
            os.close(fd)
    print("%-10s MicroPython heap/poll   %s   (one DSMR 5 telegram read, framed and parsed)" % (
        "p1", _stats([r.get("heap") for r in rest])))
    for e in errors[:3]:
        print("%-10s error: %s" % ("", e))
    return 0
