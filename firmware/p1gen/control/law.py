"""The control law: start, stop and follow the budget through the charge point's own loop.

The charge point's load balancer sets ``limit = car current + (F - reported)``
every time it takes a telegram into account; seconds later the car follows.
So a report ``F - h`` offers the car ``h`` more than it draws. The law decides
the limit ``L`` it wants the charge point to set, once per fresh measurement
(one decision per piece of information), and on every telegram offers
``h = L - car``, with ``car`` the car's current predicted for now
(``model``): a charge point that adds every telegram's headroom to the car's
rising current then still lands on ``L``, whatever its delay.

- idle: ``h = -max``: the charge point sees no room and pauses. Start when the
  smoothed budget (time constant ``smoothing_s``) and the budget both exceed
  the minimum by ``start_margin_ma`` for ``start_delay_s``, counted from the
  last stop (asked for or not) at the earliest.
- starting: ``L`` = the minimum + 1 A, offered in full until a measurement
  shows the car drawing. Never while the smoothed budget is under the start
  threshold. No car current within the learned start time while Data
  Request stayed high (or is not wired): the charge point's minimum is higher
  than thought (8 A is the other common value), and the start is tried again
  there; failing that too, or with Data Request low at any time (no charge
  point read the offer), the car is done (full, or unplugged) or nobody
  listens: the next start waits 15 minutes more and nothing is learned.
- charging: on each fresh measurement ``L`` moves towards the budget by
  ``gain_pct`` per second the data covers, nothing inside the deadband. While
  the budget is below the minimum the car is held 0.5 A above it. Whatever
  the prediction gets wrong, no offer can put the charge point's limit under
  the minimum + 1 A for any car current the car may have now (the model's
  ``lowest``), and under the minimum + 3 A once the car has stayed under its
  limit for a minute (it tapers or limits itself). With data sparser than the
  charge point answers, a cut is offered a bit each telegram until the next
  sample (``_ramp``).
- a measurement showing the car at 0 while charging: the charge point paused
  or the car finished. The law follows (idle) and counts it as a stop.
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
_DRAWING_MA = 1000  # a car drawing less is not charging
_SECOND_MIN_MA = 8000
_GIVEN_UP_MS = 900000
IDLE = "idle"
STARTING = "starting"
CHARGING = "charging"


class Law:
    def __init__(self, settings, model):
        self.model = model
        self.state = IDLE
        self.smoothed = None
        self.starts = 0  # starts the car took
        self.unasked = 0  # pauses the law did not ask for
        self.deficit = 0  # mA*s the budget fell short of the minimum while charging (leaky)
        self.stop_mas = 1 << 40
        self.limit = 0  # the limit L the law wants the charge point to set
        self._ramp = None  # (tick, from mA, over ms): a cut offered a bit each telegram until the next sample
        self._since = None  # tick at which the pending start or stop condition began
        self._last_ms = None
        self._meas_ms = None  # tick of the previous fresh measurement
        self._started = None  # tick of the first start offer
        self._short_since = None  # tick since which the car has stayed under its limit
        self._backoff = 0  # extra wait before the next start after one the car did not take
        self.data_request = None  # the charge point's Data Request line: True, False, None (not wired)
        self._unheard = False  # Data Request was low during this start: it says nothing of the minimum
        self.configure(settings)

    def configure(self, s):
        self.max_ma = s["max_a"] * 1000
        self.start_ms = s["start_delay_s"] * 1000
        self.stop_ms = s["stop_delay_s"] * 1000
        self.stop_wh = s["stop_grid_wh"]
        self.tau_ms = s["smoothing_s"] * 1000
        self.deadband = s["deadband_ma"]
        self.start_margin = s["start_margin_ma"]
        self.gain = s["gain_pct"]

    @property
    def min_ma(self):
        return self.model.min_ma

    def start_ma(self):
        """The budget that starts the car (after start_delay_s)."""
        start = self.min_ma + self.start_margin
        return start if start < self.max_ma else self.max_ma

    def set_volts(self, volts_dv, car_phases):
        """Express stop_grid_wh in mA*s per car phase at this voltage."""
        self.stop_mas = self.stop_wh * 36000000 // (volts_dv * car_phases)

    def pause(self, now_ms, asked=True):
        """Go idle: the law asks for it (the policy said stop, the data went stale) or follows the charge point."""
        if self.state != IDLE and not asked:
            self.unasked += 1
        self.state = IDLE
        self._since = None
        self.deficit = 0
        self.limit = 0
        self.model.forget()
        return -self.max_ma

    def _held(self, condition, now_ms, delay_ms):
        """True once ``condition`` has held for ``delay_ms``."""
        if not condition:
            self._since = None
            return False
        if self._since is None:
            self._since = now_ms
        return ticks.diff(now_ms, self._since) >= delay_ms

    def _give_up_ms(self):
        m = self.model
        return m.start_ms * 2 + 10000 if "start_ms" in m.learned else m.start_ms + 30000

    def headroom(self, budget, fresh, car_meas, car_now, now_ms):
        """The headroom h to offer now (mA per car phase).

        budget: what the policy allows (absolute, mA per car phase); fresh: this
        step brings a new measurement, in which the car drew ``car_meas``;
        car_now: the car's current predicted for now.
        """
        dt = 0
        if self._last_ms is not None:
            dt = ticks.diff(now_ms, self._last_ms)
            dt = 0 if dt < 0 else 10000 if dt > 10000 else dt
        self._last_ms = now_ms
        if budget == STOP:
            self.smoothed = None
            return self.pause(now_ms)
        if self.smoothed is None or self.tau_ms + dt == 0:
            self.smoothed = budget
        else:
            self.smoothed += (budget - self.smoothed) * dt // (self.tau_ms + dt)
        lo = self.min_ma
        start = self.start_ma()
        if self.state == IDLE:
            if not self._held(self.smoothed >= start and budget >= start, now_ms, self.start_ms + self._backoff):
                return -self.max_ma
            self._start(now_ms)
        if self.state == STARTING:
            if not (fresh and car_meas >= _DRAWING_MA):
                if self.smoothed < start:
                    return self.pause(now_ms)
                if self.data_request is False:
                    self._unheard = True
                if ticks.diff(now_ms, self._started) > self._give_up_ms():
                    m = self.model
                    if self._unheard or self.min_ma >= _SECOND_MIN_MA or "start_ms" in m.learned \
                            or "min_ma" in m.fixed:
                        self._backoff = _GIVEN_UP_MS  # the car does not charge (full, or not plugged in)
                        return self.pause(now_ms)
                    m.set("min_ma", _SECOND_MIN_MA)
                    self._start(now_ms)
                return self.limit - car_meas
            self.model.started(ticks.diff(now_ms, self._started))
            self.state = CHARGING
            self.starts += 1  # a start the car took (an offer withdrawn in time is none)
            self._backoff = 0
            self._meas_ms = None
        # charging
        if fresh and car_meas < _DRAWING_MA:
            return self.pause(now_ms, asked=False)  # the charge point paused, or the car is full
        self.deficit += (lo - budget) * dt // 1000
        if self.deficit < 0:
            self.deficit = 0
        if self._held(self.smoothed < lo, now_ms, self.stop_ms) or self.deficit > self.stop_mas:
            return self.pause(now_ms)
        top = self.max_ma
        if fresh:
            self._decide(budget, car_meas, now_ms)
            gap = self.model.sparse()
            # data sparser than the charge point answers: a cut offered at once and then held is
            # undone by a charge point that pairs the next telegrams with the car's current before it
            # moved, and the samples cannot see it; offered a bit each telegram until the next
            # sample, every charge point lands alike
            slow = gap > self.model.response_ms and self.limit < car_now
            self._ramp = (now_ms, car_now, gap) if slow else None
        limited = self._short_since is not None and ticks.diff(now_ms, self._short_since) >= _LIMITED_MS
        level = lo + (_FLOOR_LIMITED_MA if limited else _FLOOR_MA)
        level = level if level < top else top
        if self.limit < level:
            self.limit = level
        if limited:
            car_now = car_meas  # it does not follow the offers: the prediction would be wrong
        want = self.limit
        ramp = self._ramp
        if ramp is not None:
            done = ticks.diff(now_ms, ramp[0])
            if done < ramp[2]:
                want = ramp[1] + (want - ramp[1]) * done // ramp[2]
        h = want - car_now
        floor = level - self.model.lowest()
        return h if h > floor else floor

    def _start(self, now_ms):
        self.state = STARTING
        self._started = now_ms
        self._unheard = self.data_request is False
        self._since = None
        self._short_since = None
        self.limit = self.min_ma + _FLOOR_MA

    def _decide(self, budget, car_meas, now_ms):
        """A fresh measurement: move the limit towards the budget."""
        lo = self.min_ma
        top = self.max_ma
        covers = 1000 if self._meas_ms is None else ticks.diff(now_ms, self._meas_ms)
        self._meas_ms = now_ms
        hold = lo + _HOLD_MA if lo + _HOLD_MA <= top else top
        target = hold if budget < hold else top if budget > top else budget
        if car_meas >= self.limit - self.deadband:
            self._short_since = None
        elif self._short_since is None:
            self._short_since = now_ms
        error = target - self.limit
        if -self.deadband <= error <= self.deadband:
            return
        gain = self.gain * covers // 1000
        gain = self.gain if gain < self.gain else 100 if gain > 100 else gain
        self.limit += error * gain // 100
