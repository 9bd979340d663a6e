"""`p1gen simulate`: one day of the closed loop (real PV, house, charge point, car) around the
firmware's own controller or a baseline; prints a summary, optionally writes a PNG."""
import time

from p1host.errors import CommandError
from p1host.sim import loop, suite
from p1host.sim.controllers import OTHERS, OURS, make
from p1host.sim.plot import plot


def add_arguments(parser):
    parser.add_argument("--day", default="pay-17", help="one of: %s (default pay-17)" % ", ".join(suite.names()))
    parser.add_argument("--policy", default="solar", help="our policy, a baseline (evcc, smartevse, original, "
                        "script2min) or oracle (default solar)")
    parser.add_argument("--exact", action="store_true",
                        help="the charge point parses every telegram with dsmr_parser (slower)")
    parser.add_argument("--png", help="write a plot of the day to this path")


def run(args):
    try:
        sc = suite.scenario(args.day)
    except ValueError as e:
        raise CommandError(str(e))
    if args.policy not in OURS + OTHERS:
        raise CommandError("unknown policy %r (known: %s)" % (args.policy, ", ".join(OURS + OTHERS)))
    started = time.time()
    r = loop.run(sc, make(args.policy, sc.control_settings(), sc.resolution_ma()), exact=args.exact)
    print("%s on %s (%s, %d-phase car%s), %s mode, %.1f s" % (
        args.policy, args.day, sc.kind, sc.car.get("phases", 3), ", home battery" if sc.battery else "",
        "exact" if args.exact else "fast", time.time() - started))
    print("EV energy %.1f kWh, %.1f %% from solar, grid import while charging %.2f kWh" % (
        r.ev_wh / 1000, 100 * r.solar_share, r.import_charging_wh / 1000))
    print("charger starts %d, seconds over the fuse %d" % (r.starts, r.over_fuse_s))
    if r.est_n:
        print("car-current estimate error: rms %.2f A, max %.1f A" % (r.est_rms_ma / 1000, r.est_max_ma / 1000))
    if args.png:
        print("plot: %s" % plot(args.png, args.day, args.policy))
    return 0
