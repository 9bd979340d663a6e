"""`p1gen bench runtime`: how steady the firmware's telegrams are, under MicroPython.

The unmodified firmware runs under the unix port (p1host.runner) against an
energy source simulator; dsmr_parser reads every telegram off the pty and the
period between arrivals is measured. Printed: period p50 / p99 / max in ms
quietly, while the source is down, hangs and is slow, and while the web API
takes a steady stream of requests; then the heap's fragmentation per
configuration (p1host.bench.heapfrag: every source kind, web on and off, at the
heap that matches a Pico W) after start-up and after a run of faults and web
load (default 10 minutes; ``--quick``: 1). It prints figures, never asserts;
tests/runtime uses the same Installation and WebLoad and asserts.
"""
import http.client
import json
import os
import threading
import time

from p1host import runner
from p1host.sim.site import SiteState
from p1host.webapi import get_json

STALE_S = 4  # a short stale timeout, so failsafe phases stay short


def import_site():
    """A site that imports on every phase (so every reported current means something)."""
    site = SiteState()
    site.pv_w = 1200
    site.house_phase_w = [2300, 1700, 2900]
    return site


def simulator(kind, site, port):
    """The simulator of a source kind (the p1 meter writes a pty; port is then unused)."""
    if kind == "p1":
        from p1host.sim import p1meter

        return p1meter.simulator(site)
    from p1host.sim import homewizard, sma, solaredge

    return {"sma": sma, "solaredge": solaredge, "homewizard": homewizard}[kind].simulator(site, port=port)


class Installation:
    """Site + source simulator + firmware + a dsmr_parser reader on its P1 line."""

    def __init__(self, kind="sma", policy="full", site=None, heapsize=runner.PICO_W_HEAP, stale_s=STALE_S,
                 web=True, env=None):
        self.kind = kind
        self.site = site or import_site()
        self.port = runner.free_port()
        self.sim = simulator(kind, self.site, self.port)
        self.meter_fd = None
        if kind == "p1":  # the firmware reads the meter's pty through an inherited fd, as from a UART
            self.meter_fd = self.sim.reader_fd()
            source = {"kind": "p1", "device": "fd:%d" % self.meter_fd, "timeout_ms": 3000}
        else:
            source = {"kind": kind, "host": "127.0.0.1", "port": self.port, "timeout_ms": 1500, "poll_ms": 1000}
        self.config = {"control": {"policy": policy, "stale_s": stale_s}, "source": source}
        if not web:
            self.config["web"] = {"enabled": False}
        self.heapsize = heapsize
        self.env = env
        self.events = []  # (time.monotonic(), label)
        self.fw = self.reader = None

    def start(self):
        """Start everything; returns once telegrams flow and the web API answers."""
        self.sim.start()
        try:
            self.fw = runner.start(self.config, heapsize=self.heapsize, env=self.env,
                                   pass_fds=() if self.meter_fd is None else (self.meter_fd,))
            self.reader = self.fw.reader()
            self.reader.wait(1, timeout=30)
            deadline = time.monotonic() + 20
            while self.fw.http_port:
                try:
                    self.status(timeout=2)
                    break
                except (OSError, RuntimeError):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        if self.reader is not None:
            self.reader.stop()
        if self.fw is not None:
            self.fw.stop()
        self.sim.fault = None
        self.sim.stop()
        if self.meter_fd is not None:
            os.close(self.meter_fd)
            self.meter_fd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def mark(self, label):
        self.events.append((time.monotonic(), label))

    def source_down(self):
        self.mark("down")
        if self.kind == "p1":  # a meter's pty stays open: the meter goes silent
            self.sim.fault = "silent"
        else:
            self.sim.stop()

    def source_up(self):
        if self.kind == "p1":
            self.sim.fault = None
        else:
            self.sim.start()
        self.mark("up")

    def fault(self, name, slow_ms=None):
        if slow_ms is not None:
            self.sim.slow_ms = slow_ms
        self.sim.fault = name
        self.mark(name or "normal")

    def real_import_ma(self):
        with self.site.lock:
            return [max(0, ma) for ma in self.site.grid_phase_ma()]

    def status(self, timeout=5):
        return get_json(self.fw.http_port, "/api/status", timeout)


