"""The `p1gen` command. Each subcommand is one module with ``add_arguments(parser)``
and ``run(args) -> int``, imported only when that subcommand runs."""
import argparse
import functools
import importlib
import re
import sys

from p1gen import __version__
from p1host.errors import CommandError

SIM = "sim"  # the extra the simulator commands need: pip install 'p1gen[sim]'

# (subcommand, module, one-line help, the extra it needs or None)
COMMANDS = (
    ("demo", "p1host.demo", "run the whole installation simulated, live (the README's main command)", SIM),
    ("telegram", "p1host.telegram_cmd", "print one P1 telegram exactly as the board would send it", None),
    ("sim-source", "p1host.sim.serve", "run one energy source simulator (SMA, SolarEdge, HomeWizard, P1 meter)",
     SIM),
    ("discover", "p1host.discover", "find inverters and P1 dongles on the local network", None),
    ("simulate", "p1host.sim.day", "simulate a whole day of charging in the closed loop", SIM),
    ("bench", "p1host.bench", "run a benchmark and print its figures", SIM),
    ("provision", "p1host.provision", "install the firmware and a config on a board", None),
    ("monitor", "p1host.monitor", "watch the telegrams on a P1 line", None),
    ("status", "p1host.status", "print a board's status", None),
    ("repl", "p1host.repl", "open the board's REPL", None),
)


@functools.lru_cache(maxsize=None)
def missing(extra):
    """The packages of p1gen[extra] that are not installed (none when p1gen itself is not installed)."""
    from importlib import metadata

    try:
        requirements = metadata.requires("p1gen") or ()
    except metadata.PackageNotFoundError:
        return []
    names = [re.match(r"[\w.-]+", r).group() for r in requirements if re.search(r"extra\s*==\s*.%s." % extra, r)]
    absent = []
    for name in names:
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            absent.append(name)
    return tuple(absent)


def install_hint(extra):
    """None when the extra is installed, else the one line that says what to install."""
    absent = missing(extra)
    if not absent:
        return None
    return "needs the simulator, not installed here (%s): pip install 'p1gen[%s]'" % (", ".join(absent), extra)


def build_parser(command=None):
    """The parser; only ``command``'s module is imported and asked for its arguments."""
    parser = argparse.ArgumentParser(
        prog="p1gen",
        description="p1gen: make a P1 load-balancing charge point follow the sun.",
    )
    parser.add_argument("--version", action="version", version="p1gen %s" % __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module_name, help_text, extra in COMMANDS:
        absent = missing(extra) if extra and command is None else None
        p = sub.add_parser(name, help=help_text + (" [needs pip install 'p1gen[%s]']" % extra if absent else ""),
                           description=help_text)
        if command == name:
            module = importlib.import_module(module_name)
            module.add_arguments(p)
            p.set_defaults(run=module.run)
    return parser


def command_in(argv):
    """The subcommand argv names: its first word that is not an option (p1gen's own options take no value)."""
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    command = command_in(argv)
    extra = next((e for name, _, _, e in COMMANDS if name == command), None)
    hint = install_hint(extra) if extra else None
    if hint:
        print("p1gen %s: %s" % (command, hint), file=sys.stderr)
        return 1
    args = build_parser(command).parse_args(argv)
    try:
        return args.run(args) or 0
    except CommandError as e:
        print("p1gen %s: %s" % (args.command, e), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
