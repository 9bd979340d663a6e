"""An SMA inverter on Modbus/TCP (unit 3), as a pymodbus server reading a SiteState.

Grid values come from an SMA Energy Meter; without one (``meter=False``) SMA
answers NaN for them, and so does this simulator. Battery registers exist only
when the site has a battery (site.battery_soc is not None).
"""
from p1host.sim.modbus import ModbusSim, put, s32, u32

UNIT = 3
DEVICE_CLASS = 8001  # solar inverter
MODEL = 9319  # a Sunny Tripower
SERIAL = 3001234567

_NAN_S32 = [0x8000, 0x0000]
_NAN_U32 = [0xFFFF, 0xFFFF]

BLOCKS = [(30051, 8), (30231, 2), (30775, 2), (30865, 4), (31253, 18)]
BATTERY_BLOCKS = [(30845, 2), (31393, 4)]


def registers(site, nan=False, meter=True):
    """{register: u16} of everything an SMA inverter would answer for ``site`` now."""
    regs = {}
    put(regs, 30051, u32(DEVICE_CLASS) + u32(MODEL) + u32(0) + u32(SERIAL))
    put(regs, 30231, u32(site.rated_w))
    put(regs, 30775, _NAN_S32 if nan else s32(site.pv_w))
    phase_w = site.grid_phase_w()
    for i in range(3):
        put(regs, 31253 + 2 * i, _NAN_U32 if nan else u32(site.voltage_dv[i] * 10))
        if meter and not nan:
            put(regs, 31259 + 2 * i, u32(max(0, -phase_w[i])))
            put(regs, 31265 + 2 * i, u32(max(0, phase_w[i])))
        else:
            put(regs, 31259 + 2 * i, _NAN_U32)
            put(regs, 31265 + 2 * i, _NAN_U32)
    grid = sum(phase_w)
    if meter and not nan:
        put(regs, 30865, s32(max(0, grid)) + s32(max(0, -grid)))
    else:
        put(regs, 30865, _NAN_S32 + _NAN_S32)
    if site.battery_soc is not None:
        put(regs, 30845, _NAN_U32 if nan else u32(site.battery_soc))
        put(regs, 31393, _NAN_U32 * 2 if nan else u32(max(0, site.battery_w)) + u32(max(0, -site.battery_w)))
    return regs


def simulator(site, host="127.0.0.1", port=502, unit=UNIT, meter=True):
    """A ModbusSim playing an SMA inverter (call .start(), or use it as a context manager)."""
    blocks = BLOCKS + (BATTERY_BLOCKS if site.battery_soc is not None else [])

    def regs(s, nan):
        return registers(s, nan, meter)

    return ModbusSim(site, regs, blocks, unit, host, port)
