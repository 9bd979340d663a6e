"""SolarEdge inverters over SunSpec Modbus/TCP (port 1502, unit 1).

The model chain from 40000 ("SunS") is scanned once per source instead of
hard-coding offsets: inverter model 101-103, meter models 201-204. An inverter
may have up to three meters, each after a common block whose option text
(C_Option) says its role: the grid meter is "Export+Import", the others measure
"Production" or "Consumption". The source takes the grid meter by that role
(or the one the ``meter`` setting names) and says which in its status.
SolarEdge accepts one Modbus connection only, so everything goes through one
persistent connection; an idle drop (after 2 min) is reopened by the client.
Values are raw x 10^SF; SolarEdge meters count export as positive power.
A StorEdge battery (0xE100 block) gives float32 values with the words swapped.
"""
from p1gen import context as q
from p1gen.options import Opt
from p1gen.sources import Source as _Source, network_options
from p1gen.sources.modbus import Client, ModbusError, float32_swapped, s16, text, u16

OPTIONS = network_options(1502, 2000, 1000) + (
    Opt("unit", int, 1, "Modbus unit id (SolarEdge: 1)", lo=1, hi=247),
    Opt("meter", int, 0, "which meter measures the grid: 0 the one set up as Export+Import (or the only "
        "one), 1-3 the first, second or third meter in the inverter's map", lo=0, hi=3),
)

SUNSPEC_BASE = 40000
SUNS = [0x5375, 0x6E53]  # "SunS"
INVERTER_MODELS = (101, 102, 103)
METER_PHASES = {201: 1, 202: 2, 203: 3, 204: 3}  # single phase, split phase, wye, delta
_OPTION = 34  # C_Option (8 registers of text) from a common block's header
_BATTERY_POWER = 0xE174  # float32 swapped, W, charging > 0
_BATTERY_SOE = 0xE184  # float32 swapped, %
_MAX_MODELS = 20


