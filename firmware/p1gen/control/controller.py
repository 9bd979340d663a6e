"""The controller: one step per telegram from the context to the currents to report."""
from p1gen import policy, ticks
from p1gen.control import OPTIONS, safety
from p1gen.control.estimate import CarEstimate
from p1gen.control.law import Law
from p1gen.control.model import Model
from p1gen.control.situation import Situation
from p1gen.options import validate

_OLD_MS = 3000  # data older than this no longer protects the fuse as a 1 Hz meter does
_MARGIN_MA_S = 300  # then the report keeps this much margin per second of extra age
_SAME_MA = 200  # a headroom this small keeps the car where it is


def _mean(values, indexes):
    if values is None:
        return None
    total = 0
    for i in indexes:
        total += values[i]
    return total // len(indexes)


class Controller:
    def __init__(self, settings=None, policy_settings=None, resolution_ma=100, profile=None):
        """profile: the telegram profile, whose charge points' minimum is the first guess (csp1: 8 A)."""
        s, errors = validate(OPTIONS, settings or {}, "control")
        if errors:
            raise ValueError("; ".join(errors))
        self.settings = s
        self.resolution_ma = resolution_ma
        self._car = (0, 1, 2) if s["car_phases"] == 3 else (s["car_phase"] - 1,)
        self.estimate = CarEstimate()
        self.model = Model(s["settle_s"] * 1000, s["min_a"] * 1000, 8000 if profile == "csp1" else 6000)
        self._law = Law(s, self.model)
        self._policy = policy.get(s["policy"])
        self.policy_settings = {}
        errors = self.set_policy(s["policy"], policy_settings)
        if errors:
            raise ValueError("; ".join(errors))
        self._status = {}
        self._meas_at = None
        self._prev = None  # (tick, car mA) of the previous fresh measurement, for the ramp
        self._fresh = False
        self._rise = 0  # full: the car's rise since the measurement added to the report
        self.car_now_ma = 0  # the car's current predicted for now (the estimate between measurements)
        self.data_request = None  # the app sets it every telegram: True, False, or None (no pin wired)
        self.error = None

    def set_policy(self, name, settings=None):
        """Switch to policy ``name`` with ``settings``; returns the list of errors (nothing changes on error)."""
        try:
            module = policy.get(name)
        except ValueError as e:
            return [str(e)]
        ps, errors = validate(module.OPTIONS, settings or {}, "policy." + name)
        if errors:
            return errors
        self._policy = module
        self.policy_settings = ps
        self.settings["policy"] = name
        return []

    @property
    def state(self):
        """idle, starting or charging (cheap: the simulator reads it every second)."""
        return self._law.state

    def learned(self):
        """What was learned of the installation (to keep across reboots)."""
        return dict(self.model.learned)

    def learn(self, values):
        """Take learned values (``learned()`` of an earlier run); settings given explicitly stay."""
        self.model.load(values)

    def failsafe_ma(self):
        """The report while data is stale: the fuse looks full (pause) or exactly at the limit (hold)."""
        fuse = self.settings["fuse_a"] * 1000
        return fuse + self._law.max_ma if self.settings["failsafe"] == "pause" else fuse

    def step(self, ctx, now_ms):
        """The currents to report now, (l1, l2, l3) in mA; never raises."""
        try:
            return self._step(ctx, now_ms)
        except Exception as e:  # a bug here must not stop the telegrams, nor break the invariant
            self.error = "%s: %s" % (type(e).__name__, e)
            self._status = {"failsafe": True, "failsafe_why": "internal error: " + self.error}
            safe = self.failsafe_ma()
            s = self.settings
            try:
                grid = Situation(ctx, now_ms, s["stale_s"] * 1000, s["phases"], s["car_phases"]).grid_ma
            except Exception:
                grid = None
            return safety.guard((safe, safe, safe), grid, safe)

    def _car_now(self, sit):
        """Update the estimate from a fresh measurement: (car mA when sampled, charging)."""
        law = self._law
        fresh = sit.grid_ma is not None and sit.grid_at != self._meas_at
        direct = _mean(sit.ev_direct_ma, self._car)
        if fresh:
            self._meas_at = sit.grid_at
            est = self.estimate.update(sit.grid_at, sit.load_ma(self._car), direct, law.max_ma)
            model = self.model
            model.answered(sit.now_ms, est, sit.grid_at)
            prev = self._prev
            if prev is not None and est > prev[1] + 1000 and law.state != "idle":
                dt = ticks.diff(sit.grid_at, prev[0])
                if 0 < dt <= 2000:
                    model.ramped((est - prev[1]) * 1000 // dt)
            self._prev = (sit.grid_at, est)
            model.measured(sit.grid_at, est)
        self._fresh = fresh
        return self.estimate.ma, law.state != "idle"

    def _step(self, ctx, now_ms):
        s = self.settings
        law = self._law
        law.data_request = self.data_request
        model = self.model
        fuse = s["fuse_a"] * 1000
        sit = Situation(ctx, now_ms, s["stale_s"] * 1000, s["phases"], s["car_phases"], law.min_ma, law.start_ma(),
                        law.max_ma, self._car_now)
        grid = sit.grid_ma
        fresh = self._fresh
        law.set_volts(sit.volts_dv(), s["car_phases"])
        meas = sit.car_ma
        budget = None if grid is None else self._policy.budget(sit, self.policy_settings)
        passing = grid is not None and budget is policy.PASS
        following = law.state == "charging" or (passing and meas >= 1000)
        predicted = model.predict(model.ahead(now_ms), passing) if following else meas
        why = None
        age = None if sit.grid_at is None else ticks.diff(now_ms, sit.grid_at)
        margin = 0 if age is None or age <= _OLD_MS else (age - _OLD_MS) * _MARGIN_MA_S // 1000
        if grid is None:
            why = "no grid measurement in the last %d s" % s["stale_s"]
            if s["failsafe"] == "pause":
                law.pause(now_ms)
            wanted = None
            car_now = meas
        else:
            wanted = [grid[i] + margin for i in range(3)]
            if passing:
                # the load the charge point will see: the last measurement plus the car's rise since
                car_now = predicted
                rise = predicted - meas if predicted > meas else 0
                self._rise = rise
                for i in self._car:
                    wanted[i] += rise
            else:
                h = law.headroom(budget, fresh, meas, predicted, now_ms)
                car_now = meas if law.state != "charging" else predicted
                paused = law.state == "idle"
                step = self.resolution_ma
                for i in range(3):
                    if paused or i in self._car:
                        want = fuse - h
                        want = (want + step // 2) // step * step
                        if want > wanted[i]:
                            wanted[i] = want
        out = safety.guard(wanted, grid, self.failsafe_ma())
        offered = fuse - min(out[i] for i in self._car)
        self.car_now_ma = model.predict(now_ms, passing) if following and law.state != "idle" or passing else meas
        self.estimate.offer(now_ms, offered)
        if passing or law.state != "idle":
            # the least limit it may set: a charge point may pair the telegram with any current the car
            # may have now (with sparse samples, a trough they do not show included), down to the lowest
            top = law.max_ma
            sparse = model.sparse()
            low = model.lowest() if sparse else meas if meas < car_now else car_now
            low += offered
            low = top if low > top else low
            if sparse and (passing or law.state == "charging"):
                model.paired(now_ms, low)  # (a start offer's least limit is the start limit itself)
            if not -_SAME_MA < offered < _SAME_MA:
                # the limit the charge point will set: the law's, unless the floor or the rounding moved it
                implied = car_now + offered
                if not passing and -_SAME_MA < implied - law.limit < _SAME_MA:
                    implied = law.limit
                model.offered(now_ms, top if implied > top else implied, low, car_now, offered)
        self._status = {
            "policy": s["policy"],
            "state": "full" if passing else law.state,
            "budget_ma": None if budget is None or budget == policy.STOP else budget,
            "limit_ma": law.limit,
            "headroom_ma": offered,
            "report_ma": list(out),
            "grid_ma": None if grid is None else list(grid),
            "data_age_ms": age,
            "data_old": age is not None and age > _OLD_MS,
            "car_rise_ma": self._rise if passing else 0,
            "car_ma": meas,
            "car_now_ma": self.car_now_ma,
            "car_exact": self.estimate.exact,
            "failsafe": why is not None,
            "failsafe_why": why,
            "starts": law.starts,
            "unasked_pauses": law.unasked,
            "installation": model.status(),
            "error": self.error,
        }
        return out

    def status(self):
        """JSON-ready: policy, state, budget, headroom, report, car estimate, what was learned, failsafe and why."""
        out = dict(self._status)
        out["policy"] = self.settings["policy"]
        out["car_phases"] = self.settings["car_phases"]
        return out
