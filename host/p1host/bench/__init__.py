"""`p1gen bench WHAT`: benchmarks that print figures (they never assert)."""
import importlib

SUITES = ("telegram", "sources", "control", "runtime", "web", "mqtt")


def add_arguments(parser):
    parser.add_argument("what", choices=SUITES, help="which benchmark to run")
    parser.add_argument("--quick", action="store_true", help="fewer iterations, for a smoke test")
    parser.add_argument("--sweep", action="store_true", help="control: sweep the envelope of installations")
    parser.add_argument("--cells", help="control --sweep: only these cells, comma-separated (e.g. nominal,slow-read)")
    parser.add_argument("--minutes", type=float, help="runtime: how long the heap runs last (default 10)")
    parser.add_argument("--source", choices=("sma", "solaredge", "homewizard", "p1"),
                        help="runtime: the energy source of the cadence run (default sma)")
    parser.add_argument("--cycles", type=int, help="mqtt: broker fault sequences per run (default 3)")


def run(args):
    return importlib.import_module("p1host.bench." + args.what).main(args)
