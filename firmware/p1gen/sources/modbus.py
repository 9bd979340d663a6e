"""A small async Modbus/TCP client: read holding (FC3) and input (FC4) registers.

Written here because there is no maintained asyncio Modbus client for
MicroPython (pymodbus needs CPython; the MicroPython Modbus libraries are
blocking). It keeps one persistent connection, checks the transaction id, the
unit id and the function code of every answer, turns exception responses into
ModbusError, puts every exchange under a timeout and backs off between failed
connects so a dead inverter costs one short attempt now and then.
"""
import asyncio
import struct

from p1gen import ticks
from p1gen.sources import net

_MBAP = 7  # transaction(2) protocol(2) length(2) unit(1)
_BACKOFF_MIN_MS = 500
_BACKOFF_MAX_MS = 10000

EXCEPTION_TEXT = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "server device failure",
    5: "acknowledge",
    6: "server device busy",
    10: "gateway path unavailable",
    11: "gateway target device failed to respond",
}


class ModbusError(Exception):
    """An exception response: .code is the Modbus exception code."""

    def __init__(self, code, address):
        super().__init__("Modbus exception %d (%s) reading register %d" % (
            code, EXCEPTION_TEXT.get(code, "unknown"), address))
        self.code = code


class Client:
    def __init__(self, host, port=502, unit=1, timeout_ms=2000, connect_timeout_ms=2000):
        self.host = host
        self.port = port
        self.unit = unit
        self.timeout_ms = timeout_ms
        self.connect_timeout_ms = connect_timeout_ms
        self._reader = self._writer = None
        self._tid = 0
        self._backoff_ms = 0
        self._retry_at = None
        self._last_error = None
        self.connects = 0  # how many connections were opened (tests, bench)

    def connected(self):
        return self._writer is not None

    async def _connect(self):
        if self._retry_at is not None and ticks.diff(self._retry_at, ticks.ms()) > 0:
            raise net.NetError("%s:%d unreachable, next try in %d ms (%s)" % (
                self.host, self.port, ticks.diff(self._retry_at, ticks.ms()), self._last_error))
        try:
            self._reader, self._writer = await net.connect(self.host, self.port, self.connect_timeout_ms)
        except net.NetError as e:
            self._backoff_ms = min(_BACKOFF_MAX_MS, max(_BACKOFF_MIN_MS, self._backoff_ms * 2))
            self._retry_at = ticks.add(ticks.ms(), self._backoff_ms)
            self._last_error = str(e)
            raise
        self._backoff_ms = 0
        self._retry_at = None
        self.connects += 1

    def close(self):
        net.close(self._writer)
        self._reader = self._writer = None

    async def read(self, address, count, function=3):
        """``count`` registers from ``address`` as a list of 16-bit ints.

        Raises ModbusError for an exception response and net.NetError for
        everything else (timeouts, refused, a malformed or mismatched answer);
        after a NetError the connection is closed and the next call reconnects.
        A reused connection the server dropped while idle is reopened once.
        """
        for attempt in (1, 2):
            fresh = self._writer is None
            if fresh:
                await self._connect()
            try:
                return await net.within(self._exchange(self._reader, self._writer, address, count, function),
                                        self.timeout_ms)
            except ModbusError:
                raise
            except Exception as e:
                self.close()
                dropped = isinstance(e, (EOFError, OSError)) and not isinstance(e, asyncio.TimeoutError)
                if dropped and not fresh and attempt == 1:
                    continue
                if isinstance(e, net.NetError):
                    raise
                raise net.NetError("%s:%d %s" % (self.host, self.port, net.describe(e)))

    async def _exchange(self, reader, writer, address, count, function):
        self._tid = (self._tid + 1) & 0xFFFF
        tid = self._tid
        writer.write(struct.pack(">HHHBBHH", tid, 0, 6, self.unit, function, address, count))
        await writer.drain()
        head = await reader.readexactly(_MBAP + 1)
        r_tid, proto, length, unit, fc = struct.unpack(">HHHBB", head)
        if proto != 0 or length < 3 or length > 254:
            raise net.NetError("not a Modbus/TCP answer (protocol %d, length %d)" % (proto, length))
        body = await reader.readexactly(length - 2)
        if r_tid != tid:
            raise net.NetError("answer to transaction %d, expected %d" % (r_tid, tid))
        if unit != self.unit:
            raise net.NetError("answer from unit %d, expected %d" % (unit, self.unit))
        if fc == function | 0x80:
            raise ModbusError(body[0], address)
        if fc != function:
            raise net.NetError("answer with function %d, expected %d" % (fc, function))
        if body[0] != 2 * count or len(body) != 1 + 2 * count:
            raise net.NetError("answer holds %d bytes, expected %d" % (body[0], 2 * count))
        return list(struct.unpack(">%dH" % count, body[1:]))


# decoding; NaN markers as SMA and SunSpec define them give None

def u16(regs, i):
    v = regs[i]
    return None if v == 0xFFFF else v


def s16(regs, i):
    v = regs[i]
    if v == 0x8000:
        return None
    return v - 0x10000 if v & 0x8000 else v


def u32(regs, i):
    v = (regs[i] << 16) | regs[i + 1]
    return None if v == 0xFFFFFFFF else v


def s32(regs, i):
    v = (regs[i] << 16) | regs[i + 1]
    if v == 0x80000000:
        return None
    return v - 0x100000000 if v & 0x80000000 else v


def float32_swapped(regs, i):
    """A float32 sent low word first (SolarEdge), rounded to int; None for NaN or infinity."""
    f = struct.unpack(">f", struct.pack(">HH", regs[i + 1], regs[i]))[0]
    if f != f or f in (float("inf"), float("-inf")):
        return None
    return int(round(f))


def text(regs, i, n):
    """A string of n registers, NUL padded."""
    raw = struct.pack(">%dH" % n, *regs[i:i + n])
    end = raw.find(b"\0")
    try:
        return (raw if end < 0 else raw[:end]).decode().strip()
    except UnicodeError:
        return ""

