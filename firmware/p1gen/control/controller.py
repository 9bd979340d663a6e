"""The controller: one step per telegram from the context to the currents to report."""
from p1gen import policy
from p1gen.control import OPTIONS, safety
from p1gen.control.estimate import CarEstimate
from p1gen.control.law import Law
from p1gen.control.situation import Situation
from p1gen.options import validate


def _mean(values, indexes):
    if values is None:
        return None
    total = 0
    for i in indexes:
        total += values[i]
    return total // len(indexes)


class Controller:
    def __init__(self, settings=None, policy_settings=None, resolution_ma=100):
        s, errors = validate(OPTIONS, settings or {}, "control")
        if errors:
            raise ValueError("; ".join(errors))
        self.settings = s
        self.resolution_ma = resolution_ma
        self._car = (0, 1, 2) if s["car_phases"] == 3 else (s["car_phase"] - 1,)
        self.estimate = CarEstimate()
        self._law = Law(s)
        self._policy = policy.get(s["policy"])
        self.policy_settings = {}
        errors = self.set_policy(s["policy"], policy_settings)
        if errors:
            raise ValueError("; ".join(errors))
        self._status = {}
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
                sit = Situation(ctx, now_ms, s["stale_s"] * 1000, s["phases"], s["car_phases"])
                grid = sit.grid_ma
            except Exception:
                grid = None
            return safety.guard((safe, safe, safe), grid, safe)

    def _step(self, ctx, now_ms):
        s = self.settings
        law = self._law
        fuse = s["fuse_a"] * 1000
        sit = Situation(ctx, now_ms, s["stale_s"] * 1000, s["phases"], s["car_phases"])
        sit.min_ma = law.min_ma
        sit.max_ma = law.max_ma
        sit.start_ma = law.start_ma()
        grid = sit.grid_ma
        # the load of the car's phases: what grid, PV and home battery feed them together; PV and
        # battery inverters feed every phase of the installation evenly (3-phase inverters do)
        load = None
        if grid is not None:
            per_phase = sit.volts_dv() * s["phases"]
            shift = 0
            if sit.pv_w is not None:
                shift += sit.pv_w * 10000 // per_phase
            if sit.battery_w is not None:
                shift -= sit.battery_w * 10000 // per_phase
            load = []
            for i in self._car:
                load.append(grid[i] + shift)
        law.set_volts(sit.volts_dv(), s["car_phases"])
        est = self.estimate.update(now_ms, load, _mean(sit.ev_direct_ma, self._car), law.max_ma)
        sit.car_ma = est
        sit.charging = law.state != "idle"
        budget = None
        why = None
        if grid is None:
            why = "no grid measurement in the last %d s" % s["stale_s"]
            if s["failsafe"] == "pause":
                law.pause()
            wanted = None
        else:
            budget = self._policy.budget(sit, self.policy_settings)
            if budget is policy.PASS:
                wanted = (grid[0], grid[1], grid[2])
            else:
                h = law.headroom(budget, est, now_ms)
                paused = law.state == "idle"
                wanted = [grid[i] for i in range(3)]
                step = self.resolution_ma
                for i in range(3):
                    if paused or i in self._car:
                        want = fuse - h
                        wanted[i] = (want + step // 2) // step * step
        out = safety.guard(wanted, grid, self.failsafe_ma())
        offered = fuse - min(out[i] for i in self._car)
        self.estimate.offer(now_ms, offered)
        self._status = {
            "policy": s["policy"],
            "state": "full" if budget is policy.PASS and why is None else law.state,
            "budget_ma": None if budget is None or budget == policy.STOP else budget,
            "headroom_ma": offered,
            "report_ma": list(out),
            "grid_ma": None if grid is None else list(grid),
            "car_ma": est,
            "car_exact": self.estimate.exact,
            "failsafe": why is not None,
            "failsafe_why": why,
            "starts": law.starts,
            "error": self.error,
        }
        return out

    def status(self):
        """JSON-ready: policy, state, budget, headroom, report, car estimate, failsafe and why."""
        out = dict(self._status)
        out["policy"] = self.settings["policy"]
        out["car_phases"] = self.settings["car_phases"]
        return out
