"""The control law: start, stop and follow the budget through the charge point's own loop.

The charge point's load balancer sets ``limit = car current + (F - reported)``
every time it takes a telegram into account; seconds later the car follows.
So a report ``F - h`` offers the car ``h`` more than it draws. The law
returns ``h`` (mA per car phase):

- idle: ``h = -(car + minimum)``: the charge point sees no room and pauses.
  Start when the smoothed budget (time constant ``smoothing_s``) and the
  budget both exceed the minimum by ``start_margin_ma`` for ``start_delay_s``.
- starting (the car draws under 3/4 of the minimum): offer the minimum + 1 A
  at once, ``h = minimum + 1 A - car``: a damped offer would never reach the
  minimum, and a bigger one, repeated every second until the car wakes, would
  be added to the car's rising current by a charge point that applies
  telegrams late. A car that has stayed that low for a minute is nearly full:
  it is offered the budget, at least minimum + 3 A, so its own small and
  falling current never pauses the charge point.
- charging: ``h = gain * (budget - car - pending)``, nothing inside the
  deadband. ``pending`` is the headroom offered in the last ``settle_s``: on
  its way through the charge point and the car, not yet in the measurements
  (a Smith predictor). A charge point that adds every telegram's headroom to
  the car's current when it applies it, seconds later, integrates; counting
  what is in flight keeps it from overshooting for reaction delays up to
  ``settle_s``. While the budget is below the minimum the car is held 0.5 A
  above it (so an estimate a little too high cannot pause it), and no offer
  lets the charge point's limit fall under minimum + 1 A (a car stepping down
  by itself would drag it under the minimum: a pause); under minimum
  + 3 A once the car has stayed under its target for a minute (it tapers or
  limits itself, and each step down of its own would otherwise drag the
  charge point's limit under the minimum: a pause).
- stop when the shortfall of the budget under the minimum has cost
  ``stop_grid_wh`` of grid energy (a leaky bucket: a shallow dip is ridden
  out long, a deep one briefly) or the smoothed budget stayed below the
  minimum for ``stop_delay_s``; at once when the policy says STOP.
"""
from p1gen import ticks
from p1gen.policy import STOP

_HOLD_MA = 500
_FLOOR_MA = 1000
_FLOOR_LIMITED_MA = 3000
_LIMITED_MS = 60000
IDLE = "idle"
STARTING = "starting"
CHARGING = "charging"


class Law:
    def __init__(self, settings):
        self.state = IDLE
        self.smoothed = None
        self.starts = 0
        self.deficit = 0  # mA*s the budget fell short of the minimum while charging (leaky)
        self.stop_mas = 1 << 40
        self._since = None  # tick at which the pending start or stop condition began
        self._last_ms = None
        self._sent = []  # (tick, headroom) offered while charging, for the last settle_s
        self._short_since = None  # tick since which the car has stayed under its target
        self.configure(settings)

    def configure(self, s):
        self.min_ma = s["min_a"] * 1000
        self.max_ma = s["max_a"] * 1000
        self.start_ms = s["start_delay_s"] * 1000
        self.stop_ms = s["stop_delay_s"] * 1000
        self.stop_wh = s["stop_grid_wh"]
        self.tau_ms = s["smoothing_s"] * 1000
        self.deadband = s["deadband_ma"]
        self.start_margin = s["start_margin_ma"]
        self.gain = s["gain_pct"]
        self.settle_ms = s["settle_s"] * 1000

    def start_ma(self):
        """The budget that starts the car (after start_delay_s)."""
        start = self.min_ma + self.start_margin
        return start if start < self.max_ma else self.max_ma

    def set_volts(self, volts_dv, car_phases):
        """Express stop_grid_wh in mA*s per car phase at this voltage."""
        self.stop_mas = self.stop_wh * 36000000 // (volts_dv * car_phases)

    def pause(self):
        """Go idle (the policy said stop, or the data went stale)."""
        self.state = IDLE
        self._since = None
        self._sent = []
        self.deficit = 0

    def pause_headroom(self, car_ma):
        return -(car_ma + self.min_ma)

    def _pending(self, now_ms):
        """The headroom offered while charging in the last settle_s."""
        sent = self._sent
        while sent and ticks.diff(now_ms, sent[0][0]) >= self.settle_ms:
            sent.pop(0)
        total = 0
        for _, h in sent:
            total += h
        return total

    def _held(self, condition, now_ms, delay_ms):
        """True once ``condition`` has held for ``delay_ms``."""
        if not condition:
            self._since = None
            return False
        if self._since is None:
            self._since = now_ms
        return ticks.diff(now_ms, self._since) >= delay_ms

    def headroom(self, budget, car_ma, now_ms):
        """The headroom h to offer for ``budget`` with the car at ``car_ma`` (both mA per car phase)."""
        dt = 0
        if self._last_ms is not None:
            dt = ticks.diff(now_ms, self._last_ms)
            dt = 0 if dt < 0 else 10000 if dt > 10000 else dt
        self._last_ms = now_ms
        if budget == STOP:
            self.smoothed = None
            self.pause()
            return self.pause_headroom(car_ma)
        if self.smoothed is None or self.tau_ms + dt == 0:
            self.smoothed = budget
        else:
            self.smoothed += (budget - self.smoothed) * dt // (self.tau_ms + dt)
        lo = self.min_ma
        if self.state == IDLE:
            start = self.start_ma()
            if not self._held(self.smoothed >= start and budget >= start, now_ms, self.start_ms):
                return self.pause_headroom(car_ma)
            self.state = STARTING
            self.starts += 1
            self._since = None
        self.deficit += (lo - budget) * dt // 1000
        if self.deficit < 0:
            self.deficit = 0
        if self._held(self.smoothed < lo, now_ms, self.stop_ms) or self.deficit > self.stop_mas:
            self.pause()
            return self.pause_headroom(car_ma)
        top = self.max_ma
        hold = lo + _HOLD_MA if lo + _HOLD_MA <= top else top
        target = hold if budget < hold else top if budget > top else budget
        error = target - car_ma
        # a car that stays under its target for a minute takes less than offered (tapering,
        # limiting itself): it cannot overshoot, so the offers may be generous for it
        if error <= self.deadband:
            self._short_since = None
        elif self._short_since is None:
            self._short_since = now_ms
        limited = self._short_since is not None and ticks.diff(now_ms, self._short_since) >= _LIMITED_MS
        if car_ma * 4 < lo * 3:  # the car does not charge (yet, or hardly: nearly full)
            self.state = STARTING
            self._sent = []
            if not limited:
                return lo + _FLOOR_MA - car_ma
            return (target if target > lo + _FLOOR_LIMITED_MA else lo + _FLOOR_LIMITED_MA) - car_ma
        self.state = CHARGING
        h = 0
        if not -self.deadband <= error <= self.deadband:
            h = (error - self._pending(now_ms)) * self.gain // 100
            if (h > 0) != (error > 0):
                h = 0
        self._sent.append((now_ms, h))
        level = lo + (_FLOOR_LIMITED_MA if limited else _FLOOR_MA)
        if level > top:
            level = top
        return h if h > level - car_ma else level - car_ma
