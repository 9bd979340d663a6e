"""Heap fragmentation of the firmware under the unix port, at the heap that matches a Pico W.

The scale: the rp2 port's import costs measured on the board (issue 12) against the same
imports measured here, with the firmware compiled as on the board. The board leaves about
200 KB free before the app; ``BOARD_HEAP`` gives the unix port that much times the scale
before the app. Per configuration (each source kind, web on and off) the firmware prints
``micropython.mem_info()`` (p1gen.app.heap.report) after start-up and every few seconds;
its free bytes and largest free block are read off the log and divided by the scale to
give the board's equivalent. The target (docs/heap.md): the largest free block after
start-up >= 8 KB and the free heap >= 40 KB on the board, for every configuration.
"""
import os
import re
import subprocess
import tempfile
import threading
import time

from p1host import paths, runner
from p1host.bench.runtime import Installation, WebLoad, fault_cycle

KB = 1024
# import costs on the rp2 port (MicroPython v1.28.0, RPI_PICO_W), KB, in the order measured (issue 12),
# and whether the group's code is still what was measured there: only those give the scale. The
# supervisor (the app) has grown since by the supervised tasks, the learning control law and MQTT's
# settings, so its rp2 figure no longer matches its code. The telegram group names the parser and
# every profile, the web group the API's changes, which the firmware now imports only when used,
# so that they load the code measured then.
RP2_IMPORT_KB = (
    ("telegram+reading", 22.7, ("p1gen.telegram", "p1gen.telegram.parser", "p1gen.telegram.csp1",
                                "p1gen.telegram.dsmr5", "p1gen.telegram.emucs", "p1gen.reading"), True),
    ("supervisor", 35.9, ("p1gen.app.supervisor",), False),
    ("web+microdot", 33.8, ("microdot", "p1gen.web.auth", "p1gen.web.api", "p1gen.web.changes", "p1gen.web.server"),
     True),
    ("p1meter", 10.0, ("p1gen.sources.p1meter",), True),
)
BOARD_FREE_BEFORE_APP = 200 * KB
TARGET_FREE = 40 * KB  # on the board, after start-up
TARGET_LARGEST = 8 * KB
BOARD_HEAP = runner.PICO_W_HEAP  # derived above; main() prints the derivation beside it
GC_BLOCK = 32  # bytes per GC block on a 64-bit unix port (4 machine words); "max free sz" counts blocks
CONFIGS = tuple((kind, web) for web in (True, False) for kind in ("sma", "solaredge", "homewizard", "p1"))

_MEASURE = """
import gc
import board
gc.collect()
print("BEFORE_APP", gc.mem_free(), gc.mem_alloc())
for name, mods in %r:
    gc.collect()
    free = gc.mem_free()
    for m in mods:
        __import__(m)
    gc.collect()
    print("COST", name, free - gc.mem_free())
"""


def _run_image(script, heapsize):
    """Run ``script`` under the unix port with the firmware image installed as on the board."""
    with tempfile.TemporaryDirectory(prefix="p1gen-heap-") as root:
        runner.install_image(root)
        path = os.path.join(root, "measure.py")
        with open(path, "w") as f:
            f.write(script)
        env = dict(os.environ, MICROPYPATH=":".join((root, ".frozen", os.path.join(root, "lib"))))
        out = subprocess.run([paths.tool("micropython"), "-X", "heapsize=" + heapsize, path], cwd=root, env=env,
                             capture_output=True, text=True, timeout=60)
    if out.returncode:
        raise RuntimeError("measuring imports failed: %s" % (out.stdout + out.stderr)[-500:])
    return out.stdout


