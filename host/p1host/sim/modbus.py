"""A pymodbus 3.x server in a background thread, serving registers computed from a SiteState.

The SMA and SolarEdge simulators give it their register map (a function of the
site) and it does the rest: a real pymodbus server on a loopback address,
fresh values on every read, the one-connection rule and idle drop SolarEdge
has, and fault injection for the tests (see FAULTS).
"""
import asyncio
import logging
import threading
import time

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.server.requesthandler import ServerRequestHandler
from pymodbus.simulator import DataType, SimData, SimDevice

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)  # the faults below are on purpose

FAULTS = {
    None: "answer normally",
    "hang": "accept and never answer",
    "slow": "answer after slow_ms",
    "truncate": "send only the first bytes of every answer",
    "tid": "answer with a wrong transaction id",
    "exception": "answer every read with exception 4 (server device failure)",
    "nan": "answer NaN / not-implemented markers for every measured value",
}
# besides: ``overrides`` {register: u16} replaces what the map says for those registers
# (a faulty meter: one phase at 0 V, a NaN on one phase, u32 max ...)


class _Handler(ServerRequestHandler):
    """One client connection: refused when the server allows one and has one, idle time tracked."""

    def callback_connected(self):
        super().callback_connected()
        self.last_active = time.monotonic()
        owner = self.server.sim
        owner.connections_seen += 1
        if owner.max_connections and len(self.server.active_connections) > owner.max_connections:
            owner.connections_refused += 1
            self.close()

    def callback_data(self, data, addr=None):
        self.last_active = time.monotonic()
        return super().callback_data(data, addr)


class _Server(ModbusTcpServer):
    def callback_new_connection(self):
        return _Handler(self, self.trace_packet, self.trace_pdu, self.trace_connect)


class ModbusSim:
    """Serve ``registers(site, nan)`` -> {address: u16} as unit ``unit`` on host:port.

    ``blocks`` lists the (address, count) ranges that exist; a read outside them
    gets exception 2 like a real device. Set ``fault`` (a key of FAULTS) at any time.
    """

    def __init__(self, site, registers, blocks, unit, host="127.0.0.1", port=502,
                 max_connections=None, idle_s=None):
        self.site = site
        self.registers = registers
        self.blocks = blocks
        self.unit = unit
        self.host = host
        self.port = port
        self.max_connections = max_connections
        self.idle_s = idle_s
        self.fault = None
        self.overrides = {}
        self.slow_ms = 1500
        self.truncate_to = 9
        self.reads = 0
        self.connections_seen = 0
        self.connections_refused = 0
        self.idle_drops = 0
        self._loop = None
        self._server = None
        self._thread = None

    # -- life cycle --

    def start(self):
        """Listen (in a thread of its own); returns once the port accepts connections."""
        ready = threading.Event()
        failed = []

        def main():
            self._loop = asyncio.new_event_loop()
            try:
                self._loop.run_until_complete(self._open())
            except Exception as e:
                failed.append(e)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._close())
            self._loop.close()

        self._thread = threading.Thread(target=main, name="modbus-sim-%d" % self.port, daemon=True)
        self._thread.start()
        if not ready.wait(10) or failed:
            self._thread = None
            raise RuntimeError("Modbus simulator on %s:%d did not start: %s" % (self.host, self.port, failed))
        return self

    async def _open(self):
        simdata = [SimData(address=a, count=n, values=0, datatype=DataType.REGISTERS) for a, n in self.blocks]
        device = SimDevice(id=self.unit, simdata=simdata, action=self._action)
        others = SimDevice(id=0, simdata=[SimData(address=0, count=65535, values=0, datatype=DataType.REGISTERS)],
                           action=self._no_such_unit)
        self._server = _Server([device, others], address=(self.host, self.port), trace_packet=self._trace)
        self._server.sim = self
        await self._server.serve_forever(background=True)
        if self.idle_s:
            self._loop.create_task(self._drop_idle())

    async def _close(self):
        await self._server.shutdown()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self):
        """Close the port and every connection (the "server down" fault)."""
        if self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def drop_connections(self):
        """Close every open client connection, as a device does after idling."""
        def drop():
            for handler in list(self._server.active_connections.values()):
                handler.close()
        self._loop.call_soon_threadsafe(drop)

    async def _drop_idle(self):
        while True:
            await asyncio.sleep(min(1.0, self.idle_s / 4))
            now = time.monotonic()
            for handler in list(self._server.active_connections.values()):
                if now - getattr(handler, "last_active", now) > self.idle_s:
                    self.idle_drops += 1
                    handler.close()

    # -- serving --

    async def _action(self, function_code, start_address, address, count, current_registers, set_values):
        self.reads += 1
        fault = self.fault
        if fault == "hang":
            while self.fault == "hang":
                await asyncio.sleep(0.05)
        elif fault == "slow":
            await asyncio.sleep(self.slow_ms / 1000)
        elif fault == "exception":
            return ExcCodes.DEVICE_FAILURE
        with self.site.lock:
            values = self.registers(self.site, fault == "nan")
        values.update(self.overrides)
        for a in range(address, address + count):
            if a in values:
                current_registers[a - start_address] = values[a] & 0xFFFF
        return None

    async def _no_such_unit(self, *args):
        """Any other unit id: "gateway target device failed to respond", as SMA's gateway does."""
        return ExcCodes.GATEWAY_NO_RESPONSE

    def _trace(self, sending, data):
        if not sending:
            return data
        if self.fault == "truncate":
            return data[:self.truncate_to]
        if self.fault == "tid" and len(data) >= 2:
            tid = ((data[0] << 8) | data[1]) ^ 0x5A5A
            return bytes([tid >> 8, tid & 0xFF]) + data[2:]
        return data


def s32(value):
    """Two registers of a signed 32-bit value."""
    v = value & 0xFFFFFFFF
    return [v >> 16, v & 0xFFFF]


def u32(value):
    return [(value >> 16) & 0xFFFF, value & 0xFFFF]


def put(regs, address, words):
    for i, w in enumerate(words):
        regs[address + i] = w & 0xFFFF
