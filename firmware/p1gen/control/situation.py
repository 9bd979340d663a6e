"""The controller's view of a Context: fresh values only, as integers.

Sources may leave a value out, report it late, or (a bug, a bad reply) put a
float NaN or a wrong type in it; everything here turns that into ``None``
("unknown") so the policies and the safety clamp only ever see integers.
"""
from p1gen import context as C
from p1gen import ticks

_INT_LIMIT = 1 << 40


def number(value):
    """``value`` as an int, or None when it is not a finite number."""
    t = type(value)
    if t is int:
        return value if -_INT_LIMIT < value < _INT_LIMIT else None
    if t is float:
        if value != value or not (-_INT_LIMIT < value < _INT_LIMIT):  # NaN, inf, absurd
            return None
        return int(value)
    return None


def triple(value):
    """A 3-tuple of ints, or None unless ``value`` is a sequence of 3 finite numbers."""
    if type(value) not in (tuple, list) or len(value) != 3:
        return None
    a, b, c = number(value[0]), number(value[1]), number(value[2])
    if a is None or b is None or c is None:
        return None
    return (a, b, c)


def _voltages(ctx, now_ms, max_age):
    return ctx.mains_dv(now_ms, max_age)


def _phases(ctx, name, now_ms, max_age, total_t):
    """The fresh per-phase values of ``name`` (entries None where unknown), and whether
    they are at least as new as the total measured at ``total_t`` (None: no total)."""
    v = ctx.fresh(name, now_ms, max_age)
    if type(v) not in (tuple, list) or len(v) != 3:
        return (None, None, None), False
    current = total_t is None or ctx.age_ms(name, now_ms) <= total_t
    return (number(v[0]), number(v[1]), number(v[2])), current


def grid_phase_ma(ctx, now_ms, max_age, phases, voltage_dv):
    """The real grid import per phase (mA, import > 0) as far as it is freshly measured, else None.

    Per phase, the larger import of its current and its power (at its voltage) wins. A phase
    without a fresh per-phase value, or whose per-phase values are older than the total, is
    taken to carry the whole grid power (more, if the measured phases leave more for it):
    never an even share of the total, which would hide an unbalanced load. In a 1-phase
    installation the unmeasured L2 and L3 carry nothing.
    """
    total = number(ctx.fresh(C.GRID_W, now_ms, max_age))
    total_t = None if total is None else ctx.age_ms(C.GRID_W, now_ms)
    ma, ma_current = _phases(ctx, C.GRID_PHASE_MA, now_ms, max_age, total_t)
    w, w_current = _phases(ctx, C.GRID_PHASE_W, now_ms, max_age, total_t)
    out = []
    known = []  # measured per phase at least as recently as the total
    measured_w = 0
    for i in range(3):
        a, p = ma[i], w[i]
        if p is not None:
            from_w = p * 10000 // voltage_dv[i]
            a = from_w if a is None or from_w > a else a
        out.append(a)
        known.append((ma[i] is not None and ma_current) or (p is not None and w_current))
        if known[i] and a is not None:
            measured_w += a * voltage_dv[i] // 10000
    if total is not None:
        rest = total - measured_w
        whole = total if total > rest else rest
        for i in range(3):
            if known[i]:
                continue
            a = out[i]
            carry = 0 if phases == 1 and i > 0 else whole * 10000 // voltage_dv[i]
            out[i] = carry if a is None or carry > a else a
    a, b, c = out
    if a is None or b is None or c is None:
        return None  # a phase with no measurement at all: the failsafe
    return (a, b, c)


def _sampled_at(ctx, now_ms, max_age):
    """The tick the freshest grid measurement was sampled at (the source's time, not the poll's), or None."""
    best = None
    for name in (C.GRID_PHASE_MA, C.GRID_PHASE_W, C.GRID_W):
        age = ctx.age_ms(name, now_ms)
        if age is not None and age <= max_age and (best is None or age < best):
            best = age
    return None if best is None else ticks.add(now_ms, -best)


class Situation:
    """What the policies read, complete when built. ``car_ma`` is the estimate of the car's current
    per phase when the grid was sampled (``grid_at``); ``car`` is called with the half-built
    situation and returns (car_ma, charging)."""

    def __init__(self, ctx, now_ms, max_age_ms, phases, car_phases, min_ma=6000, start_ma=6000, max_ma=16000,
                 car=None):
        self.now_ms = now_ms
        self.voltage_dv = _voltages(ctx, now_ms, max_age_ms)
        self.grid_ma = grid_phase_ma(ctx, now_ms, max_age_ms, phases, self.voltage_dv)
        self.grid_at = None if self.grid_ma is None else _sampled_at(ctx, now_ms, max_age_ms)
        total = number(ctx.fresh(C.GRID_W, now_ms, max_age_ms))
        if total is None and self.grid_ma is not None:
            total = sum(self.grid_ma[i] * self.voltage_dv[i] // 10000 for i in range(3))
        self.grid_w = total
        self.pv_w = number(ctx.fresh(C.PV_W, now_ms, max_age_ms))
        self.battery_w = number(ctx.fresh(C.BATTERY_W, now_ms, max_age_ms))
        self.battery_soc = number(ctx.fresh(C.BATTERY_SOC, now_ms, max_age_ms))
        self.ev_soc = number(ctx.fresh(C.EV_SOC, now_ms, max_age_ms * 30))  # the car tells it rarely
        self.ev_direct_ma = triple(ctx.fresh(C.EV_PHASE_MA, now_ms, max_age_ms))
        self.phases = phases
        self.car_phases = car_phases
        self.min_ma = min_ma  # the charge point's minimum current
        self.start_ma = start_ma  # the budget the controller needs to start the car
        self.max_ma = max_ma
        self.car_ma, self.charging = (0, False) if car is None else car(self)

    def volts_dv(self):
        v = self.voltage_dv
        return (v[0] + v[1] + v[2]) // 3

    def car_w(self):
        """The estimated car power in W."""
        return self.car_ma * self.volts_dv() * self.car_phases // 10000

    def w_to_car_ma(self, w):
        """The current per car phase that ``w`` watts make."""
        return w * 10000 // (self.volts_dv() * self.car_phases)

    def load_ma(self, car_phases):
        """The load of each of the car's phases: what grid, PV and home battery feed them together (mA).

        PV and battery inverters feed every phase of the installation evenly (3-phase inverters do)."""
        grid = self.grid_ma
        if grid is None:
            return None
        per_phase = self.volts_dv() * self.phases
        shift = 0
        if self.pv_w is not None:
            shift += self.pv_w * 10000 // per_phase
        if self.battery_w is not None:
            shift -= self.battery_w * 10000 // per_phase
        return [grid[i] + shift for i in car_phases]
