"""HomeWizard Wi-Fi P1 meter, local API v1: ``GET /api/v1/data`` over plain HTTP.

One short HTTP/1.1 request per poll on asyncio streams (microdot is a server;
the board has no async HTTP client worth its heap for one GET), the whole
exchange under one timeout. Fields may be missing: what is absent stays unknown.
HomeWizard asks for at most one request per 500 ms.
"""
import json

from p1gen import context as q
from p1gen.sources import Source as _Source, net, network_options

OPTIONS = network_options(80, 1000, 500)

_MAX_BODY = 4096
_PHASES = ("l1", "l2", "l3")


class HttpError(Exception):
    pass


async def get(host, port, path, timeout_ms):
    """(status, body bytes) of one GET; NetError on network trouble."""
    reader, writer = await net.connect(host, port, timeout_ms)
    try:
        return await net.within(_exchange(reader, writer, host, path), timeout_ms)
    except Exception as e:
        raise net.NetError("%s:%d %s" % (host, port, net.describe(e)))
    finally:
        net.close(writer)


async def _exchange(reader, writer, host, path):
    writer.write(("GET %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\nConnection: close\r\n\r\n" % (
        path, host)).encode())
    await writer.drain()
    status_line = await reader.readline()
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise ValueError("not an HTTP answer: %r" % status_line[:40])
    status = int(parts[1])
    length = None
    chunked = False
    while True:
        line = await reader.readline()
        if not line:
            raise EOFError()
        if line in (b"\r\n", b"\n"):
            break
        name = line[:line.find(b":") + 1].lower()
        if name == b"content-length:":
            length = int(line[15:].strip())
        elif name == b"transfer-encoding:" and b"chunked" in line.lower():
            chunked = True
    if chunked:
        return status, await _read_chunked(reader)
    if length is not None:
        if length > _MAX_BODY:
            raise ValueError("answer too long (%d bytes)" % length)
        return status, await reader.readexactly(length)
    body = b""
    while len(body) < _MAX_BODY:
        part = await reader.read(_MAX_BODY - len(body))
        if not part:
            break
        body += part
    return status, body


async def _read_chunked(reader):
    body = b""
    while True:
        size = int((await reader.readline()).split(b";")[0].strip(), 16)
        if size == 0:
            return body
        if len(body) + size > _MAX_BODY:
            raise ValueError("answer too long")
        body += await reader.readexactly(size)
        await reader.readexactly(2)


def _num(data, key):
    v = data.get(key)
    if type(v) is bool or type(v) not in (int, float) or not -1e12 < v < 1e12:  # NaN and infinity too
        return None
    return v


def _scaled(data, key, factor):
    v = _num(data, key)
    return None if v is None else int(round(v * factor))


class Source(_Source):
    KIND = "homewizard"

    async def _read(self, context, now):
        s = self.settings
        status, body = await get(s["host"], s["port"], "/api/v1/data", s["timeout_ms"])
        if status == 403:
            raise HttpError("access refused (HTTP 403): enable the local API in the HomeWizard app")
        if status != 200:
            raise HttpError("HTTP %d from /api/v1/data" % status)
        try:
            data = json.loads(body)
        except ValueError:
            raise HttpError("invalid JSON from /api/v1/data: %r" % body[:40])
        if type(data) is not dict:
            raise HttpError("unexpected JSON from /api/v1/data: not an object")
        self.fill(context, data, now)

    def fill(self, context, data, now):
        origin = self.name
        watts = [_scaled(data, "active_power_%s_w" % p, 1) for p in _PHASES]
        amps = [_scaled(data, "active_current_%s_a" % p, 1000) for p in _PHASES]
        volts = [_scaled(data, "active_voltage_%s_v" % p, 10) for p in _PHASES]
        total = _scaled(data, "active_power_w", 1)
        single = watts[1] is None and watts[2] is None and amps[1] is None and amps[2] is None and \
            volts[1] is None and volts[2] is None and (watts[0] is not None or amps[0] is not None)
        if single:  # a single-phase meter: L2 and L3 carry nothing, L1 everything
            watts[1] = watts[2] = amps[1] = amps[2] = 0
            if watts[0] is None:
                watts[0] = total
        if total is None:
            total = _sum(watts)
        if total is None:
            raise HttpError("no active_power_w in /api/v1/data")
        context.info["phases"] = 1 if single else 3
        for i in range(3):  # HomeWizard currents have no sign: the power's, else import (the safe side)
            a, p = amps[i], watts[i]
            if a is not None:
                amps[i] = -abs(a) if p is not None and p < 0 else abs(a)
        context.set(q.GRID_W, total, origin, now)
        context.set(q.GRID_PHASE_W, watts, origin, now)
        context.set(q.GRID_PHASE_MA, amps, origin, now)
        context.set(q.VOLTAGE_DV, volts, origin, now)
        context.set(q.GRID_IMPORT_WH, _scaled(data, "total_power_import_kwh", 1000), origin, now)
        context.set(q.GRID_EXPORT_WH, _scaled(data, "total_power_export_kwh", 1000), origin, now)


def _sum(values):
    total = 0
    for v in values:
        if v is None:
            return None
        total += v
    return total
