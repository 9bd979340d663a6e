"""`p1gen discover`: find inverters and P1 dongles on the local network.

The scan is the firmware's own (p1gen.sources.discover), run here on CPython's
asyncio: SMA and SunSpec devices on Modbus/TCP 502 and 1502, HomeWizard by
``GET /api``. It prints what it found and the source settings to use.
"""
import asyncio
import json
import socket

from p1gen.sources import discover
from p1gen.sources.net import is_ipv4
from p1host.errors import CommandError


def add_arguments(parser):
    parser.add_argument("--prefix", help="scan PREFIX.1-254 (default: this computer's own /24)")
    parser.add_argument("--hosts", help="scan these addresses instead: a comma list, ranges as 127.0.0.2-9")
    parser.add_argument("--modbus-ports", default="502,1502", help="Modbus/TCP ports to try (default 502,1502)")
    parser.add_argument("--http-port", type=int, default=discover.HTTP_PORT, help="HomeWizard HTTP port (default 80)")
    parser.add_argument("--kind", action="append", choices=("sma", "solaredge", "homewizard"),
                        help="look only for this kind (repeatable)")
    parser.add_argument("--timeout-ms", type=int, default=discover.TIMEOUT_MS, help="per probe (default 400)")
    parser.add_argument("--concurrency", type=int, default=32, help="probes at once (default 32)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def expand_hosts(text):
    """'127.0.0.2-4,127.0.0.9' -> ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.9']."""
    hosts = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        base, dash, last = part.rpartition("-")
        if dash:
            prefix, _, first = base.rpartition(".")
            if not (is_ipv4(base) and last.isdigit() and int(first) <= int(last) <= 255):
                raise CommandError("--hosts: %r is not a range like 192.168.1.10-20" % part)
            hosts.extend("%s.%d" % (prefix, i) for i in range(int(first), int(last) + 1))
        elif is_ipv4(part):
            hosts.append(part)
        else:
            raise CommandError("--hosts: %r is not an IPv4 address" % part)
    return hosts


def own_prefix():
    """This computer's /24 on its default route (a UDP connect sends no packet)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            address = s.getsockname()[0]
        except OSError as e:
            raise CommandError("cannot tell this computer's address (%s): give --prefix" % e)
    return address.rsplit(".", 1)[0]


def settings_for(found):
    out = {"kind": found["kind"], "host": found["host"], "port": found["port"]}
    if "unit" in found and found["kind"] == "sma":
        out["unit"] = found["unit"]
    return out


def run(args):
    if args.hosts:
        hosts = expand_hosts(args.hosts)
    else:
        prefix = args.prefix or own_prefix()
        if not is_ipv4(prefix + ".1"):
            raise CommandError("--prefix: %r is not like 192.168.1" % prefix)
        hosts = discover.subnet(prefix)
    try:
        ports = tuple(int(p) for p in args.modbus_ports.split(",") if p.strip())
    except ValueError:
        raise CommandError("--modbus-ports: %r is not a comma list of ports" % args.modbus_ports)
    found = asyncio.run(discover.scan(hosts, ports, args.http_port, tuple(args.kind) if args.kind else None,
                                      args.concurrency, args.timeout_ms))
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    if not found:
        print("nothing found on %d addresses" % len(hosts))
        return 0
    for item in found:
        extra = ", ".join("%s %s" % (k, item[k]) for k in sorted(item) if k not in ("kind", "host", "port"))
        print("%-10s %s:%d  %s" % (item["kind"], item["host"], item["port"], extra))
        print("           config: \"source\": %s" % json.dumps(settings_for(item)))
    return 0
