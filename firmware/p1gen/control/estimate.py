"""The estimate of the car's present current, per car phase, in mA.

Exact when the car's current is measured directly (context ``EV_PHASE_MA``).
Otherwise it is inferred from what was offered and how the load answered.

The load of a phase is what the grid, the PV and the home battery feed it
together (house + car): a zero-grid home battery answers every change of the
car, so the grid alone would hide it, and clouds change the PV, not the load.
A change of the load is credited to the car only

- when it is common to all the car's phases (a 3-phase car changes all three
  alike; a kettle changes one), and
- as far as the headroom offered in the last seconds lets the car move: with
  no offer the charge point keeps the car where it is, after offers of +2 A
  and +1 A it rose by at most 3 A,
- except a common drop close to the whole estimate: the charge point paused
  or the car is full, whatever was offered.

Two hard bounds: 0 <= estimate <= the charger's maximum, and the car never
draws more than its phase's whole load. ``p1gen bench control`` prints how
wrong the estimate gets (column ``est A``).
"""
from p1gen import ticks

_WINDOW_MS = 30000  # the longest a charge point (10 s late, every 10 s), the data (13 s old) and the car take
_MAX_OFFERS = 32
_SLACK_MA = 500


def _common(deltas):
    """The change all values share: the smallest in size if all move the same way, else 0."""
    first = deltas[0]
    if first == 0:
        return 0
    common = first
    for d in deltas:
        if (d > 0) != (first > 0) or d == 0:
            return 0
        if (d < common) if first > 0 else (d > common):
            common = d
    return common


class CarEstimate:
    __slots__ = ("ma", "exact", "_last", "_offers")

    def __init__(self):
        self.ma = 0
        self.exact = False
        self._last = None  # the load per car phase at the previous update
        self._offers = []  # (tick, headroom mA offered, estimate then)

    def offer(self, now_ms, headroom_ma):
        """Record that the report just sent offers ``headroom_ma`` above the present current."""
        offers = self._offers
        offers.append((now_ms, headroom_ma, self.ma))
        if len(offers) > _MAX_OFFERS:
            offers.pop(0)

    def _bounds(self, now_ms, est):
        """How far the offers of the last few seconds let the car move: (lo, hi)."""
        offers = self._offers
        while offers and ticks.diff(now_ms, offers[0][0]) > _WINDOW_MS:
            offers.pop(0)
        if not offers:
            return est, est
        lo = hi = offers[0][2]
        for _, headroom, _before in offers:
            if headroom > 0:
                hi += headroom
            else:
                lo += headroom
        lo -= _SLACK_MA  # the car drifts a little by itself, and rounding adds up
        hi += _SLACK_MA
        return (lo if lo < est else est), (hi if hi > est else est)

    def update(self, now_ms, load_ma, direct_ma, max_ma):
        """Advance the estimate with this step's measurements and return it.

        load_ma: the load of each of the car's phases (a tuple, mA; None when stale);
        direct_ma: the car's measured current (None: not measured).
        """
        last = self._last
        self._last = load_ma
        if direct_ma is not None:
            self.exact = True
            self.ma = min(max(direct_ma, 0), max_ma)
            return self.ma
        self.exact = False
        if load_ma is None:
            return self.ma
        est = self.ma
        if last is not None:
            lo, hi = self._bounds(now_ms, est)
            common = _common([load_ma[i] - last[i] for i in range(len(load_ma))])
            est += common
            if not (common < 0 and est * 10 <= -common * 3):  # unless it all but stopped
                est = lo if est < lo else hi if est > hi else est
        for phase in load_ma:
            if est > phase:
                est = phase
        self.ma = min(max(est, 0), max_ma)
        return self.ma
