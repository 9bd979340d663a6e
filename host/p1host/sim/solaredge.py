"""A SolarEdge inverter with its meter on SunSpec Modbus/TCP (port 1502, unit 1).

The map is the one SolarEdge documents: "SunS" at 40000, common model 1 at
40002, inverter model 103 at 40069, the meter's common model at 40121 and meter
model 203 at 40188, the end marker at 40295; a StorEdge battery at 0xE100 with
float32 values low word first. Like the real inverter it serves one connection
at a time and drops a connection idle for 2 minutes.
"""
import struct

from p1host.sim.modbus import ModbusSim, put, u32

UNIT = 1
PORT = 1502
IDLE_S = 120
BATTERY_POWER = 0xE174
BATTERY_SOE = 0xE184

_INVERTER = 40069
_METER_COMMON = 40121
_METER = 40188
_END = 40295
_NI16 = 0x8000  # int16 "not implemented"

BLOCKS = [(40000, 2), (40002, 67), (_INVERTER, 52), (_METER_COMMON, 67), (_METER, 107), (_END, 2)]
BATTERY_BLOCKS = [(0xE100, 0xA0)]


def _text(s, n):
    raw = s.encode().ljust(2 * n, b"\0")
    return list(struct.unpack(">%dH" % n, raw))


def _i16(v):
    return max(-32767, min(32767, v)) & 0xFFFF


def _float_swapped(f):
    hi, lo = struct.unpack(">HH", struct.pack(">f", f))
    return [lo, hi]


def _common(manufacturer, model, version, serial):
    return [1, 65] + _text(manufacturer, 16) + _text(model, 16) + _text("", 8) + _text(version, 8) + \
        _text(serial, 16) + [UNIT]


def registers(site, nan=False, meter=True):
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
    put(regs, _METER_COMMON, _common("WattNode", "WNC-3Y-400-MB", "31", "5A1234"))
    if meter:
        put(regs, _METER, [203, 105] + _meter(site, nan))
    put(regs, _END if meter else _METER, [0xFFFF, 0])
    if site.battery_soc is not None:
        put(regs, 0xE100, [0] * 0xA0)
        if nan:
            put(regs, BATTERY_POWER, [0xFFFF, 0x7FFF])  # NaN floats
            put(regs, BATTERY_SOE, [0xFFFF, 0x7FFF])
        else:
            put(regs, BATTERY_POWER, _float_swapped(float(site.battery_w)))
            put(regs, BATTERY_SOE, _float_swapped(float(site.battery_soc)))
    return regs


def _meter(site, nan):
    """Model 203 data: export counted positive, as SolarEdge meters do."""
    phase_w = site.grid_phase_w()
    phase_ma = site.grid_phase_ma()
    m = [0] * 105
    ca = [abs(ma) // 10 for ma in phase_ma]
    m[0] = sum(ca)
    m[1:4] = ca
    m[4] = -2 & 0xFFFF  # A_SF
    m[5] = sum(site.voltage_dv) // 3
    m[6:9] = site.voltage_dv
    m[9:13] = [4000, 4000, 4000, 4000]
    m[13] = -1 & 0xFFFF  # V_SF
    m[14], m[15] = 5000, -2 & 0xFFFF  # Hz
    if nan:
        m[16:20] = [_NI16] * 4
    else:
        m[16] = _i16(-sum(phase_w))
        m[17:20] = [_i16(-w) for w in phase_w]
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


def simulator(site, host="127.0.0.1", port=PORT, unit=UNIT, meter=True, idle_s=IDLE_S):
    blocks = BLOCKS + (BATTERY_BLOCKS if site.battery_soc is not None else [])
    if not meter:
        blocks = [b for b in blocks if b[0] != _METER and b[0] != _END] + [(_METER, 2)]

    def regs(s, nan):
        return registers(s, nan, meter)

    return ModbusSim(site, regs, blocks, unit, host, port, max_connections=1, idle_s=idle_s)
