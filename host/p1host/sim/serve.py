"""`p1gen sim-source`: run one energy source simulator on its own, driven by a small scenario.

    p1gen sim-source --kind solaredge --port 1502 --scenario cloudy --battery
    p1gen sim-source --kind p1 --link /tmp/p1meter      # a pty, linked at /tmp/p1meter
"""
import os
import time

from p1host.errors import CommandError
from p1host.sim import homewizard, modbus, p1meter, scenario, sma, solaredge
from p1host.sim.site import SiteState

KINDS = ("sma", "solaredge", "homewizard", "p1")
DEFAULT_PORTS = {"sma": 502, "solaredge": solaredge.PORT, "homewizard": 80}
FAULTS = {"sma": modbus.FAULTS, "solaredge": modbus.FAULTS, "homewizard": homewizard.FAULTS, "p1": p1meter.FAULTS}
FAULT_CHOICES = sorted(set(k for faults in FAULTS.values() for k in faults if k))


def add_arguments(parser):
    parser.add_argument("--kind", required=True, choices=KINDS, help="which device to play")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="TCP port (default: the device's own: SMA 502, SolarEdge 1502, "
                        "HomeWizard 80)")
    parser.add_argument("--unit", type=int, help="Modbus unit id (default: SMA 3, SolarEdge 1)")
    parser.add_argument("--scenario", default="sunny", choices=scenario.SCENARIOS, help="what the site does")
    parser.add_argument("--start-hour", type=float, default=12.0, help="time of day the scenario starts at")
    parser.add_argument("--speed", type=float, default=1.0, help="scenario time per real time (60: an hour a minute)")
    parser.add_argument("--phases", type=int, default=3, choices=(1, 3), help="phases of the inverter")
    parser.add_argument("--rated-w", type=int, default=5000, help="inverter rated power, W")
    parser.add_argument("--battery", action="store_true", help="the site has a home battery")
    parser.add_argument("--no-meter", action="store_true", help="SMA/SolarEdge without an energy meter (grid unknown)")
    parser.add_argument("--meters", default="grid", metavar="ROLE[,ROLE...]",
                        help="SolarEdge: its meters in order, each grid, production or consumption (default grid; "
                        "production,grid: the grid meter is meter 2)")
    parser.add_argument("--fault", choices=FAULT_CHOICES, help="misbehave from the start (for trying the firmware)")
    parser.add_argument("--link", help="p1: also make this path a symlink to the pty")
    parser.add_argument("--duration", type=float, default=0, help="stop after this many seconds (default: Ctrl-C)")


def build(args, site, meters=solaredge.GRID):
    """The simulator object args ask for, not started; ``meters``: a SolarEdge's layout."""
    port = args.port if args.port is not None else DEFAULT_PORTS.get(args.kind)
    if args.kind == "sma":
        return sma.simulator(site, args.host, port, args.unit or sma.UNIT, meter=not args.no_meter)
    if args.kind == "solaredge":
        return solaredge.simulator(site, args.host, port, args.unit or solaredge.UNIT, meter=not args.no_meter,
                                   meters=meters)
    if args.kind == "homewizard":
        return homewizard.simulator(site, args.host, port)
    return p1meter.simulator(site)


def describe(args, sim):
    if args.kind == "p1":
        return "P1 smart meter writing DSMR 5 telegrams every second to %s" % (args.link or sim.slave_path)
    unit = getattr(sim, "unit", None)
    meters = ""
    if args.kind == "solaredge" and not args.no_meter:
        meters = ", meters " + ", ".join("%d %s" % (i + 1, solaredge.ROLES[role])
                                         for i, role in enumerate(args.meters.split(",")))
    return "%s simulator on %s:%d%s%s" % (args.kind, sim.host, sim.port, "" if unit is None else " unit %d" % unit,
                                          meters)


def run(args):
    site = SiteState(phases=args.phases)
    site.rated_w = args.rated_w
    if args.battery:
        site.battery_soc = 50
    if args.fault and args.fault not in FAULTS[args.kind]:
        raise CommandError("--fault %s does not apply to %s (choose from %s)" % (
            args.fault, args.kind, ", ".join(k for k in FAULTS[args.kind] if k)))
    if args.meters != "grid" and args.kind != "solaredge":
        raise CommandError("--meters applies to solaredge only")
    try:
        meters = solaredge.layout(args.meters.split(","))
    except ValueError as e:
        raise CommandError("--meters: %s" % e)
    sim = build(args, site, meters)
    sim.fault = args.fault
    scene = scenario.Scenario(site, args.scenario, args.start_hour, args.speed).start()
    try:
        try:
            sim.start()
        except (OSError, RuntimeError) as e:
            port = getattr(sim, "port", None)
            hint = " (ports below 1024 need root: try --port %d)" % (port + 5000) if port and port < 1024 else ""
            raise CommandError("cannot start the %s simulator: %s%s" % (args.kind, e, hint))
        if args.link:
            if os.path.lexists(args.link):
                os.unlink(args.link)
            os.symlink(sim.slave_path, args.link)
        print(describe(args, sim) + "; scenario %s (Ctrl-C to stop)" % args.scenario, flush=True)
        deadline = time.monotonic() + args.duration if args.duration else None
        next_report = 0.0
        while deadline is None or time.monotonic() < deadline:
            now = time.monotonic()
            if now >= next_report:
                with site.lock:
                    print("pv %5d W  house %5d W  battery %s  grid %6d W" % (
                        site.pv_w, sum(site.house_phase_w),
                        "-" if site.battery_soc is None else "%d%% %+d W" % (site.battery_soc, site.battery_w),
                        site.grid_w()), flush=True)
                next_report = now + 10
            time.sleep(0.2)
    finally:
        scene.stop()
        sim.stop()
        if args.link and os.path.islink(args.link):
            os.unlink(args.link)
    return 0
