"""`p1gen bench web`: the on-board web server under the MicroPython unix port (the unmodified
firmware, compiled as for a board, heap scaled to a Pico W's): request latency per endpoint,
requests per second, and the telegram period on the P1 line, idle and while one client
requests as fast as it can. Prints; never asserts."""
import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request

from p1host import paths, runner, webapi
from p1host.sim.homewizard import HomeWizardSim
from p1host.sim.site import SiteState

PASSWORD = "bench-password"
ENDPOINTS = (("GET", "/api/status", None), ("GET", "/api/history", None), ("GET", "/", None),
             ("GET", "/api/config", None), ("PUT", "/api/policy", {"policy": "full"}))


def board_side_figures():
    """mp_web.py under the unix port: a full history answer, one sample, one password check.
    A large heap there, so the garbage one answer leaves can be counted with the GC off."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mp_web.py")
    proc = subprocess.run([paths.tool("micropython"), "-X", "heapsize=2m", script],
                          env=dict(os.environ, MICROPYPATH=paths.micropython_path()),
                          capture_output=True, text=True, timeout=300, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _pct(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def _call(base, method, path, body, cookie):
    data = None if body is None else json.dumps(body).encode()
    headers = {"Cookie": cookie}
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    return (time.perf_counter() - t0) * 1000, status


def _periods(reader, t0, t1):
    times = [t for t, _, parsed, _ in reader.telegrams if t0 <= t <= t1 and parsed is not None]
    return [(b - a) * 1000 for a, b in zip(times, times[1:])]


def _heap(base, cookie):
    return webapi.get(base + "/api/status", 10)["free_heap"]


def main(args):
    phase_s = 8 if args.quick else 30
    site = SiteState()
    site.house_phase_w = [690, 690, 690]
    sim = HomeWizardSim(site, port=runner.free_port()).start()
    config = {"web": {"password": PASSWORD}, "control": {"policy": "full"},
              "source": {"kind": "homewizard", "host": "127.0.0.1", "port": sim.port, "poll_ms": 1000}}
    try:
        with runner.start(config) as fw:
            base = fw.url("")
            deadline = time.monotonic() + 30
            while True:
                try:
                    webapi.get(base + "/api/session", 2)
                    break
                except webapi.WebError:
                    if time.monotonic() > deadline:
                        print("the firmware's web server did not come up:\n" + fw.log())
                        return 1
                    time.sleep(0.3)
            cookie = webapi.call(base + "/api/login", {"password": PASSWORD}, 10)[1]["Set-Cookie"].split(";")[0]
            with fw.reader() as p1:
                p1.wait(2, 15)
                t0 = time.monotonic()
                time.sleep(phase_s)
                t1 = time.monotonic()
                idle = _periods(p1, t0, t1)
                heap_idle = _heap(base, cookie)

                latencies = {path: [] for _, path, _ in ENDPOINTS}
                failures = []
                heaps = []
                stop = threading.Event()

                def hammer():
                    i = 0
                    while not stop.is_set():
                        method, path, body = ENDPOINTS[i % len(ENDPOINTS)]
                        ms, status = _call(base, method, path, body, cookie)
                        (latencies[path] if status == 200 else failures).append(ms if status == 200 else status)
                        i += 1
                        if i % 50 == 0:
                            heaps.append(_heap(base, cookie))

                worker = threading.Thread(target=hammer, daemon=True)
                t2 = time.monotonic()
                worker.start()
                time.sleep(phase_s)
                stop.set()
                worker.join(15)
                t3 = time.monotonic()
                loaded = _periods(p1, t2, t3)
            late_max = webapi.get(base + "/api/status", 10)["telegram"]["late_max_ms"]
    finally:
        sim.stop()

    total = sum(len(v) for v in latencies.values())
    print("web server on the MicroPython unix port (heap %s, as p1host.runner), %d s per phase" % (
        runner.PICO_W_HEAP, phase_s))
    print("%-14s %8s %9s %9s %9s" % ("endpoint", "requests", "p50 ms", "p99 ms", "max ms"))
    for _, path, _ in ENDPOINTS:
        v = latencies[path]
        print("%-14s %8d %9.1f %9.1f %9.1f" % (path, len(v), _pct(v, 50), _pct(v, 99), max(v) if v else float("nan")))
    print("requests per second (one client, sequential): %.1f; non-200 answers: %d" % (total / (t3 - t2), len(failures)))
    print("%-22s %9s %9s %9s %9s" % ("telegram period", "count", "p50 ms", "p99 ms", "max ms"))
    for name, v in (("idle", idle), ("under request load", loaded)):
        print("%-22s %9d %9.0f %9.0f %9.0f" % (name, len(v), _pct(v, 50), _pct(v, 99), max(v) if v else float("nan")))
    print("firmware's own worst telegram lateness: %d ms" % late_max)
    print("free heap: idle %d B; under load min %d B, last %d B" % (
        heap_idle, min(heaps) if heaps else -1, heaps[-1] if heaps else -1))
    mp = board_side_figures()
    print("board side (MicroPython unix port): full last-hour answer %d B in %d pieces (largest %d B), "
          "%d us, %d B of garbage; one sample %d us; one password check %d us" % (
              mp["history_bytes"], mp["history_chunks"], mp["history_biggest"], mp["history_us"],
              mp["history_alloc"], mp["sample_us"], mp["check_us"]))
    print("brake: 1000 wrong passwords at 10 ms intervals: %d compared, heap kept %d B" % (
        mp["brake_failures"], mp["brake_growth"]))
    return 0