def derive(heapsize="2048k"):
    """{"costs": [(name, rp2 bytes, unix bytes, in the scale)], "scale", "heapsize", "before_app_used"}:
    the scale from the import costs of the groups whose code is still what was measured on the
    rp2, and the heapsize that leaves 200 KB x scale free before the app."""
    groups = [(name, mods) for name, _, mods, _ in RP2_IMPORT_KB]
    out = _run_image(_MEASURE % (groups,), heapsize)
    unix = {}
    before = None
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] == "COST":
            unix[parts[1]] = int(parts[2])
        elif parts and parts[0] == "BEFORE_APP":
            before = (int(parts[1]), int(parts[2]))
    costs = [(name, int(kb * KB), unix[name], same) for name, kb, _, same in RP2_IMPORT_KB]
    scale = sum(u for _, _, u, same in costs if same) / sum(r for _, r, _, same in costs if same)
    free, used = before
    total_per_byte = (free + used) / bytes_of(heapsize)  # the GC's own tables take a little
    need = (BOARD_FREE_BEFORE_APP * scale + used) / total_per_byte
    return {"costs": costs, "scale": scale, "heapsize": "%dk" % -(-int(need) // KB), "before_app_used": used}


def bytes_of(heapsize):
    return int(heapsize[:-1]) * KB if heapsize.endswith("k") else int(heapsize)


_GC_LINE = re.compile(r"GC: total: (\d+), used: (\d+), free: (\d+)")
_MAX_FREE = re.compile(r"max free sz: (\d+)")


def reports(log):
    """[(seconds since boot, free bytes, largest free block in bytes)] from the heap reports
    (p1gen.app.heap.report) in a firmware's log."""
    out = []
    lines = log.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"p1gen heap: at (\d+) s", line)
        if not m:
            continue
        gc_line = next((x for x in lines[i + 1:i + 6] if _GC_LINE.search(x)), None)
        max_free = next((x for x in lines[i + 1:i + 6] if _MAX_FREE.search(x)), None)
        if gc_line is None or max_free is None:
            continue
        free = int(_GC_LINE.search(gc_line).group(3))
        largest = int(_MAX_FREE.search(max_free).group(1)) * GC_BLOCK
        out.append((int(m.group(1)), free, largest))
    return out


def wait_for_data(inst, timeout):
    """True once a telegram reports the site's real load (policy full: the source reads;
    a DSMR 5 meter gives whole amps)."""
    real = inst.real_import_ma()
    tolerance = 1000 if inst.kind == "p1" else 100
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        latest = inst.reader.latest()
        if latest is not None and latest[2] is not None:
            c = [int(getattr(latest[2], "INSTANTANEOUS_CURRENT_L%d" % i).value * 1000) for i in (1, 2, 3)]
            if all(abs(c[i] - real[i]) <= tolerance for i in range(3)):
                return True
        time.sleep(0.2)
    return False


def run_config(kind, web, minutes, heapsize=BOARD_HEAP, report_s=15):
    """Start one configuration, wait for its data, run faults (and web load) for ``minutes``;
    a dict of what happened and the heap reports."""
    result = {"kind": kind, "web": web}
    env = {"P1GEN_HEAP_REPORT_S": str(report_s)}
    with Installation(kind, web=web, heapsize=heapsize, env=env) as inst:
        result["data"] = wait_for_data(inst, 30)
        load = WebLoad(inst.fw.http_port, rate_per_s=4).start() if web else None
        end = time.monotonic() + minutes * 60
        while time.monotonic() < end:
            fault_cycle(inst, min(5, max(1, (end - time.monotonic()) / 6)))
        if load is not None:
            load.stop()
            result["requests"], result["failed"] = load.requests, load.failures
        time.sleep(report_s + 2)  # one more report after the load
        result["data_after"] = wait_for_data(inst, 20)
        log = inst.fw.log()
    result["reports"] = reports(log)
    result["errors"] = [line for line in log.splitlines() if "does not fit" in line or "MemoryError" in line][:5]
    return result


def _fmt(nbytes, scale):
    return "%.1f/%.1f" % (nbytes / KB, nbytes / scale / KB)


def main(minutes=1.0, configs=CONFIGS, heapsize=BOARD_HEAP):
    d = derive()
    print("scale, the rp2 port's import costs (issue 12) against the same imports on the unix port (.mpy):")
    for name, rp2, unix, same in d["costs"]:
        print("  %-18s rp2 %6.1f KB   unix %6.1f KB   %s" % (
            name, rp2 / KB, unix / KB, "x%.2f" % (unix / rp2) if same else
            "not in the scale: its code changed since the rp2 figure (unix / rp2 would be x%.2f)" % (unix / rp2)))
    scale = d["scale"]
    print("  scale x%.2f; 200 KB free before the app on the board -> -X heapsize=%s here (the unix port "
          "holds %.1f KB by then); the bench runs at %s" % (scale, d["heapsize"], d["before_app_used"] / KB, heapsize))
    results = []
    threads = [threading.Thread(target=lambda k=k, w=w: results.append(_safe(run_config, k, w, minutes, heapsize)))
               for k, w in configs]
    for t in threads:  # all at once: each firmware is mostly idle, and the run takes minutes, not x8
        t.start()
    for t in threads:
        t.join()
    print("heap per configuration in KB, unix port / the board's equivalent (unix / %.2f); the target on the "
          "board: free >= %d and largest free block >= %d after start-up" % (scale, TARGET_FREE // KB,
                                                                             TARGET_LARGEST // KB))
    print("%-18s %-25s %-25s %-13s" % ("", "after start-up", "after %g min faults+load" % minutes, "worst"))
    print("%-18s %-12s %-12s %-12s %-12s %-13s %s" % ("config", "free", "largest", "free", "largest", "largest",
                                                    "target"))
    ok_all = True
    for kind, web in configs:
        r = next(x for x in results if x["kind"] == kind and x["web"] == web)
        label = "%s web %s" % (kind, "on" if web else "off")
        reps = r.get("reports") or []
        if not reps:
            print("%-18s no heap report (%s)" % (label, r.get("error") or r.get("errors")))
            ok_all = False
            continue
        start, last = reps[0], reps[-1]
        worst = min(reps, key=lambda x: x[2])
        ok = start[1] / scale >= TARGET_FREE and start[2] / scale >= TARGET_LARGEST and r.get("data")
        ok_all = ok_all and ok
        extra = "" if r.get("data") and r.get("data_after") else "; the source's data did not show"
        if web:
            extra += "; %d requests, %d failed" % (r.get("requests", 0), r.get("failed", 0))
        cells = [_fmt(n, scale) for n in (start[1], start[2], last[1], last[2], worst[2])]
        print("%-18s %-12s %-12s %-12s %-12s %-13s %s%s" % tuple([label] + cells + ["met" if ok else "MISSED", extra]))
        for e in r.get("errors") or []:
            print("%-18s %s" % ("", e))
    print("every configuration meets the target" if ok_all else "some configuration misses the target")
    return 0


def _safe(fn, kind, web, *args):
    try:
        return fn(kind, web, *args)
    except Exception as e:
        return {"kind": kind, "web": web, "error": "%s: %s" % (type(e).__name__, e)}


if __name__ == "__main__":  # only the heap part of `p1gen bench runtime`
    import argparse

    parser = argparse.ArgumentParser(prog="python -m p1host.bench.heapfrag")
    parser.add_argument("--minutes", type=float, default=1.0)
    raise SystemExit(main(parser.parse_args().minutes))
