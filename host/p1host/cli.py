"""The `p1gen` command. Each subcommand is one module with ``add_arguments(parser)``
and ``run(args) -> int``; a module that is not there is left out of the list."""
import argparse
import importlib
import sys

# (subcommand, module, one-line help)
COMMANDS = (
    ("demo", "p1host.demo", "run the whole installation simulated, live (the README's main command)"),
    ("telegram", "p1host.telegram_cmd", "print one P1 telegram exactly as the board would send it"),
    ("sim-source", "p1host.sim.serve", "run one energy source simulator (SMA, SolarEdge, HomeWizard, P1 meter)"),
    ("discover", "p1host.discover", "find inverters and P1 dongles on the local network"),
    ("simulate", "p1host.sim.day", "simulate a whole day of charging in the closed loop"),
    ("bench", "p1host.bench", "run a benchmark and print its figures"),
    ("provision", "p1host.provision", "install the firmware and a config on a board"),
    ("monitor", "p1host.monitor", "watch the telegrams on a P1 line"),
    ("status", "p1host.status", "print a board's status"),
    ("repl", "p1host.repl", "open the board's REPL"),
)


class CommandError(Exception):
    """A user-facing error: printed as one line, exit status 1."""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="p1gen",
        description="p1gen: make a P1 load-balancing charge point follow the sun.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module_name, help_text in COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name == module_name:
                continue
            raise
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args) or 0
    except CommandError as e:
        print("p1gen %s: %s" % (args.command, e), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
