"""`p1gen demo`: the whole installation simulated, live (the README's main command).

    inverter simulator (pymodbus, loopback)  <-  p1gen firmware under MicroPython  ->  pty
        ^  site: sun, house, battery                                                   |
        |                                                                              v
        +----------- the car draws what the charge point allows  <-  charge point reads the telegrams

The site (sim/site.py) is driven by a small scenario (sim/scenario.py); the
source simulator publishes it over Modbus/TCP or HTTP; the unmodified firmware
runs under the MicroPython unix port (p1host.runner) and writes P1 telegrams to
a pty; the charge point model (sim/chargepoint.py) reads each one with
dsmr_parser (CRC checked) and sets the car's limit; the car (sim/car.py) draws
and the site's grid follows. A table shows it every second, and the board's
own status page is served on loopback.
"""
import time
import types

from p1gen.policy import NAMES as POLICIES
from p1host import runner
from p1host.errors import CommandError
from p1host.sim.scenario import SCENARIOS as SITE_SCENARIOS
from p1host.webapi import get_json

SCENARIOS = SITE_SCENARIOS + ("outage",)
SOURCES = ("sma", "solaredge", "homewizard")  # the network sources the demo can simulate
PASSWORD = "demo"


def add_arguments(parser):
    parser.add_argument("--duration", type=float, default=0, help="stop after this many seconds (default: Ctrl-C)")
    parser.add_argument("--scenario", default="sunny", choices=SCENARIOS,
                        help="what the sun and the house do (outage: sunny, and the inverter drops off the "
                             "network for 40 s after a minute)")
    parser.add_argument("--policy", default="solar", choices=POLICIES, help="the firmware's policy (default solar)")
    parser.add_argument("--source", default="sma", choices=SOURCES, help="the simulated energy source")
    parser.add_argument("--speed", type=float, default=10.0, help="scenario time per real time (default 10)")
    parser.add_argument("--start-hour", type=float, default=11.0, help="time of day the scenario starts at")
    parser.add_argument("--rated-w", type=int, default=10000, help="inverter rated power, W (default 10000)")


class Demo:
    """Everything running; ``tick(t)`` moves the charge point and the car one second on."""

    def __init__(self, args):
        from p1host.sim import scenario as scenarios, serve
        from p1host.sim.car import Car
        from p1host.sim.chargepoint import ChargePoint
        from p1host.sim.site import SiteState

        self.args = args
        self.site = SiteState()
        self.site.rated_w = args.rated_w
        name = "sunny" if args.scenario == "outage" else args.scenario
        self.scenario = scenarios.Scenario(self.site, name, start_hour=args.start_hour, speed=args.speed)
        port = runner.free_port()
        self.sim = serve.build(types.SimpleNamespace(kind=args.source, host="127.0.0.1", port=port, unit=None,
                                                     no_meter=False), self.site)
        self.config = {
            "control": {"policy": args.policy, "fuse_a": 25, "start_delay_s": 15, "stop_delay_s": 120,
                        "smoothing_s": 15},  # quicker than the defaults, so the demo shows a start soon
            "source": {"kind": args.source, "host": "127.0.0.1", "port": port},
            "web": {"password": PASSWORD},
        }
        if args.source == "sma":
            self.config["source"]["poll_ms"] = 1000
        self.chargepoint = ChargePoint(fuse_a=25, min_a=6, max_a=16, reaction_s=2, restart_s=10)
        self.car = Car(max_a=16, phases=3, soc=40)
        self.fw = self.reader = None
        self._seen = 0
        self.crc_failures = 0
        self.ev_wh = self.pv_wh_to_ev = 0.0

    def start(self):
        self.scenario.start()
        self.sim.start()
        self.fw = runner.start(self.config)
        self.reader = self.fw.reader()
        return self

    def stop(self):
        for part in (self.reader, self.fw):
            if part is not None:
                part.stop()
        self.scenario.stop()
        self.sim.fault = None
        self.sim.stop()

    def tick(self, t):
        """Feed new telegrams to the charge point, step it and the car; returns the last reported currents."""
        telegrams = self.reader.telegrams
        while self._seen < len(telegrams):
            _, text, parsed, error = telegrams[self._seen]
            self._seen += 1
            if error:
                self.crc_failures += 1
                continue
            self.chargepoint.read_telegram(t, text.encode("ascii"))
        signal = self.chargepoint.step(t, self.car.ma)
        ev = self.car.step(t, signal)
        with self.site.lock:
            self.site.ev_phase_ma = list(ev)
            ev_w = self.car.power_w()
            surplus = max(0, self.site.pv_w - sum(self.site.house_phase_w))
        self.ev_wh += ev_w / 3600
        self.pv_wh_to_ev += min(ev_w, surplus) / 3600
        return self.chargepoint.seen[-1] if self.chargepoint.seen else None

    def status(self):
        try:
            return get_json(self.fw.http_port, "/api/status", timeout=2)
        except Exception:
            return None