def scaled(raw, sf, exp=0):
    """raw x 10^(sf + exp) as a rounded int; None when either is "not implemented"."""
    if raw is None or sf is None or sf < -10 or sf > 10:
        return None
    e = sf + exp
    if e >= 0:
        return raw * 10 ** e
    d = 10 ** -e
    return (raw + d // 2) // d if raw >= 0 else -((-raw + d // 2) // d)


async def scan(read):
    """[(model id, address of its header)] of the chain at 40000 in map order, via ``read(address, count)``."""
    if await read(SUNSPEC_BASE, 2) != SUNS:
        raise ValueError("no SunSpec map at 40000 (no \"SunS\")")
    found = []
    address = SUNSPEC_BASE + 2
    for _ in range(_MAX_MODELS):
        model, length = await read(address, 2)
        if model == 0xFFFF:
            break
        found.append((model, address))
        address += 2 + length
    return found


def role(option):
    """A meter's role from its C_Option text: "grid", "production", "consumption" or ""."""
    option = option.lower()
    for word, name in (("export", "grid"), ("import", "grid"), ("production", "production"),
                       ("consumption", "consumption")):
        if word in option:
            return name
    return ""


def describe(meters):
    return ", ".join("%d %s" % (i + 1, m[2] or "(no role)") for i, m in enumerate(meters))


def pick_meter(meters, wanted=0):
    """The grid meter of ``meters`` [(model, address, C_Option)]: number ``wanted`` (1-3) when
    set, else the one set up as Export+Import, else the only one whose role is not another
    one; ValueError saying what there is when none fits."""
    said = describe(meters)
    if wanted:
        if wanted > len(meters):
            raise ValueError("source.meter is %d but the inverter has %d meter(s): %s" % (
                wanted, len(meters), said or "none"))
        return wanted
    roles = [role(m[2]) for m in meters]
    if "grid" in roles:
        return roles.index("grid") + 1
    unknown = [i for i, r in enumerate(roles) if not r]
    if len(unknown) == 1:
        return unknown[0] + 1
    if not meters:
        raise ValueError("no SolarEdge meter found (SunSpec model 201-204): grid values unknown")
    raise ValueError("no meter is set up as Export+Import (meters: %s): set source.meter to the grid meter" % said)


class Source(_Source):
    KIND = "solaredge"

    def __init__(self, settings):
        _Source.__init__(self, settings)
        self.client = Client(settings.get("host"), settings["port"], settings["unit"],
                             settings["timeout_ms"], settings["timeout_ms"])
        self.models = None
        self.inverter = 0  # header address of the inverter model, found by the scan
        self.meter = None  # of the grid meter's model, None without one
        self.meter_phases = 3
        self._meter_error = None
        self._has_battery = True

    async def _regs(self, address, count):
        return await self.client.read(address, count)

    async def _scan(self, context):
        models = await scan(self._regs)
        inverter = common = None
        meters = []  # (model, address, C_Option)
        for model, address in models:
            if model == 1:
                common = address
            elif model in INVERTER_MODELS and inverter is None:
                inverter = address
            elif model in METER_PHASES:
                option = "" if common is None else text(await self._regs(common + _OPTION, 8), 0, 8)
                meters.append((model, address, option))
        if inverter is None:
            raise ValueError("SunSpec map without an inverter model (101-103)")
        self.inverter = inverter
        if models[0][0] == 1:
            regs = await self._regs(models[0][1] + 2, 64)  # Mn, Md, Opt, Vr, SN
            context.info["manufacturer"] = text(regs, 0, 16)
            context.info["model"] = text(regs, 16, 16)
            context.info["serial"] = text(regs, 48, 16)
        context.info["meters"] = describe(meters)
        try:
            number = pick_meter(meters, self.settings["meter"])
        except ValueError as e:
            self.meter, self._meter_error = None, str(e)
            context.info["meter"] = "none: %s" % e
        else:
            model, self.meter, option = meters[number - 1]
            self.meter_phases = METER_PHASES[model]
            context.info["meter"] = "meter %d (model %d%s, %d-phase)" % (
                number, model, ", " + option if option else "", self.meter_phases)
        self.models = models

    async def _read(self, context, now):
        self.client.host, self.client.port = self.settings["host"], self.settings["port"]  # maybe discovered
        if self.models is None:
            await self._scan(context)
        origin = self.name
        inverter, meter = self.inverter, self.meter
        inv = await self._regs(inverter + 2, 14)
        pv = scaled(s16(inv, 12), s16(inv, 13))
        context.set(q.PV_W, None if pv is None else max(0, pv), origin, now)
        if self._has_battery:
            await self._battery(context, now, origin)
        if meter is None:
            raise ValueError(self._meter_error)
        m = await self._regs(meter + 2, 53)
        w_sf, v_sf, a_sf = s16(m, 20), s16(m, 13), s16(m, 4)
        grid = scaled(s16(m, 16), w_sf)
        if grid is None:
            raise ValueError("meter power not available (0x8000)")
        context.set(q.GRID_W, -grid, origin, now)  # the meter counts export positive
        watts, volts, amps = [], [], []
        for i in range(3):
            if i >= self.meter_phases:  # a phase this meter has not: nothing flows there
                watts.append(0)
                amps.append(0)
                volts.append(None)
                continue
            w = scaled(s16(m, 17 + i), w_sf)
            if w is None and self.meter_phases == 1:
                w = grid
            watts.append(None if w is None else -w)
            volts.append(scaled(u16(m, 6 + i), v_sf, 1))
            a = scaled(s16(m, 1 + i), a_sf, 3)  # the sign is the power's; unknown: import, the safe side
            amps.append(None if a is None else -abs(a) if watts[i] is not None and watts[i] < 0 else abs(a))
        context.set(q.GRID_PHASE_W, watts, origin, now)
        context.set(q.GRID_PHASE_MA, amps, origin, now)
        context.set(q.VOLTAGE_DV, volts, origin, now)
        wh_sf = s16(m, 52)
        context.set(q.GRID_EXPORT_WH, scaled(_acc32(m, 36), wh_sf), origin, now)
        context.set(q.GRID_IMPORT_WH, scaled(_acc32(m, 44), wh_sf), origin, now)

    async def _battery(self, context, now, origin):
        try:
            power = float32_swapped(await self._regs(_BATTERY_POWER, 2), 0)
            soe = float32_swapped(await self._regs(_BATTERY_SOE, 2), 0)
        except ModbusError as e:
            if e.code != 2:
                raise
            self._has_battery = False  # no 0xE100 block: no battery
            return
        context.set(q.BATTERY_W, power, origin, now)
        context.set(q.BATTERY_SOC, soe, origin, now)

    async def close(self):
        await _Source.close(self)
        self.client.close()


def _acc32(regs, i):
    v = (regs[i] << 16) | regs[i + 1]
    return v if v else None  # SunSpec acc32: 0 means not accumulated
