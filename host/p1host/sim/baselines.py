"""Controllers rebuilt from their published rules, to beat on the same days, and an oracle.

Each is what its project describes, not its code:

- ``Evcc``: evcc's PV mode with its defaults: a 30 s control interval, enable
  delay 1 min, disable delay 3 min, thresholds 0 W; target current = effective
  current + (-site power) / (230 V x phases), effective current = min(highest
  phase current + 2 A, offered current); 6..16 A. It sets the charger's current
  over its API.
- ``SmartEvseSolar``: SmartEVSE's solar mode: a 2 s loop on the mains currents;
  start when the export reaches 4 A (sum of phases); +0.5 A (export > 3 A) or
  +0.1 A steps on export, -0.1 A or half the import (import > 3 A) on import,
  0.3 A deadband; stop after 10 min below the minimum.
- ``OriginalRule``: the original project's P1 rule, no hysteresis: every
  second report ``F - budget`` with budget = (PV - consumption) / V / phases.
- ``TwoMinuteScript``: a simple script: once a minute, average the export of
  the last 2 minutes, set the current to what that allows, pause below the
  minimum.
- ``Oracle``: perfect information, solar only: it sees the true site every
  second without delay and sets the current to exactly the PV the house does
  not use, pausing below the minimum (no start or stop delays of its own; the
  home battery gets nothing). The bound of a solar-only controller; one that
  holds the minimum through dips with grid energy can take more solar kWh.

Direct controllers (``direct = True``) return the charger's current setpoint
(mA, 0 = pause, None = unchanged) from ``step(ctx, now_ms, car_ma, site)``; the
charge point still reads the real load from the meter. P1 controllers return
the currents to report from ``step(ctx, now_ms)``, like the firmware's Controller.
"""
from p1gen import context as C
from p1gen import ticks

V_NOMINAL = 230


def _grid(ctx, now_ms):
    """(per-phase mA, total W) from a measurement at most 10 s old, or (None, None)."""
    ma = ctx.fresh(C.GRID_PHASE_MA, now_ms, 10000)
    w = ctx.fresh(C.GRID_PHASE_W, now_ms, 10000)
    if ma is None or w is None:
        return None, None
    return ma, sum(w)


class _Direct:
    direct = True
    title = ""

    def __init__(self, settings):
        self.min_ma = settings.get("min_a", 6) * 1000
        self.max_ma = settings.get("max_a", 16) * 1000
        self.phases = settings.get("car_phases", 3)
        self.fuse_ma = settings.get("fuse_a", 25) * 1000

    def w_to_ma(self, w):
        return w * 1000 // (V_NOMINAL * self.phases)


class Evcc(_Direct):
    title = "evcc PV mode (defaults)"
    interval_ms = 30000
    enable_ms = 60000
    disable_ms = 180000

    def __init__(self, settings):
        super().__init__(settings)
        self.offered = 0
        self._last = None
        self._since = None

    def step(self, ctx, now_ms, car_ma, site):
        if self._last is not None and ticks.diff(now_ms, self._last) < self.interval_ms:
            return None
        self._last = now_ms
        _ma, site_w = _grid(ctx, now_ms)
        if site_w is None:
            return None
        effective = min(car_ma + 2000, self.offered) if self.offered else 0
        target = effective + self.w_to_ma(-site_w)
        enabled = self.offered > 0
        if (target >= self.min_ma) != enabled:
            if self._since is None:
                self._since = now_ms
            delay = self.disable_ms if enabled else self.enable_ms
            if ticks.diff(now_ms, self._since) >= delay:
                enabled = not enabled
                self._since = None
        else:
            self._since = None
        if not enabled:
            self.offered = 0
        else:
            self.offered = max(self.min_ma, min(self.max_ma, target))
        return self.offered


class SmartEvseSolar(_Direct):
    title = "SmartEVSE solar mode"
    interval_ms = 2000
    stop_ms = 600000

    def __init__(self, settings):
        super().__init__(settings)
        self.current = 0
        self._last = None
        self._below = None

    def step(self, ctx, now_ms, car_ma, site):
        if self._last is not None and ticks.diff(now_ms, self._last) < self.interval_ms:
            return None
        self._last = now_ms
        ma, _w = _grid(ctx, now_ms)
        if ma is None:
            return None
        export = -sum(ma)  # mA, sum of phases, export > 0
        if not self.current:
            if export >= 4000:
                self.current = self.min_ma
            return self.current
        if export > 300:
            self.current += 500 if export > 3000 else 100
        elif export < -300:
            self.current -= -export // 2 if export < -3000 else 100
        self.current = min(self.current, self.max_ma)
        if self.current < self.min_ma:
            self.current = self.min_ma
            if self._below is None:
                self._below = now_ms
            if ticks.diff(now_ms, self._below) >= self.stop_ms:
                self.current = 0
                self._below = None
        else:
            self._below = None
        return self.current


class TwoMinuteScript(_Direct):
    title = "2-minute average script"

    def __init__(self, settings):
        super().__init__(settings)
        self.current = 0
        self._samples = []
        self._last = None

    def step(self, ctx, now_ms, car_ma, site):
        _ma, w = _grid(ctx, now_ms)
        if w is not None:
            self._samples.append(-w)
            del self._samples[:-120]
        if self._last is not None and ticks.diff(now_ms, self._last) < 60000:
            return None
        self._last = now_ms
        if not self._samples:
            return None
        avg_export = sum(self._samples) // len(self._samples)
        target = car_ma + self.w_to_ma(avg_export)
        self.current = min(target, self.max_ma) if target >= self.min_ma else 0
        return self.current


class Oracle(_Direct):
    title = "oracle (true site, no delay)"

    def step(self, ctx, now_ms, car_ma, site):
        target = self.w_to_ma(site.pv_w - sum(site.house_phase_w))
        return min(target, self.max_ma) if target >= self.min_ma else 0


class OriginalRule:
    """The original project: report ``F - budget`` every second, budget = surplus / V / phases."""
    direct = False
    title = "original project rule (no hysteresis)"

    def __init__(self, settings):
        self.fuse_ma = settings.get("fuse_a", 25) * 1000
        self.phases = settings.get("phases", 3)

    def step(self, ctx, now_ms):
        _ma, w = _grid(ctx, now_ms)
        if w is None:
            return (self.fuse_ma, self.fuse_ma, self.fuse_ma)
        budget = -w * 1000 // (V_NOMINAL * self.phases)
        r = max(0, min(999000, self.fuse_ma - budget))
        return (r, r, r)


BASELINES = {"evcc": Evcc, "smartevse": SmartEvseSolar, "original": OriginalRule, "script2min": TwoMinuteScript}
ORACLE = Oracle


class RealMeter:
    """The original meter module: reports the real load every second, whatever the source's poll."""
    meter = True
    title = "original module (the real load each second)"

    def __init__(self, settings):
        pass

    def report(self, grid_ma):
        return [ma if ma > 0 else 0 for ma in grid_ma]