HEADER = "%6s %7s %7s %8s  %-17s %6s %-9s %-9s %s" % (
    "time", "PV W", "house W", "grid W", "reported A L1-3", "car A", "policy", "state", "source")


def row(demo, t, seen, status):
    site = demo.site
    with site.lock:
        pv, house, grid = site.pv_w, sum(site.house_phase_w), site.grid_w()
    reported = "-" if seen is None else "/".join("%.1f" % (ma / 1000) for ma in seen)
    policy = state = source = "?"
    if status:
        control = status.get("control", {})
        policy = control.get("policy", "?")
        state = "FAILSAFE" if control.get("failsafe") else control.get("state", "?")
        source = status["source"]["health"]
        if status["source"].get("last_error") and source != "ok":
            source += ": " + status["source"]["last_error"][:40]
    return "%6s %7d %7d %8d  %-17s %6.1f %-9s %-9s %s" % (
        "%d:%02d" % (t // 60, t % 60), pv, house, grid, reported, demo.car.ma / 1000, policy, state, source)


def run(args):
    demo = Demo(args)
    try:
        demo.start()
    except OSError as e:
        demo.stop()
        raise CommandError("could not start the simulation: %s" % e)
    print("p1gen demo: scenario %s, policy %s, %s simulator on 127.0.0.1:%d, firmware under MicroPython"
          % (args.scenario, args.policy, args.source, demo.sim.port))
    if demo.fw.http_port:
        print("status page: %s  (password: %s)" % (demo.fw.url("/"), PASSWORD))
    print("P1 line (pty): %s   firmware log: %s" % (demo.fw.uart_path, demo.fw.log_path))
    print("Ctrl-C to stop" if not args.duration else "running for %.0f s" % args.duration)
    started = time.monotonic()
    t = 0
    try:
        while not args.duration or t < args.duration:
            if not demo.fw.alive():
                raise CommandError("the firmware stopped:\n" + demo.fw.log()[-2000:])
            if args.scenario == "outage" and t == 60:
                demo.sim.stop()
            if args.scenario == "outage" and t == 100:
                demo.sim.start()
            seen = demo.tick(t)
            if t % 20 == 0:
                print(HEADER)
            print(row(demo, t, seen, demo.status()), flush=True)
            t += 1
            time.sleep(max(0.0, started + t - time.monotonic()))
    except KeyboardInterrupt:
        print()
    finally:
        telegrams = len(demo.reader.telegrams) if demo.reader else 0
        demo.stop()
    share = 100 * demo.pv_wh_to_ev / demo.ev_wh if demo.ev_wh else 0
    print("%d telegrams read by dsmr_parser, %d CRC failures; car charged %.0f Wh, %.0f %% from the sun; "
          "charge point paused %d times" % (telegrams, demo.crc_failures, demo.ev_wh, share, demo.chargepoint.pauses))
    return 0