class WebLoad:
    """A bounded loop of requests to the web API in a thread: status and history reads, a few
    refused writes; every 5 s a status whose free heap (after a collection) is kept."""

    def __init__(self, port, rate_per_s=10, max_requests=100000):
        self.port = port
        self.interval = 1.0 / rate_per_s
        self.max_requests = max_requests
        self.requests = self.failures = 0
        self.errors = []
        self.heap = []  # (time.monotonic(), free heap in bytes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="web-load")

    def start(self):
        self._thread.start()
        return self

    def _one(self, i):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            if i % 10 == 9:  # a write without a password: refused, and nothing changes
                conn.request("POST", "/api/config", body=b'{"control": {"fuse_a": 40}}',
                             headers={"Content-Type": "application/json"})
                expect = (401, 403)
            elif i % 10 == 5:
                conn.request("GET", "/api/history")
                expect = (200,)
            else:
                conn.request("GET", "/api/status")
                expect = (200,)
            resp = conn.getresponse()
            body = resp.read()
            if resp.status not in expect:
                raise RuntimeError("HTTP %d" % resp.status)
            return json.loads(body) if i % 10 not in (5, 9) else None
        finally:
            conn.close()

    def _run(self):
        last_heap = 0.0
        i = 0
        while not self._stop.is_set() and i < self.max_requests:
            started = time.monotonic()
            try:
                status = self._one(i)
                if status is not None and started - last_heap >= 5:
                    self.heap.append((started, status["free_heap"]))
                    last_heap = started
            except Exception as e:
                self.failures += 1
                if len(self.errors) < 20:
                    self.errors.append("%s: %s" % (type(e).__name__, e))
            self.requests += 1
            i += 1
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def stop(self):
        self._stop.set()
        self._thread.join(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def periods_ms(telegrams, since=None, until=None):
    """Milliseconds between consecutive arrivals, for telegrams that arrived in [since, until)."""
    times = [t for t, _, _, _ in telegrams if (since is None or t >= since) and (until is None or t < until)]
    return [(b - a) * 1000 for a, b in zip(times, times[1:])]


def percentiles(values):
    """(p50, p99, max) of values, or (None, None, None) when there are none."""
    if not values:
        return None, None, None
    ordered = sorted(values)

    def at(q):
        return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]

    return at(0.5), at(0.99), ordered[-1]


def fault_cycle(inst, seconds_each):
    """The source is down, back, hangs, answers, is slow (under its timeout), answers;
    a p1 meter: silent, back, bad CRCs, good, half telegrams, good."""
    if inst.kind == "p1":
        faults = (("crc", None), ("half", None))
    else:
        faults = (("hang", None), ("slow", 1200))
    steps = [inst.source_down, inst.source_up]
    for name, slow_ms in faults:
        steps.append(lambda name=name, slow_ms=slow_ms: inst.fault(name, slow_ms=slow_ms))
        steps.append(lambda: inst.fault(None))
    for act in steps:
        act()
        time.sleep(seconds_each)


def _row(label, values, extra=""):
    p50, p99, top = percentiles(values)
    if p50 is None:
        print("%-34s %6s" % (label, "no data"))
        return
    print("%-34s %6d %8.1f %8.1f %8.1f  %s" % (label, len(values), p50, p99, top, extra))


def add_arguments(parser):
    parser.add_argument("--minutes", type=float, help="length of the heap runs (default 10, --quick 1)")
    parser.add_argument("--source", default="sma", choices=("sma", "solaredge", "homewizard", "p1"),
                        help="simulated energy source of the cadence run")


def main(args):
    quick = getattr(args, "quick", False)
    minutes = getattr(args, "minutes", None) or (1 if quick else 10)
    kind = getattr(args, "source", None) or "sma"
    phase_s = 20 if quick else 60
    print("p1gen bench runtime: firmware under MicroPython (-X heapsize=%s, see docs/heap.md), source %s"
          % (runner.PICO_W_HEAP, kind))
    print("telegram period measured by dsmr_parser on the pty, ms (nominal 1000)")
    print("%-34s %6s %8s %8s %8s" % ("phase", "n", "p50", "p99", "max"))
    with Installation(kind) as inst:
        time.sleep(3)
        t0 = time.monotonic()
        time.sleep(phase_s)
        t1 = time.monotonic()
        _row("quiet", periods_ms(inst.reader.telegrams, t0, t1))
        fault_cycle(inst, phase_s / 6)
        t2 = time.monotonic()
        _row("source down / hangs / slow", periods_ms(inst.reader.telegrams, t1, t2))
        with WebLoad(inst.fw.http_port) as load:
            time.sleep(phase_s)
        t3 = time.monotonic()
        _row("web API load (%d req, %d failed)" % (load.requests, load.failures),
             periods_ms(inst.reader.telegrams, t2, t3))
        with WebLoad(inst.fw.http_port) as load:
            fault_cycle(inst, phase_s / 6)
        t4 = time.monotonic()
        _row("faults + web load", periods_ms(inst.reader.telegrams, t3, t4))
        bad = sum(1 for _, _, _, e in inst.reader.telegrams if e)
        st = inst.status()
        print("telegrams %d, CRC or parse failures %d; firmware: late max %d ms, skipped %d"
              % (len(inst.reader.telegrams), bad, st["telegram"]["late_max_ms"], st["telegram"]["skipped"]))
    from p1host.bench import heapfrag

    heapfrag.main(minutes)
    return 0


def run_cli(argv=None):
    import argparse

    parser = argparse.ArgumentParser(prog="p1gen bench runtime")
    parser.add_argument("--quick", action="store_true")
    add_arguments(parser)
    return main(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(run_cli())
