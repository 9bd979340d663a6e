"""What is true now: the energy situation as the sources last saw it.

A Context maps quantity names to (value, origin, tick of measurement). Values
are integers in the units of their name (W, mA, dV, %), per-phase values are
3-tuples; None or a missing name means unknown. Sources fill a Context in each
poll; policies and the safety clamp read it with ``fresh`` so stale data is
never mistaken for the present.
"""

from p1gen import ticks

PV_W = "pv_w"  # PV production, W >= 0
GRID_W = "grid_w"  # grid power total, W, import > 0, export < 0
GRID_PHASE_W = "grid_phase_w"  # per phase, W, import > 0
GRID_PHASE_MA = "grid_phase_ma"  # per phase, mA, import > 0
VOLTAGE_DV = "voltage_dv"  # per phase, 0.1 V
BATTERY_SOC = "battery_soc"  # home battery state of charge, %
BATTERY_W = "battery_w"  # home battery power, W, charging > 0
RATED_W = "rated_w"  # inverter rated AC power, W
EV_PHASE_MA = "ev_phase_ma"  # the car's current per phase, mA, when measured directly
EV_SOC = "ev_soc"  # the car's state of charge, %, when the car tells it
GRID_IMPORT_WH = "grid_import_wh"  # grid energy counters, Wh
GRID_EXPORT_WH = "grid_export_wh"

NAMES = (PV_W, GRID_W, GRID_PHASE_W, GRID_PHASE_MA, VOLTAGE_DV, BATTERY_SOC, BATTERY_W,
         RATED_W, EV_PHASE_MA, EV_SOC, GRID_IMPORT_WH, GRID_EXPORT_WH)


class Context:
    __slots__ = ("_values", "error", "info")

    def __init__(self):
        self._values = {}
        self.error = None  # text of the last failure, None when the last poll worked
        self.info = {}  # static facts a source found (device class, model, serial)

    def set(self, name, value, origin, t_ms):
        """Record ``value`` for ``name`` as measured by ``origin`` at tick ``t_ms``."""
        if value is None:
            self._values.pop(name, None)
        else:
            self._values[name] = (value, origin, t_ms)

    def get(self, name, default=None):
        entry = self._values.get(name)
        return default if entry is None else entry[0]

    def origin(self, name):
        entry = self._values.get(name)
        return None if entry is None else entry[1]

    def age_ms(self, name, now_ms):
        entry = self._values.get(name)
        return None if entry is None else ticks.diff(now_ms, entry[2])

    def fresh(self, name, now_ms, max_age_ms):
        """The value of ``name`` if it was measured at most ``max_age_ms`` ago, else None."""
        entry = self._values.get(name)
        if entry is None or ticks.diff(now_ms, entry[2]) > max_age_ms:
            return None
        return entry[0]

    def names(self):
        return list(self._values)

    def update(self, other):
        """Take every value of ``other`` that is newer than ours; keep its error."""
        for name, entry in other._values.items():
            mine = self._values.get(name)
            if mine is None or ticks.diff(entry[2], mine[2]) >= 0:
                self._values[name] = entry
        self.error = other.error
        for key in other.info:
            self.info[key] = other.info[key]

    def as_dict(self, now_ms):
        """JSON-ready view: {name: {"value", "origin", "age_ms"}}."""
        out = {}
        for name, (value, origin, t) in self._values.items():
            out[name] = {"value": list(value) if type(value) is tuple else value,
                         "origin": origin, "age_ms": ticks.diff(now_ms, t)}
        return out
