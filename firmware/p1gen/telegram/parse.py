"""Parse one P1 telegram into a Reading, checking its CRC.

Used on the board for the smart meter's own P1 port and by the host tools. It
reads the OBIS lines p1gen's profiles write and any DSMR 4/5 or e-MUCS meter
sends; lines it does not know are skipped.
"""

from p1gen.reading import Reading
from p1gen.telegram import clock
from p1gen.telegram.crc import crc16


class TelegramError(ValueError):
    pass


_PHASE_KEYS = (("1-0:31.7.0", "1-0:21.7.0", "1-0:22.7.0", "1-0:32.7.0"),
               ("1-0:51.7.0", "1-0:41.7.0", "1-0:42.7.0", "1-0:52.7.0"),
               ("1-0:71.7.0", "1-0:61.7.0", "1-0:62.7.0", "1-0:72.7.0"))


def frame(data):
    """(start, bang) of the first complete telegram in data, CRC checked; TelegramError otherwise."""
    start = data.find(b"/")
    if start < 0:
        raise TelegramError("no telegram start '/'")
    bang = data.find(b"!", start)
    if bang < 0 or len(data) < bang + 5:
        raise TelegramError("telegram ends before '!' and its CRC (half a telegram)")
    try:
        given = int(bytes(data[bang + 1:bang + 5]), 16)
    except ValueError:
        raise TelegramError("CRC %r is not 4 hex digits" % bytes(data[bang + 1:bang + 5]))
    computed = crc16(data, start, bang + 1)
    if computed != given:
        raise TelegramError("CRC mismatch: telegram says %04X, its bytes give %04X" % (given, computed))
    return start, bang


def parse(data, std_offset_min=clock.CET_MIN):
    if isinstance(data, str):
        data = data.encode()
    start, bang = frame(data)
    try:
        text = bytes(data[start:bang]).decode()
    except UnicodeError:
        raise TelegramError("telegram holds bytes that are not text")
    lines = text.split("\r\n")
    if len(lines) < 2:
        raise TelegramError("telegram has no CRLF line ends")
    belgian = lines[0].startswith("/FLU")
    obj = {}
    for line in lines[1:]:
        p = line.find("(")
        if p > 0:
            obj[line[:p]] = line[p:]
            if line.startswith("0-0:96.1.4"):
                belgian = True

    currents, volts, watts = [], [], []
    have_power = True
    for cur_key, imp_key, exp_key, volt_key in _PHASE_KEYS:
        imp = _number(obj, imp_key, 3)
        exp = _number(obj, exp_key, 3)
        if imp is None and exp is None:
            have_power = False
        w = (imp or 0) - (exp or 0)
        watts.append(w)
        ma = _number(obj, cur_key, 3) or 0
        currents.append(-ma if w < 0 else ma)
        volts.append(_number(obj, volt_key, 1))
    t1 = (_number(obj, "1-0:1.8.1", 3) or 0, _number(obj, "1-0:1.8.2", 3) or 0)
    t2 = (_number(obj, "1-0:2.8.1", 3) or 0, _number(obj, "1-0:2.8.2", 3) or 0)
    tariff = _number(obj, "0-0:96.14.0", 0)
    if belgian:  # tariff 1 is day (normal), 2 is night (low)
        import_wh, export_wh, low = (t1[1], t1[0]), (t2[1], t2[0]), tariff == 2
    else:
        import_wh, export_wh, low = t1, t2, tariff == 1
    peak = obj.get("1-0:1.6.0")
    try:
        return Reading(
            current_ma=currents,
            voltage_dv=None if None in volts else volts,
            phase_w=watts if have_power else None,
            import_wh=import_wh, export_wh=export_wh, low_tariff=low,
            utc_s=_stamp(obj.get("0-0:1.0.0"), std_offset_min),
            avg_demand_w=_number(obj, "1-0:1.4.0", 3) or 0,
            peak_demand_w=_number({"p": peak[peak.find(")") + 1:]} if peak else {}, "p", 3) or 0,
            peak_utc_s=_stamp(peak, std_offset_min),
        )
    except ValueError as e:
        raise TelegramError(str(e))


def _number(obj, key, decimals):
    """The value of OBIS key as an integer with `decimals` implied decimals, or None."""
    raw = obj.get(key)
    if raw is None:
        return None
    end = raw.find("*")
    if end < 0:
        end = raw.find(")")
    text = raw[1:end]
    whole, _, frac = text.partition(".")
    if not (whole + frac).isdigit():
        raise TelegramError("%s: %r is not a number" % (key, text))
    frac = (frac + "000")[:decimals] if decimals else ""
    return int(whole + frac) if whole + frac else 0


def _stamp(raw, std_offset_min):
    """Unix time of a "(YYMMDDhhmmssX)" stamp; None for the unset clock 000101000000."""
    if not raw or len(raw) < 15:
        return None
    digits, flag = raw[1:13], raw[13]
    if not digits.isdigit() or flag not in "SW":
        raise TelegramError("time stamp %r is not YYMMDDhhmmss plus S or W" % raw[1:14])
    if digits == "000101000000":
        return None
    f = [int(digits[i:i + 2]) for i in range(0, 12, 2)]
    return clock.utc_from_local(f[0], f[1], f[2], f[3], f[4], f[5], flag == "S", std_offset_min)
