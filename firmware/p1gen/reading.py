"""One telegram's worth of values, as integers, and the energy counter behind it.

Out-of-range input is clamped where the meaning is clear (a current beyond 999 A,
a counter beyond what the telegram can show) and refused otherwise with a
ValueError that names the field and says why.
"""

MAX_MA = 999000  # 999 A: the widest current field any profile writes
MAX_DV = 9999  # 999.9 V
MAX_WH = 999999999  # 999999.999 kWh
MAX_W = 99999  # 99.999 kW: the power fields' width (about 145 A on each of three phases)
DEFAULT_DV = 2300
PHASES = ("L1", "L2", "L3")


def _int(value, field):
    """value as an int, or ValueError naming the field."""
    if value is None:
        raise ValueError("%s: missing" % field)
    if type(value) is int:
        return value
    if type(value) is float:
        if value != value:
            raise ValueError("%s: NaN is not a number" % field)
        if value in (float("inf"), float("-inf")):
            raise ValueError("%s: %s is not a number" % (field, value))
        return int(round(value))
    raise ValueError("%s: %r is not a number" % (field, value))


def _clamp(value, lo, hi):
    return lo if value < lo else hi if value > hi else value


def _triple(values, field):
    if values is None or len(values) != 3:
        raise ValueError("%s: needs three values (L1, L2, L3), got %r" % (field, values))
    return values


def _counter(values, field):
    if values is None or len(values) != 2:
        raise ValueError("%s: needs two values (low tariff, normal tariff), got %r" % (field, values))
    out = []
    for i in range(2):
        wh = _int(values[i], "%s[%d]" % (field, i))
        if wh < 0:
            raise ValueError("%s[%d]: an energy counter cannot be negative (%d Wh)" % (field, i, wh))
        out.append(wh if wh <= MAX_WH else MAX_WH)
    return (out[0], out[1])


def _seconds(value, field):
    if value is None:
        return None
    s = _int(value, field)
    if s < 0:
        raise ValueError("%s: %d is before 1970" % (field, s))
    return s


def phase_power_w(current_ma, voltage_dv):
    """Signed power of one phase in W, rounded towards import (never understates load)."""
    product = current_ma * voltage_dv
    return -((-product) // 10000)


class Reading:
    __slots__ = ("current_ma", "voltage_dv", "phase_w", "import_wh", "export_wh", "low_tariff",
                 "utc_s", "avg_demand_w", "peak_demand_w", "peak_utc_s")

    def __init__(self, current_ma, voltage_dv=None, phase_w=None, import_wh=(0, 0), export_wh=(0, 0),
                 low_tariff=False, utc_s=None, avg_demand_w=0, peak_demand_w=0, peak_utc_s=None):
        _triple(current_ma, "current")
        currents = []
        for i in range(3):
            ma = _int(current_ma[i], "current " + PHASES[i])
            currents.append(_clamp(ma, -MAX_MA, MAX_MA))
        self.current_ma = (currents[0], currents[1], currents[2])

        if voltage_dv is None:
            self.voltage_dv = (DEFAULT_DV, DEFAULT_DV, DEFAULT_DV)
        else:
            _triple(voltage_dv, "voltage")
            volts = []
            for i in range(3):
                dv = _int(voltage_dv[i], "voltage " + PHASES[i])
                if dv < 0:  # 0: a meter's phase without voltage (a blown fuse), as real meters show it
                    raise ValueError("voltage %s: %d dV is not a voltage" % (PHASES[i], dv))
                volts.append(dv if dv <= MAX_DV else MAX_DV)
            self.voltage_dv = (volts[0], volts[1], volts[2])

        if phase_w is None:
            c, v = self.current_ma, self.voltage_dv
            self.phase_w = (_clamp(phase_power_w(c[0], v[0]), -MAX_W, MAX_W),
                            _clamp(phase_power_w(c[1], v[1]), -MAX_W, MAX_W),
                            _clamp(phase_power_w(c[2], v[2]), -MAX_W, MAX_W))
        else:
            _triple(phase_w, "power")
            watts = []
            for i in range(3):
                watts.append(_clamp(_int(phase_w[i], "power " + PHASES[i]), -MAX_W, MAX_W))
            self.phase_w = (watts[0], watts[1], watts[2])

        self.import_wh = _counter(import_wh, "import_wh")
        self.export_wh = _counter(export_wh, "export_wh")
        self.low_tariff = bool(low_tariff)
        self.utc_s = _seconds(utc_s, "utc_s")
        self.avg_demand_w = _clamp(_int(avg_demand_w, "avg_demand_w"), 0, MAX_W)
        self.peak_demand_w = _clamp(_int(peak_demand_w, "peak_demand_w"), 0, MAX_W)
        self.peak_utc_s = _seconds(peak_utc_s, "peak_utc_s")

    def import_w(self):
        """Net import over the three phases (1-0:1.7.0), W, at most what the field shows."""
        total = self.phase_w[0] + self.phase_w[1] + self.phase_w[2]
        return _clamp(total, 0, MAX_W)

    def export_w(self):
        """Net export over the three phases (1-0:2.7.0), W, at most what the field shows."""
        total = self.phase_w[0] + self.phase_w[1] + self.phase_w[2]
        return _clamp(-total, 0, MAX_W)

    def __eq__(self, other):
        if not isinstance(other, Reading):
            return False
        for name in Reading.__slots__:
            if getattr(self, name) != getattr(other, name):
                return False
        return True

    def __repr__(self):
        return "Reading(current_ma=%r, voltage_dv=%r, phase_w=%r, import_wh=%r, export_wh=%r, low_tariff=%r, utc_s=%r)" % (
            self.current_ma, self.voltage_dv, self.phase_w, self.import_wh, self.export_wh, self.low_tariff, self.utc_s)


class EnergyCounter:
    """Import and export counters in Wh per tariff, integrated from power without floats.

    Energy below one Wh is carried as an integer remainder in W*ms, so the
    counters never drift and never decrease.
    """

    _WMS_PER_WH = 3600000

    def __init__(self, import_wh=(0, 0), export_wh=(0, 0)):
        self.import_wh = [import_wh[0], import_wh[1]]
        self.export_wh = [export_wh[0], export_wh[1]]
        self._import_wms = 0
        self._export_wms = 0

    def add(self, import_w, export_w, dt_ms, low_tariff):
        """Count import_w and export_w (both >= 0) flowing for dt_ms."""
        tariff = 0 if low_tariff else 1
        if dt_ms <= 0:
            return
        self._import_wms += max(0, import_w) * dt_ms
        self._export_wms += max(0, export_w) * dt_ms
        if self._import_wms >= self._WMS_PER_WH:
            whole = self._import_wms // self._WMS_PER_WH
            self._import_wms -= whole * self._WMS_PER_WH
            self.import_wh[tariff] = min(MAX_WH, self.import_wh[tariff] + whole)
        if self._export_wms >= self._WMS_PER_WH:
            whole = self._export_wms // self._WMS_PER_WH
            self._export_wms -= whole * self._WMS_PER_WH
            self.export_wh[tariff] = min(MAX_WH, self.export_wh[tariff] + whole)
