"""What the controller knows of the installation it drives: the charge point and the car.

Learned online from the car's answers (and kept in flash by ``p1gen.app.learned``):

- ``response_ms``: from a telegram to the first sign of it in a measurement
  (the charge point's reaction delay plus the car's own), the shortest seen;
- ``period_ms``: how much later than that the answer can come (the charge
  point takes a telegram into account only every few seconds): the longest
  seen minus the shortest;
- ``ramp_ma_s``: how fast the car's current rises;
- ``start_ms``: from the first start offer to the car drawing current (the
  charge point's restart delay plus the car waking up);
- ``min_ma``: the charge point's minimum current (raised to 8 A when an offer
  of the minimum + 1 A never starts the car).

And the prediction of the car's current between two measurements: the car
moves from what it drew when the data was sampled towards each limit the
telegrams implied that the sample cannot show yet, ``response_ms`` after each, at ``ramp_ma_s``
(down at least 3 A/s: IEC 61851 gives a car 5 s to follow a lower limit).
``lowest`` is the least the car can draw now, whatever the delays: the
floor the law keeps above the charge point's minimum. With samples more than
2 s apart (``sparse``) it also counts troughs the samples may not show
(``paired``; docs/control.md, "Sparse data").
"""
from p1gen import ticks

_DOWN_MA_S = 3000
_MAX_LIMITS = 24
_RAMPING_MS = 3000
_CAR_MS = 1000  # a car takes about a second to follow a new limit
_MAX_PERIOD_MS = 10000  # the slowest charge point takes a telegram every 10 s
_MAX_GAP_MS = 15000
_DENSE_MS = 2000  # samples at most this far apart see every trough (a charge point holds one >= 1 s)
_SAME_MA = 200
KEYS = ("response_ms", "period_ms", "ramp_ma_s", "start_ms", "min_ma")


