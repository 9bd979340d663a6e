"""Find inverters and P1 dongles on the local /24: runs on the board and on the host.

Modbus/TCP on 502 and 1502: SMA answers unit 3 with a device class at 30051,
SolarEdge (and any SunSpec device) has "SunS" at 40000 on unit 1. HomeWizard
answers ``GET /api`` with its product type. A few probes run at once, each under
a short timeout, and every step awaits, so the telegram task keeps its second.
"""
import json

from p1gen.sources import net
from p1gen.sources.homewizard import get
from p1gen.sources.modbus import Client, ModbusError, u32
from p1gen.sources.solaredge import SUNS, SUNSPEC_BASE

MODBUS_PORTS = (502, 1502)
HTTP_PORT = 80
TIMEOUT_MS = 400
CONCURRENCY = 8


def local_prefix():
    """The first three parts of the board's IPv4 address ("192.168.1")."""
    address = None
    try:
        address = __import__("board").wifi.address()
    except Exception:
        try:
            import network

            address = network.WLAN(network.STA_IF).ifconfig()[0]
        except Exception:
            pass
    if not isinstance(address, str) or not net.is_ipv4(address):
        return None
    return address.rsplit(".", 1)[0]


def subnet(prefix):
    """Every host address of prefix.0/24."""
    return ["%s.%d" % (prefix, i) for i in range(1, 255)]


async def probe_modbus(host, port, timeout_ms=TIMEOUT_MS):
    """{"kind", "host", "port", "unit", ...} for an SMA or SunSpec device at host:port, else None."""
    client = Client(host, port, 3, timeout_ms, timeout_ms)
    try:
        try:
            cls = u32(await client.read(30051, 2), 0)
            if cls is not None and 8000 <= cls < 9000:
                return {"kind": "sma", "host": host, "port": port, "unit": 3, "device_class": cls}
        except ModbusError:
            pass
        client.unit = 1
        try:
            if await client.read(SUNSPEC_BASE, 2) == SUNS:
                return {"kind": "solaredge", "host": host, "port": port, "unit": 1}
        except ModbusError:
            pass
    except net.NetError:
        pass
    finally:
        client.close()
    return None


async def probe_homewizard(host, port=HTTP_PORT, timeout_ms=TIMEOUT_MS):
    try:
        status, body = await get(host, port, "/api", timeout_ms)
        if status != 200:
            return None
        info = json.loads(body)
    except (net.NetError, ValueError):
        return None
    if type(info) is not dict or "api_version" not in info:
        return None
    product = info.get("product_type", "")
    return {"kind": "homewizard", "host": host, "port": port, "product": product,
            "serial": info.get("serial", "")}


async def scan(hosts, modbus_ports=MODBUS_PORTS, http_port=HTTP_PORT, kinds=None,
               concurrency=CONCURRENCY, timeout_ms=TIMEOUT_MS, first=False):
    """Every device found on ``hosts``, as dicts, in host order.

    kinds limits what is looked for ("sma", "solaredge", "homewizard"); first
    stops at the first find; http_port 0 skips HomeWizard. At most ``concurrency`` probes are open at once.
    """
    probes = []
    if kinds is None or "sma" in kinds or "solaredge" in kinds:
        probes.extend((probe_modbus, port) for port in modbus_ports)
    if http_port and (kinds is None or "homewizard" in kinds):
        probes.append((probe_homewizard, http_port))
    total = len(hosts) * len(probes)
    found = []
    state = {"next": 0}

    async def worker():
        while state["next"] < total and not (first and found):
            i = state["next"]
            state["next"] = i + 1
            probe, port = probes[i % len(probes)]
            result = await probe(hosts[i // len(probes)], port, timeout_ms)
            if result and (kinds is None or result["kind"] in kinds):
                result["order"] = i
                found.append(result)
            await net.sleep_ms(0)

    import asyncio

    await asyncio.gather(*[worker() for _ in range(min(concurrency, total))])
    found.sort(key=lambda r: r["order"])
    for r in found:
        del r["order"]
    return found


async def find(kind, settings):
    """The first device of ``kind`` on the board's /24: on the port the settings name, then the usual ones."""
    prefix = local_prefix()
    if prefix is None:
        return None
    port = settings.get("port")
    if kind == "homewizard":
        found = await scan(subnet(prefix), modbus_ports=(), http_port=port or HTTP_PORT, kinds=(kind,), first=True)
    else:
        ports = ((port,) if port else ()) + tuple(p for p in MODBUS_PORTS if p != port)  # SolarEdge: 1502, or 502
        found = await scan(subnet(prefix), modbus_ports=ports, http_port=0, kinds=(kind,), first=True)
    return found[0] if found else None
