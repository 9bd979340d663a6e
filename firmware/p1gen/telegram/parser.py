"""Parse one P1 telegram into a Reading, checking its CRC.

Used on the board for the smart meter's own P1 port and by the host tools. It
reads the OBIS lines p1gen's profiles write and any DSMR 4/5 or e-MUCS meter
sends; lines it does not know are skipped. Values are read in place from the
bytes with integer arithmetic: no decoding, splitting or slicing, so a parse
costs the board little more than the Reading it returns.
"""

from p1gen.reading import Reading
from p1gen.telegram import clock
from p1gen.telegram.crc import crc16


class TelegramError(ValueError):
    pass


# (current, import power, export power, voltage) per phase, anchored at a line start
_PHASE_KEYS = ((b"\n1-0:31.7.0(", b"\n1-0:21.7.0(", b"\n1-0:22.7.0(", b"\n1-0:32.7.0("),
               (b"\n1-0:51.7.0(", b"\n1-0:41.7.0(", b"\n1-0:42.7.0(", b"\n1-0:52.7.0("),
               (b"\n1-0:71.7.0(", b"\n1-0:61.7.0(", b"\n1-0:62.7.0(", b"\n1-0:72.7.0("))
_IMPORT_1, _IMPORT_2 = b"\n1-0:1.8.1(", b"\n1-0:1.8.2("
_EXPORT_1, _EXPORT_2 = b"\n1-0:2.8.1(", b"\n1-0:2.8.2("
_TARIFF = b"\n0-0:96.14.0("
_TIME = b"\n0-0:1.0.0("
_AVG_DEMAND = b"\n1-0:1.4.0("
_PEAK = b"\n1-0:1.6.0("
_BELGIAN_VERSION = b"\n0-0:96.1.4("


def frame(data):
    """(start, bang) of the first complete telegram in data, CRC checked; TelegramError otherwise."""
    start = data.find(b"/")
    if start < 0:
        raise TelegramError("no telegram start '/'")
    bang = data.find(b"!", start)
    if bang < 0 or len(data) < bang + 5:
        raise TelegramError("telegram ends before '!' and its CRC (half a telegram)")
    given = 0
    for i in range(bang + 1, bang + 5):
        c = data[i]
        digit = c - 48 if 48 <= c <= 57 else c - 55 if 65 <= c <= 70 else c - 87 if 97 <= c <= 102 else -1
        if digit < 0:
            raise TelegramError("CRC %r is not 4 hex digits" % bytes(data[bang + 1:bang + 5]))
        given = given * 16 + digit
    computed = crc16(data, start, bang + 1)
    if computed != given:
        raise TelegramError("CRC mismatch: telegram says %04X, its bytes give %04X" % (given, computed))
    return start, bang


def parse(data, std_offset_min=clock.CET_MIN):
    if isinstance(data, str):
        data = data.encode()
    start, end = frame(data)
    if data.find(b"\r\n", start, end) < 0:
        raise TelegramError("telegram has no CRLF line ends")
    belgian = data.find(b"/FLU", start, start + 4) == start or data.find(_BELGIAN_VERSION, start, end) >= 0

    currents, volts, watts = [0, 0, 0], [0, 0, 0], [0, 0, 0]
    have_power = have_volts = True
    for i in range(3):
        cur_key, imp_key, exp_key, volt_key = _PHASE_KEYS[i]
        imp = _value(data, start, end, imp_key, 3)
        exp = _value(data, start, end, exp_key, 3)
        if imp is None and exp is None:
            have_power = False
        w = (imp or 0) - (exp or 0)
        watts[i] = w
        ma = _value(data, start, end, cur_key, 3) or 0
        currents[i] = -ma if w < 0 else ma
        dv = _value(data, start, end, volt_key, 1)
        if dv is None:
            have_volts = False
        else:
            volts[i] = dv
    t1 = (_value(data, start, end, _IMPORT_1, 3) or 0, _value(data, start, end, _IMPORT_2, 3) or 0)
    t2 = (_value(data, start, end, _EXPORT_1, 3) or 0, _value(data, start, end, _EXPORT_2, 3) or 0)
    tariff = _value(data, start, end, _TARIFF, 0)
    if belgian:  # tariff 1 is day (normal), 2 is night (low)
        import_wh, export_wh, low = (t1[1], t1[0]), (t2[1], t2[0]), tariff == 2
    else:
        import_wh, export_wh, low = t1, t2, tariff == 1
    peak_at = _find(data, start, end, _PEAK)
    peak_w = None
    if peak_at >= 0:  # 1-0:1.6.0(YYMMDDhhmmssX)(kW)
        peak_w = _number(data, peak_at + 15, end, 3, _PEAK)
    try:
        return Reading(
            current_ma=currents,
            voltage_dv=volts if have_volts else None,
            phase_w=watts if have_power else None,
            import_wh=import_wh, export_wh=export_wh, low_tariff=low,
            utc_s=_stamp(data, _find(data, start, end, _TIME), end, std_offset_min),
            avg_demand_w=_value(data, start, end, _AVG_DEMAND, 3) or 0,
            peak_demand_w=peak_w or 0,
            peak_utc_s=_stamp(data, peak_at, end, std_offset_min),
        )
    except ValueError as e:
        raise TelegramError(str(e))


def _find(data, start, end, key):
    """Index just past key (an OBIS code and its "("), or -1."""
    p = data.find(key, start, end)
    return -1 if p < 0 else p + len(key)


def _value(data, start, end, key, decimals):
    p = _find(data, start, end, key)
    return None if p < 0 else _number(data, p, end, decimals, key)


def _number(data, p, end, decimals, key):
    """The number at data[p] up to "*" or ")", as an integer with `decimals` implied decimals."""
    value = 0
    frac = -1
    while p < end:
        c = data[p]
        if 48 <= c <= 57:
            value = value * 10 + c - 48
            if frac >= 0:
                frac += 1
        elif c == 46 and frac < 0:
            frac = 0
        elif c == 42 or c == 41:  # "*" or ")"
            break
        else:
            raise TelegramError("%s): not a number" % key.decode().strip())
        p += 1
    frac = 0 if frac < 0 else frac
    while frac < decimals:
        value *= 10
        frac += 1
    while frac > decimals:
        value //= 10
        frac -= 1
    return value


def _stamp(data, p, end, std_offset_min):
    """Unix time of a YYMMDDhhmmssX stamp at data[p]; None when absent or the unset clock 000101000000."""
    if p < 0:
        return None
    if p + 13 > end:
        raise TelegramError("time stamp cut short")
    f = [0, 0, 0, 0, 0, 0]
    for i in range(12):
        c = data[p + i]
        if not 48 <= c <= 57:
            raise TelegramError("time stamp %r is not YYMMDDhhmmss plus S or W" % bytes(data[p:p + 13]))
        f[i // 2] = f[i // 2] * 10 + c - 48
    flag = data[p + 12]
    if flag != 83 and flag != 87:  # S or W
        raise TelegramError("time stamp %r is not YYMMDDhhmmss plus S or W" % bytes(data[p:p + 13]))
    if f == [0, 1, 1, 0, 0, 0]:
        return None
    return clock.utc_from_local(f[0], f[1], f[2], f[3], f[4], f[5], flag == 83, std_offset_min)
