"""A SolarEdge inverter with its meter on SunSpec Modbus/TCP (port 1502, unit 1).

The map is the one SolarEdge documents: "SunS" at 40000, common model 1 at
40002, inverter model 103 at 40069, the meter's common model at 40121 and meter
model 203 at 40188, the end marker at 40295; a StorEdge battery at 0xE100 with
float32 values low word first. Like the real inverter it serves one connection
at a time and drops a connection idle for 2 minutes.

``meters`` lays out up to three meters, each (C_Option, model) after a common
block of its own, as SolarEdge does: the grid meter ("Export+Import") from the
site's grid, a "Production" meter from its PV, a "Consumption" meter from its
house; model 201 is a single-phase meter (phases B and C not implemented).
"""
import struct

from p1host.sim.modbus import ModbusSim, put, u32

UNIT = 1
PORT = 1502
IDLE_S = 120
BATTERY_POWER = 0xE174
BATTERY_SOE = 0xE184

_INVERTER = 40069
_METER_COMMON = 40121  # the first meter's common block; its model follows at 40188
_NI16 = 0x8000  # int16 "not implemented"
_NU16 = 0xFFFF

GRID = (("Export+Import", 203),)
PRODUCTION_FIRST = (("Production", 203), ("Export+Import", 203))
ROLES = {"grid": "Export+Import", "production": "Production", "consumption": "Consumption"}
BATTERY_BLOCKS = [(0xE100, 0xA0)]


def layout(roles):
    """The ``meters`` of a list of role names ("production", "grid"), 3-phase meters in that
    order; ValueError for an unknown role or more than three."""
    if not 1 <= len(roles) <= 3 or any(r not in ROLES for r in roles):
        raise ValueError("one to three of %s, got %s" % (", ".join(ROLES), ",".join(roles)))
    return tuple((ROLES[r], 203) for r in roles)


def blocks(meters=GRID):
    """The (address, count) ranges the map has."""
    out = [(40000, 2), (40002, 67), (_INVERTER, 52)]
    address = _METER_COMMON
    for _ in meters:
        out += [(address, 67), (address + 67, 107)]
        address += 67 + 107
    return out + [(address, 2)]


def _text(s, n):
    raw = s.encode().ljust(2 * n, b"\0")
    return list(struct.unpack(">%dH" % n, raw))


def _i16(v):
    return max(-32767, min(32767, v)) & 0xFFFF


def _float_swapped(f):
    hi, lo = struct.unpack(">HH", struct.pack(">f", f))
    return [lo, hi]


def _common(manufacturer, model, version, serial, option=""):
    return [1, 65] + _text(manufacturer, 16) + _text(model, 16) + _text(option, 8) + _text(version, 8) + \
        _text(serial, 16) + [UNIT]


