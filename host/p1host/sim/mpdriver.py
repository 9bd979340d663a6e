"""Drive one firmware source under the MicroPython unix port, one stdin command at a time.

Run by the fault tests and ``p1gen bench sources``, never imported by CPython:

    MICROPYPATH=<p1host.paths.micropython_path()> micropython mpdriver.py '<settings JSON>'

then write lines to its stdin:
    poll            -> {"ms": duration, "us": the same in us, "error": text|null, "values": {...}, "info": {...},
                        "heap": bytes allocated by the poll, "connects": n}
    pollheap        -> the same, with the collector off during the poll so "heap" is exact
    pollwatch       -> the same, with a 10 ms ticker task running: "max_gap_ms" is the longest
                       the event loop was held (what a telegram task would wait)
    poll now, pollheap now -> the same, ignoring poll_ms (benchmarks)
    wait MS         -> waits MS ms inside the event loop (the source's tasks run) -> {"ms": ...}
    scan JSON       -> runs discover.scan(**JSON) -> {"ms": ..., "found": [...], "ticks": n, "max_gap_ms": m}
    close           -> closes the source -> {"closed": true}
Each answer is one JSON line. Every exception is printed as {"escaped": text}.
"""
import asyncio
import gc
import json
import sys
import time

from p1gen import sources


async def _ticker(state):
    """Counts how often the loop gets to run it, and the longest gap: a blocked loop shows here."""
    last = time.ticks_ms()
    while state["run"]:
        await asyncio.sleep_ms(10)
        now = time.ticks_ms()
        gap = time.ticks_diff(now, last)
        last = now
        state["ticks"] += 1
        if gap > state["max_gap_ms"]:
            state["max_gap_ms"] = gap


async def _poll(source, exact_heap, watch_loop=False):
    state = {"run": True, "ticks": 0, "max_gap_ms": 0}
    ticker = asyncio.create_task(_ticker(state)) if watch_loop else None
    gc.collect()
    if exact_heap:
        gc.disable()
    before = gc.mem_alloc()
    t = time.ticks_us()
    ctx = await source.poll()
    us = time.ticks_diff(time.ticks_us(), t)
    heap = gc.mem_alloc() - before
    gc.enable()
    if heap < 0:  # a collection ran during the poll
        heap = None
    if ticker:
        state["run"] = False
        await ticker
    values = {}
    for name in ctx.names():
        v = ctx.get(name)
        values[name] = list(v) if type(v) is tuple else v
    client = getattr(source, "client", None)
    out = {"ms": us // 1000, "us": us, "error": ctx.error, "values": values, "info": ctx.info, "heap": heap,
           "connects": client.connects if client else None}
    if ticker:
        out["max_gap_ms"] = state["max_gap_ms"]
    return out


async def _scan(args):
    from p1gen.sources import discover

    state = {"run": True, "ticks": 0, "max_gap_ms": 0}
    ticker = asyncio.create_task(_ticker(state))
    t = time.ticks_ms()
    found = await discover.scan(**args)
    ms = time.ticks_diff(time.ticks_ms(), t)
    state["run"] = False
    await ticker
    return {"ms": ms, "found": found, "ticks": state["ticks"], "max_gap_ms": state["max_gap_ms"]}


async def main(settings):
    try:
        source = sources.make(settings) if settings else None
    except ValueError as e:
        print(json.dumps({"escaped": "ValueError: %s" % e}))
        return
    while True:
        line = sys.stdin.readline()
        if not line:
            break
        cmd, _, arg = line.strip().partition(" ")
        try:
            if cmd in ("poll", "pollheap", "pollwatch"):
                if arg == "now":
                    source._last = None  # a benchmark: skip the poll interval
                out = await _poll(source, cmd == "pollheap", cmd == "pollwatch")
            elif cmd == "wait":
                t = time.ticks_ms()
                await asyncio.sleep_ms(int(arg))
                out = {"ms": time.ticks_diff(time.ticks_ms(), t)}
            elif cmd == "scan":
                out = await _scan(json.loads(arg))
            elif cmd == "close":
                await source.close()
                out = {"closed": True}
            else:
                out = {"escaped": "unknown command %r" % cmd}
        except Exception as e:
            sys.print_exception(e, sys.stderr)
            out = {"escaped": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(out))


asyncio.run(main(json.loads(sys.argv[1]) if len(sys.argv) > 1 else None))
