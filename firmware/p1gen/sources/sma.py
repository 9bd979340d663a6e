"""SMA inverters (Sunny Boy, Tripower, Sunny Island) over Modbus/TCP.

Register numbers are sent as the address, big-endian, unit 3 by default. Grid
values need an SMA Energy Meter or Home Manager; without one SMA answers NaN
and the context says so. Device class, model, serial and rated power are read
once per connection start.
"""
from p1gen import context as q
from p1gen.options import Opt
from p1gen.sources import Source as _Source, network_options
from p1gen.sources.modbus import Client, ModbusError, s32, u32

OPTIONS = network_options(502, 1000, 1000) + (
    Opt("unit", int, 3, "Modbus unit id of the inverter (SMA: 3)", lo=3, hi=123),
    Opt("function", int, 3, "Modbus function: 3 holding or 4 input registers (SMA serves both)", choices=(3, 4)),
)

DEVICE_CLASS = {8001: "solar inverter", 8002: "wind inverter", 8007: "battery inverter",
                8009: "hybrid inverter", 8094: "DC input", 8095: "multi-function inverter"}

_IDENT = 30051  # device class U32, model U32, (30055), serial U32
_RATED = 30231
_AC_POWER = 30775
_BATTERY_SOC = 30845
_GRID = 30865  # grid draw S32, feed-in S32
_PHASES = 31253  # voltage L1..L3 U32 0.01 V, feed-in L1..L3 U32, draw L1..L3 U32
_BATTERY = 31393  # charge U32, discharge U32


class Source(_Source):
    KIND = "sma"

    def __init__(self, settings):
        _Source.__init__(self, settings)
        self.client = Client(settings.get("host"), settings["port"], settings["unit"],
                             settings["timeout_ms"], settings["timeout_ms"])
        self._identified = False
        self._has_battery = True

    async def _regs(self, address, count):
        return await self.client.read(address, count, self.settings["function"])

    async def _identify(self, context, now):
        ident = await self._regs(_IDENT, 8)
        cls = u32(ident, 0)
        if cls is None:
            raise ValueError("unit %d answers NaN for the device class: not an SMA inverter" % self.client.unit)
        context.info["device_class"] = DEVICE_CLASS.get(cls, str(cls))
        context.info["model"] = u32(ident, 2)
        context.info["serial"] = u32(ident, 6)
        self._rated_w = u32(await self._regs(_RATED, 2), 0)
        self._identified = True

    async def _read(self, context, now):
        self.client.host, self.client.port = self.settings["host"], self.settings["port"]  # maybe discovered
        if not self._identified:
            await self._identify(context, now)
        origin = self.name
        pv = s32(await self._regs(_AC_POWER, 2), 0)
        grid = await self._regs(_GRID, 4)
        phases = await self._regs(_PHASES, 18)
        if self._has_battery:
            try:
                soc = u32(await self._regs(_BATTERY_SOC, 2), 0)
                battery = await self._regs(_BATTERY, 4)
            except ModbusError as e:
                if e.code != 2:
                    raise
                self._has_battery = False  # no such register: no battery on this inverter
            else:
                charge, discharge = u32(battery, 0), u32(battery, 2)
                context.set(q.BATTERY_SOC, soc, origin, now)
                context.set(q.BATTERY_W, None if charge is None or discharge is None else charge - discharge,
                            origin, now)
        # a sleeping inverter (night) answers NaN: 0 W, the reading that never over-offers solar
        context.set(q.PV_W, 0 if pv is None else max(0, pv), origin, now)
        self.rated(context, now, self._rated_w)
        draw, feed = s32(grid, 0), s32(grid, 2)
        if draw is None or feed is None:
            raise ValueError("no grid values (NaN): is an SMA Energy Meter or Home Manager fitted?")
        context.set(q.GRID_W, draw - feed, origin, now)
        watts, volts = [], []
        for i in range(3):  # each phase on its own: a NaN on one leaves the others known
            feed, draw = u32(phases, 6 + 2 * i), u32(phases, 12 + 2 * i)
            watts.append(None if feed is None or draw is None else draw - feed)
            v = u32(phases, 2 * i)
            volts.append(None if v is None else v // 10)
        context.set(q.GRID_PHASE_W, watts, origin, now)
        context.set(q.VOLTAGE_DV, volts, origin, now)

    async def close(self):
        await _Source.close(self)
        self.client.close()
