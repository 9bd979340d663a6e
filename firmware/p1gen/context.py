"""What is true now: the energy situation as the sources last saw it.

A Context maps quantity names to (value, origin, tick of measurement). Values
are integers in the units of their name (W, mA, dV, %), per-phase values are
3-tuples whose entries may be None (that phase unknown); None or a missing name
means unknown. Sources fill a Context in each poll; policies and the safety
clamp read it with ``fresh`` so stale data is never mistaken for the present.

Every value passes ``clean`` on its way in (``set``): NaN, infinity, text, a
voltage that is no mains voltage and magnitudes no house connection reaches
become unknown, so nothing downstream has to guard against them again.
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

MAINS_DV = 2300  # 230.0 V: what a phase without a usable voltage is taken to have
_W = 1000000  # 1 MW: beyond any house connection (250 A x 3 x 400 V is 300 kW)
_MA = 1000000  # 1000 A
_WH = 1 << 40
# name -> (lowest, highest plausible value, per phase); anything outside is unknown
_RANGE = {
    PV_W: (-_W, _W, False), GRID_W: (-_W, _W, False), GRID_PHASE_W: (-_W, _W, True),
    GRID_PHASE_MA: (-_MA, _MA, True), EV_PHASE_MA: (-_MA, _MA, True),
    VOLTAGE_DV: (1000, 3000, True),  # 100..300 V: a phase at 0 V (or 0.05 V) is unmeasured, not dead
    BATTERY_SOC: (0, 100, False), EV_SOC: (0, 100, False), BATTERY_W: (-_W, _W, False),
    RATED_W: (1, _W, False), GRID_IMPORT_WH: (0, _WH, False), GRID_EXPORT_WH: (0, _WH, False),
}


def _number(value, lo, hi):
    t = type(value)
    if t is float:
        if value != value or not (lo - 1 < value < hi + 1):  # NaN, infinity, absurd
            return None
        value = int(round(value))
    elif t is not int:  # None, bool, text, ...
        return None
    return value if lo <= value <= hi else None


def clean(name, value):
    """``value`` as ``name`` may hold it: an int in its plausible range, a 3-tuple of such
    ints or None for a per-phase name, or None when nothing of it is usable."""
    bounds = _RANGE.get(name)
    if bounds is None or value is None:
        return value
    lo, hi, per_phase = bounds
    if not per_phase:
        return _number(value, lo, hi)
    if type(value) not in (tuple, list) or len(value) != 3:
        return None
    a, b, c = _number(value[0], lo, hi), _number(value[1], lo, hi), _number(value[2], lo, hi)
    return None if a is None and b is None and c is None else (a, b, c)


class Context:
    __slots__ = ("_values", "error", "info")

    def __init__(self):
        self._values = {}
        self.error = None  # text of the last failure, None when the last poll worked
        self.info = {}  # static facts a source found (device class, model, serial)

    def set(self, name, value, origin, t_ms):
        """Record ``value`` for ``name`` as measured by ``origin`` at tick ``t_ms``, cleaned
        (``clean``); a value with nothing usable in it forgets the name."""
        value = clean(name, value)
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
        """Take every value of ``other`` that is newer than ours; keep its error.

        A value whose origin is one of ``other``'s but that ``other`` no longer holds
        (a dongle that stopped sending per-phase values) is forgotten: it must not
        outlive the fresher values its source sends now.
        """
        theirs = other._values
        origins = [entry[1] for entry in theirs.values()]
        for name in list(self._values):
            if name not in theirs and self._values[name][1] in origins:
                del self._values[name]
        for name, entry in theirs.items():
            mine = self._values.get(name)
            if mine is None or ticks.diff(entry[2], mine[2]) >= 0:
                self._values[name] = entry
        self.error = other.error
        for key in other.info:
            self.info[key] = other.info[key]

    def mains_dv(self, now_ms, max_age_ms):
        """The fresh voltage of each phase, MAINS_DV where a phase has none: always usable."""
        v = self.fresh(VOLTAGE_DV, now_ms, max_age_ms) or (None, None, None)
        return tuple(MAINS_DV if x is None else x for x in v)

    def as_dict(self, now_ms):
        """JSON-ready view: {name: {"value", "origin", "age_ms"}}."""
        out = {}
        for name, (value, origin, t) in self._values.items():
            out[name] = {"value": list(value) if type(value) is tuple else value,
                         "origin": origin, "age_ms": ticks.diff(now_ms, t)}
        return out