class Model:
    __slots__ = ("response_ms", "period_ms", "ramp_ma_s", "start_ms", "min_ma", "learned", "fixed", "_limits",
                 "_lows", "_meas_at", "_meas_ma", "_prev_ma", "_cuts", "_step", "_resp_max", "_steady", "_gap")

    def __init__(self, settle_ms=0, min_ma=0, guess_min_ma=6000):
        """settle_ms, min_ma: set by the user (0: learn them); guess_min_ma: the minimum to try first."""
        self.response_ms = settle_ms or 3000  # until learned: a charge point 2 s late
        self.period_ms = 0
        self.ramp_ma_s = 1000
        self.start_ms = 45000
        self.min_ma = min_ma or guess_min_ma
        self.fixed = (("response_ms",) if settle_ms else ()) + (("min_ma",) if min_ma else ())
        self.learned = {}  # what was learned here (or imported), by key
        self._limits = []  # (tick, limit mA, least limit mA) the telegrams implied, oldest first
        self._lows = []  # [first tick, last tick, mA]: the least limit telegrams may have set, oldest first
        self._meas_at = None
        self._meas_ma = 0
        self._prev_ma = 0
        self._cuts = 0  # the cuts offered since the measurement, added up (mA, <= 0)
        self._step = None  # (tick, car before, limit) of the last step whose answer is awaited
        self._resp_max = 0
        self._steady = False  # the last two measurements saw the car at the same current
        self._gap = 0  # ms between the last two measurements' samples

    # -- learning ------------------------------------------------------------

    def set(self, key, value):
        """Learn ``value`` for ``key``, unless the user's settings fix it."""
        if key not in self.fixed:
            setattr(self, key, value)
            self.learned[key] = value

    def load(self, values):
        """Take learned values (a dict, e.g. from flash); unknown keys and bad values are ignored."""
        for key in KEYS:
            v = values.get(key) if type(values) is dict else None
            if type(v) is int and 0 <= v <= 600000:
                self.set(key, v)

    def started(self, latency_ms):
        self.set("start_ms", latency_ms if "start_ms" not in self.learned else (self.start_ms + latency_ms) // 2)

    def answered(self, now_ms, car_ma, at_ms):
        """A measurement sampled at ``at_ms`` shows the car at ``car_ma``: learn from the last step."""
        step = self._step
        if step is None:
            return
        t0, before, limit = step
        delay = ticks.diff(at_ms, t0)
        if delay > 30000:
            self._step = None
            return
        if delay <= 0 or abs(car_ma - before) * 2 < abs(limit - before):
            return
        self._step = None
        # the answer came between the previous sample and this one
        since = 0 if self._meas_at is None else ticks.diff(self._meas_at, t0)
        delay = (since + delay) // 2 if since > 0 else delay // 2
        delay = delay if delay > _CAR_MS else _CAR_MS
        first = "response_ms" not in self.learned
        self.set("response_ms", delay if first else (self.response_ms * 3 + delay) // 4)
        if first:
            self._resp_max = delay
        elif delay > self._resp_max:
            self._resp_max = delay
        period = self._resp_max - self.response_ms
        self.set("period_ms", period if period < _MAX_PERIOD_MS else _MAX_PERIOD_MS)

    def ramped(self, rate_ma_s):
        if rate_ma_s > self.ramp_ma_s or "ramp_ma_s" not in self.learned:
            self.set("ramp_ma_s", rate_ma_s if rate_ma_s > 300 else 300)

    # -- prediction ------------------------------------------------------------

    def measured(self, at_ms, car_ma):
        """A fresh measurement: the car drew ``car_ma`` at tick ``at_ms``."""
        was = self._steady
        self._steady = self._meas_at is not None and abs(car_ma - self._meas_ma) < 300
        gap = 0 if self._meas_at is None else ticks.diff(at_ms, self._meas_at)
        self._gap = gap if 0 < gap < _MAX_GAP_MS else _MAX_GAP_MS if gap > 0 else 0
        if self.sparse() and self._steady and was and abs(car_ma - self._prev_ma) < 300:
            # sparse samples may catch a swinging car at the same phase each time; three alike, and
            # a trough that began a response (or a gap) before the second is taken as gone
            since = ticks.add(self._meas_at, -(self.response_ms if self.response_ms < gap else gap))
            self._lows = [e for e in self._lows if ticks.diff(e[0], since) > 0 or e[2] >= car_ma - _SAME_MA]
        self._prev_ma = self._meas_ma
        self._cuts = 0
        self._meas_at = at_ms
        self._meas_ma = car_ma
        # a limit older than the response is in the measurement; one a little older may still
        # be moving the car (it ramps)
        keep = self.response_ms + self.period_ms + _RAMPING_MS
        limits = self._limits
        while limits and ticks.diff(at_ms, limits[0][0]) > keep:
            limits.pop(0)
        keep += self._gap if self.sparse() else 0  # a trough neither sample shows may be older
        lows = self._lows  # only the newest is ever re-pinned: in order of their last telegram too
        while lows and ticks.diff(at_ms, lows[0][1]) > keep:
            lows.pop(0)

    def offered(self, now_ms, limit_ma, low_ma, car_ma, headroom_ma):
        """A telegram offered ``headroom_ma``, implying ``limit_ma`` now (at least ``low_ma``; the car
        predicted at ``car_ma``)."""
        if headroom_ma < 0:
            self._cuts += headroom_ma
        limits = self._limits
        if limits and limits[-1][1] == limit_ma and limits[-1][2] == low_ma:
            return
        limits.append((now_ms, limit_ma, low_ma))
        if len(limits) > _MAX_LIMITS:
            limits.pop(0)
        if abs(limit_ma - car_ma) >= 1000 and self._step is None and self._steady:
            self._step = (now_ms, car_ma, limit_ma)

    def sparse(self):
        """The gap between samples (ms) when they are too far apart to see every trough the charge point
        holds the car in, else 0."""
        return self._gap if self._gap > _DENSE_MS else 0

    def paired(self, now_ms, low_ma):
        """With sparse samples, a telegram may have set a limit as low as ``low_ma``. A charge point
        pairing it with the car's current when it reads it re-pins a trough the samples do not show:
        a low lives on while telegrams repeat it (with dense samples, ``lowest`` takes the limits')."""
        lows = self._lows
        if lows and -_SAME_MA < low_ma - lows[-1][2] < _SAME_MA:
            last = lows[-1]
            last[1] = now_ms
            if low_ma < last[2]:
                last[2] = low_ma
            return
        lows.append([now_ms, now_ms, low_ma])
        if len(lows) > _MAX_LIMITS:
            lows.pop(0)

    def forget(self):
        """The charge point paused: no limit of ours is in force."""
        self._limits = []
        self._lows = []
        self._cuts = 0
        self._step = None

    def ahead(self, now_ms):
        """When a telegram sent now takes effect: a charge point may pair it with the car's current
        of that moment (the response less the car's own second)."""
        return ticks.add(now_ms, self.response_ms - _CAR_MS if self.response_ms > _CAR_MS else 0)

    def predict(self, now_ms, moving=False):
        """The car's current at ``now_ms``, as the model expects it (mA): from the measurement towards
        each limit implied since, in turn. moving: the car is still on its way to the limit in force
        when the data was sampled (a charge point restarting it by itself; not a car that stays
        under its limit), else the measurement shows where that limit took it."""
        car = self._meas_ma
        t = self._meas_at
        if t is None:
            return car
        sampled = t
        target = None
        for tick, limit, _ in self._limits:
            at = ticks.add(tick, self.response_ms)
            if ticks.diff(at, sampled) <= 0:  # in force before the sample
                target = limit if moving else None
                continue
            if ticks.diff(at, now_ms) > 0:
                break
            car = self._towards(car, target, ticks.diff(at, t))
            target = limit
            t = at
        return self._towards(car, target, ticks.diff(now_ms, t))

    def _towards(self, car, target, dt):
        """The car's current ``dt`` ms after it drew ``car``, moving towards ``target`` (None: stays)."""
        if target is None or dt <= 0:
            return car
        if target > car:
            return min(target, car + self.ramp_ma_s * dt // 1000)
        rate = self.ramp_ma_s if self.ramp_ma_s > _DOWN_MA_S else _DOWN_MA_S
        return max(target, car - rate * dt // 1000)

    def lowest(self):
        """The least the car can draw now: any limit implied since the measurement may already be
        in force (on the safe side of the learned delays: a charge point's delay varies), and a
        charge point's own meter may still show the previous measurement's current."""
        low = self._meas_ma if self._meas_ma < self._prev_ma else self._prev_ma
        horizon = self.response_ms + self.period_ms + _CAR_MS
        # a charge point that adds each telegram's headroom to the car's current when it applies
        # it takes every cut offered since the measurement
        cut = low + self._cuts
        sparse = self.sparse()
        if sparse:
            # a limit offered up to the gap between two samples before this one may have taken the
            # car through a trough neither sample shows, re-pinned since (``paired``)
            horizon += self._gap
        for entry in self._lows if sparse else self._limits:
            limit = entry[2]
            if limit < low and ticks.diff(entry[1] if sparse else entry[0], self._meas_at) > -horizon:
                low = limit
        low = cut if cut < low else low
        return low if low > 0 else 0

    def status(self):
        return {"response_ms": self.response_ms, "period_ms": self.period_ms, "ramp_ma_s": self.ramp_ma_s,
                "start_ms": self.start_ms, "min_ma": self.min_ma, "learned": sorted(self.learned),
                "fixed": sorted(self.fixed)}  # the values the user's settings fix (the others: learned or a guess)
