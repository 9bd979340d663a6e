"""`p1gen telegram`: one telegram exactly as the board would send it (CRLF kept)."""
import sys
import time
from decimal import Decimal, InvalidOperation

from p1gen import telegram
from p1gen.reading import Reading
from p1host.errors import CommandError


def _per_phase(text, option, scale):
    parts = text.split(",")
    if len(parts) == 1:
        parts = parts * 3 if option == "--voltage" else parts + ["0", "0"]
    if len(parts) != 3:
        raise CommandError("%s takes one value or three (L1,L2,L3), got %r" % (option, text))
    try:
        return [int(Decimal(p.strip()) * scale) for p in parts]
    except InvalidOperation:
        raise CommandError("%s: %r is not a list of numbers" % (option, text))


def add_arguments(parser):
    parser.add_argument("--profile", choices=sorted(telegram.PROFILES), default="csp1",
                        help="telegram layout (default: csp1)")
    parser.add_argument("--current", required=True, metavar="L1,L2,L3",
                        help="grid current per phase in A; negative means export")
    parser.add_argument("--export", metavar="L1,L2,L3", default="0,0,0",
                        help="export (feed-in) current per phase in A, netted against --current")
    parser.add_argument("--voltage", metavar="L1,L2,L3", default="230",
                        help="voltage per phase in V (default: 230)")
    parser.add_argument("--integer-amps", action="store_true",
                        help="csp1 only: whole amps, as CSP1 firmware V05 sent them")
    parser.add_argument("--time", type=int, metavar="UNIX_S",
                        help="telegram time as Unix seconds (default: now)")


def run(args):
    current = _per_phase(args.current, "--current", 1000)
    export = _per_phase(args.export, "--export", 1000)
    voltage = _per_phase(args.voltage, "--voltage", 10)
    try:
        reading = Reading(current_ma=[c - e for c, e in zip(current, export)], voltage_dv=voltage,
                          utc_s=int(time.time()) if args.time is None else args.time)
        data = telegram.build(reading, args.profile, integer_amps=args.integer_amps)
    except ValueError as e:
        raise CommandError(str(e))
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return 0