def registers(site, nan=False, meters=GRID):
    """{register: u16} of everything the inverter would answer for ``site`` now."""
    regs = {}
    put(regs, 40000, [0x5375, 0x6E53])
    put(regs, 40002, _common("SolarEdge", "SE8K-RW0TEBEN4", "0004.0019.0036", "7E1234AB"))
    phases = site.phases
    pv = site.pv_w
    dv = site.voltage_dv
    ca = [pv * 1000 // phases // dv[i] if i < phases else 0 for i in range(3)]  # 0.01 A
    inv = [0] * 50
    inv[0] = sum(ca)
    inv[1:4] = ca
    inv[4] = -2 & 0xFFFF  # A_SF
    inv[5:8] = [_NI16, _NI16, _NI16]
    inv[8:11] = dv
    inv[11] = -1 & 0xFFFF  # V_SF
    inv[12] = _NI16 if nan else _i16(pv)  # W
    inv[13] = 0  # W_SF
    inv[14], inv[15] = 5000, -2 & 0xFFFF  # Hz
    inv[16], inv[17] = _i16(pv), 0  # VA
    inv[18], inv[19] = 0, 0  # VAr
    inv[20], inv[21] = 10000, -2 & 0xFFFF  # PF
    inv[22:24] = u32(site.export_wh)  # WH (lifetime AC energy, here: the export counter)
    inv[24] = 0
    inv[36] = 4 if pv > 0 else 2  # St: MPPT or sleeping
    put(regs, _INVERTER, [103, 50] + inv)
    address = _METER_COMMON
    for n, (option, model) in enumerate(meters):
        put(regs, address, _common("WattNode", "WNC-3Y-400-MB", "31", "5A123%d" % n, option))
        put(regs, address + 67, [model, 105] + _meter(site, nan, option, model))
        address += 67 + 107
    put(regs, address, [0xFFFF, 0])
    if site.battery_soc is not None:
        put(regs, 0xE100, [0] * 0xA0)
        if nan:
            put(regs, BATTERY_POWER, [0xFFFF, 0x7FFF])  # NaN floats
            put(regs, BATTERY_SOE, [0xFFFF, 0x7FFF])
        else:
            put(regs, BATTERY_POWER, _float_swapped(float(site.battery_w)))
            put(regs, BATTERY_SOE, _float_swapped(float(site.battery_soc)))
    return regs


def _flows(site, option):
    """(W, mA) per phase the meter of role ``option`` sees, counted as the meter counts."""
    if option not in ("Production", "Consumption"):  # the grid meter: export positive
        return [-x for x in site.grid_phase_w()], [-x for x in site.grid_phase_ma()]
    if option == "Production":  # PV, production positive
        w = [site.pv_w // site.phases if i < site.phases else 0 for i in range(3)]
    else:
        w = list(site.house_phase_w)
    return w, [x * 10000 // v if v else 0 for x, v in zip(w, site.voltage_dv)]


def _meter(site, nan, option="Export+Import", model=203):
    """Model 201-204 data (the same layout); phases a single-phase meter lacks are not implemented."""
    phase_w, phase_ma = _flows(site, option)
    n = 1 if model == 201 else 2 if model == 202 else 3
    m = [0] * 105
    ca = [abs(ma) // 10 for ma in phase_ma]
    m[0] = sum(ca)
    m[1:4] = [ca[i] if i < n else _NI16 for i in range(3)]
    m[4] = -2 & 0xFFFF  # A_SF
    m[5] = sum(site.voltage_dv[:n]) // n
    m[6:9] = [site.voltage_dv[i] if i < n else _NU16 for i in range(3)]
    m[9:13] = [4000, 4000, 4000, 4000]
    m[13] = -1 & 0xFFFF  # V_SF
    m[14], m[15] = 5000, -2 & 0xFFFF  # Hz
    if nan:
        m[16:20] = [_NI16] * 4
    else:
        m[16] = _i16(sum(phase_w[:n]))
        m[17:20] = [_i16(phase_w[i]) if i < n else _NI16 for i in range(3)]
    m[20] = 0  # W_SF
    m[21:25] = [_NI16] * 4
    m[25] = 0
    m[26:30] = [_NI16] * 4
    m[30] = 0
    m[31:35] = [_NI16] * 4
    m[35] = 0
    m[36:38] = u32(site.export_wh)  # TotWhExp
    m[44:46] = u32(site.import_wh)  # TotWhImp
    m[52] = 0  # TotWh_SF
    return m


def simulator(site, host="127.0.0.1", port=PORT, unit=UNIT, meter=True, idle_s=IDLE_S, meters=GRID):
    """A ModbusSim playing a SolarEdge inverter; ``meter=False``: no meter at all."""
    layout = meters if meter else ()

    def regs(s, nan):
        return registers(s, nan, layout)

    extra = BATTERY_BLOCKS if site.battery_soc is not None else []
    return ModbusSim(site, regs, blocks(layout) + extra, unit, host, port, max_connections=1, idle_s=idle_s)
