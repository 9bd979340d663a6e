"""Fixed-width telegram templates filled in place with integer arithmetic.

A profile is a tuple of lines with placeholders: ``{name:I.D}`` for a number with
I integer and D decimal digits, ``{name}`` for a time stamp. Every field has a
fixed width, so a template compiles once into a bytearray and each telegram only
overwrites its digits and CRC: no float, no string formatting, one allocation
(the returned bytes).
"""

from p1gen.telegram import clock
from p1gen.telegram.crc import crc16, write_hex4

# value slots, in the units the Reading carries
IMP_LOW, IMP_NORMAL, EXP_LOW, EXP_NORMAL, TARIFF, P_IMP, P_EXP, V1, V2, V3, I1, I2, I3, \
    PI1, PI2, PI3, PE1, PE2, PE3, AVG, PEAK, TIME, PEAK_TIME = range(23)
NAMES = ("imp_low", "imp_normal", "exp_low", "exp_normal", "tariff", "p_imp", "p_exp", "v1", "v2", "v3",
         "i1", "i2", "i3", "pi1", "pi2", "pi3", "pe1", "pe2", "pe3", "avg", "peak", "time", "peak_time")
# decimals the Reading's integer unit gives each field (Wh and W as kWh/kW with 3, dV as V with 1)
_NATIVE_DECIMALS = (3, 3, 3, 3, 0, 3, 3, 1, 1, 1, None, None, None, 3, 3, 3, 3, 3, 3, 3, 3, None, None)
_DOT = 46
MAX_BYTES = 1024

# line groups several profiles share, in the order meters send them
PHASE_POWERS = (
    "1-0:21.7.0({pi1:2.3}*kW)",
    "1-0:41.7.0({pi2:2.3}*kW)",
    "1-0:61.7.0({pi3:2.3}*kW)",
    "1-0:22.7.0({pe1:2.3}*kW)",
    "1-0:42.7.0({pe2:2.3}*kW)",
    "1-0:62.7.0({pe3:2.3}*kW)",
)
NO_FAILURES = (  # power failure counters, the failure log, voltage sags and swells: all zero
    "0-0:96.7.21(00000)",
    "0-0:96.7.9(00000)",
    "1-0:99.97.0(0)(0-0:96.7.19)",
    "1-0:32.32.0(00000)",
    "1-0:52.32.0(00000)",
    "1-0:72.32.0(00000)",
    "1-0:32.36.0(00000)",
    "1-0:52.36.0(00000)",
    "1-0:72.36.0(00000)",
)


class Template:
    def __init__(self, lines, low_tariff_code):
        self.low_tariff_code = low_tariff_code
        self.amp_div = 1
        self.slots = []  # (field, start, end, max) for numbers; (field, start, -1, 0) for stamps
        parts = []
        pos = 0
        for line in lines:
            i = 0
            while True:
                j = line.find("{", i)
                if j < 0:
                    break
                k = line.find("}", j)
                chunk = line[i:j]
                parts.append(chunk)
                pos += len(chunk)
                pos = self._slot(line[j + 1:k], pos, parts)
                i = k + 1
            chunk = line[i:] + "\r\n"
            parts.append(chunk)
            pos += len(chunk)
        parts.append("!")
        self.bang = pos
        parts.append("0000\r\n")
        self.buf = bytearray("".join(parts).encode())
        if len(self.buf) >= MAX_BYTES:
            raise ValueError("template is %d bytes, the limit is %d" % (len(self.buf), MAX_BYTES))
        if self.buf.find(b"/", 1) >= 0:
            raise ValueError("a '/' after the header makes readers resynchronise")
        self.vals = [0] * len(NAMES)

    def _slot(self, spec, pos, parts):
        name, _, width = spec.partition(":")
        field = NAMES.index(name)
        if not width:
            parts.append("000101000000W")
            self.slots.append((field, pos, -1, 0))
            return pos + 13
        whole, _, dec = width.partition(".")
        whole, dec = int(whole), int(dec or 0)
        if field in (I1, I2, I3):
            self.amp_div = 10 ** (3 - dec)
        elif _NATIVE_DECIMALS[field] != dec:
            raise ValueError("%s needs %d decimals" % (name, _NATIVE_DECIMALS[field]))
        text = "0" * whole + ("." + "0" * dec if dec else "")
        parts.append(text)
        self.slots.append((field, pos, pos + len(text), 10 ** (whole + dec) - 1))
        return pos + len(text)

    def render(self, reading, std_offset_min=clock.CET_MIN, eu_dst=True):
        vals = self.vals
        vals[IMP_LOW], vals[IMP_NORMAL] = reading.import_wh
        vals[EXP_LOW], vals[EXP_NORMAL] = reading.export_wh
        vals[TARIFF] = self.low_tariff_code if reading.low_tariff else 3 - self.low_tariff_code
        vals[P_IMP] = reading.import_w()
        vals[P_EXP] = reading.export_w()
        div = self.amp_div
        for i in range(3):
            vals[V1 + i] = reading.voltage_dv[i]
            ma = reading.current_ma[i]
            # round towards import: a reported current never understates the load
            vals[I1 + i] = -((-ma) // div) if ma >= 0 else (-ma) // div
            w = reading.phase_w[i]
            vals[PI1 + i] = w if w > 0 else 0
            vals[PE1 + i] = -w if w < 0 else 0
        vals[AVG] = reading.avg_demand_w
        vals[PEAK] = reading.peak_demand_w
        vals[TIME] = reading.utc_s
        vals[PEAK_TIME] = reading.peak_utc_s
        buf = self.buf
        for field, start, end, top in self.slots:
            if end < 0:
                _stamp(buf, start, vals[field], std_offset_min, eu_dst)
                continue
            v = vals[field]
            v = 0 if v < 0 else top if v > top else v
            p = end - 1
            while p >= start:
                if buf[p] != _DOT:
                    buf[p] = 48 + v % 10
                    v //= 10
                p -= 1
        write_hex4(buf, self.bang + 1, crc16(buf, 0, self.bang + 1))
        return bytes(buf)


def _stamp(buf, pos, utc_s, std_offset_min, eu_dst):
    if utc_s is None:
        fields = (0, 1, 1, 0, 0, 0, False)
    else:
        fields = clock.local_fields(utc_s, std_offset_min, eu_dst)
    for i in range(6):
        v = fields[i]
        buf[pos + 2 * i] = 48 + v // 10 % 10
        buf[pos + 2 * i + 1] = 48 + v % 10
    buf[pos + 12] = 83 if fields[6] else 87  # S or W
