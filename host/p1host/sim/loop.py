"""The closed loop: PV, house, home battery, charge point and car around one controller.

The site physics is ``site.SiteState``; the controller is either the firmware's own
``p1gen.control.Controller`` (the same code the board runs: it reads a Context and
returns the currents to report) or a baseline from ``baselines`` that sets the
charge point's current directly, as evcc or SmartEVSE do over the charger's API
(the charge point then reads the real load). The charge point reads every
telegram either exactly (built by p1gen.telegram.build, parsed by dsmr_parser)
or fast (the reported currents as the telegram shows them). One step per second.
"""
from p1gen import context as C
from p1gen import telegram
from p1gen.reading import Reading

from p1host.sim.battery import Battery
from p1host.sim.car import Car
from p1host.sim.chargepoint import ChargePoint
from p1host.sim.house import House
from p1host.sim.site import SiteState

TICK_PERIOD = 1 << 30


class Scenario:
    """One day of one installation. ``pv``: W for each second of the day (86400 values)."""

    def __init__(self, name, pv, start_s=5 * 3600, end_s=19 * 3600, phases=3, fuse_a=25, house_seed=1,
                 house_extra=(), base_w=300, battery=None, car=None, charger=None, lag_s=1, poll_s=1,
                 stale=(), direct_ev=False, kind="", appliances=True):
        self.name = name
        self.kind = kind
        self.pv = pv
        self.start_s = start_s
        self.end_s = end_s
        self.phases = phases
        self.fuse_a = fuse_a
        self.house_seed = house_seed
        self.house_extra = house_extra
        self.appliances = appliances  # the seeded appliances (False: only base load and house_extra)
        self.base_w = base_w
        self.battery = battery  # Battery keyword arguments, or None
        self.car = dict(car or {})  # Car keyword arguments
        self.charger = dict(charger or {})  # ChargePoint keyword arguments (fuse_a is the scenario's)
        self.lag_s = lag_s  # age of a grid measurement when the source delivers it
        self.poll_s = poll_s  # the source delivers every poll_s seconds
        self.stale = tuple(stale)  # (start_s, end_s) windows where the source delivers nothing
        self.direct_ev = direct_ev  # the car's current is measured directly (EV_PHASE_MA)

    def control_settings(self):
        """The firmware control settings that describe this installation."""
        car = self.car
        return {"fuse_a": self.fuse_a, "phases": self.phases, "car_phases": car.get("phases", 3),
                "car_phase": car.get("phase", 0) + 1, "min_a": self.charger.get("min_a", 6),
                "max_a": self.charger.get("max_a", 16)}

    def resolution_ma(self):
        profile = self.charger.get("profile", "csp1")
        if profile == "dsmr5" or self.charger.get("integer_amps"):
            return 1000
        return 10 if profile == "emucs" else 100


class Result:
    def __init__(self, name):
        self.name = name
        self.ev_wh = 0
        self.ev_solar_wh = 0
        self.import_charging_wh = 0
        self.starts = 0
        self.over_fuse_s = 0
        self.est_sq = 0
        self.est_max_ma = 0
        self.est_n = 0
        self.controller_starts = 0
        self.unasked_pauses = 0  # the charge point paused while the controller wanted the car to charge
        self.starts_under_min = 0  # the car started while the last minute's surplus was under the minimum
        self.invariant_breaks = 0  # a report under the controller's latest real grid measurement
        self.trace = None

    @property
    def solar_share(self):
        return self.ev_solar_wh / self.ev_wh if self.ev_wh else 0.0

    def as_dict(self):
        out = dict(self.__dict__)
        out.pop("trace")
        out["est_rms_ma"] = self.est_rms_ma
        return out

    @property
    def est_rms_ma(self):
        return (self.est_sq / self.est_n) ** 0.5 if self.est_n else 0.0


def tick_of(t, tick0):
    return (tick0 + t * 1000) % TICK_PERIOD


def run(scenario, controller, exact=False, trace_every=0, tick0=TICK_PERIOD - 12 * 3600 * 1000):
    """Run one day; returns a Result (with ``trace`` rows when trace_every > 0).

    The board's ticks wrap at 2**30 ms: by default the wrap falls at noon.
    """
    sc = scenario
    site = SiteState(phases=sc.phases)
    house = House(sc.house_seed, sc.phases, sc.base_w, extra=sc.house_extra, appliances=sc.appliances)
    battery = Battery(**sc.battery) if sc.battery else None
    car = Car(**sc.car)
    charger = ChargePoint(fuse_a=sc.fuse_a, **sc.charger)
    direct = getattr(controller, "direct", False)
    meter = getattr(controller, "meter", False)
    estimate = getattr(controller, "estimate", None)
    ours = hasattr(controller, "state")  # the firmware Controller
    ctx = C.Context()
    fuse_ma = sc.fuse_a * 1000
    profile = charger.profile
    history = []  # real grid per phase, mA, of the last seconds (for the source's lag)
    result = Result(sc.name)
    rows = [] if trace_every else None
    ev_ws = solar_ws = import_ws = 0
    car_phases = car.phases
    min_ma = charger.min_ma
    surplus = []  # the true PV surplus per car phase, mA, of the last minute
    delivered = None  # the latest grid measurement the controller was given
    asked = False  # a direct controller's setpoint is above 0
    car_starts = car.starts
    for t in range(sc.start_s, sc.end_s):
        now = tick_of(t, tick0)
        site.pv_w = sc.pv[t]
        site.house_phase_w = house.phase_w(t)
        if battery is not None:
            site.battery_w = 0
            site.battery_w = battery.step(site.grid_w())
            site.battery_soc = battery.soc
        grid_ma = site.grid_phase_ma()
        history.append((now, grid_ma, site.grid_phase_w()))
        if len(history) > sc.lag_s + 1:
            history.pop(0)
        if t % sc.poll_s == 0 and not any(a <= t < b for a, b in sc.stale):
            at, seen_ma, seen_w = history[0]
            ctx.set(C.GRID_PHASE_MA, tuple(seen_ma), "sim", at)
            delivered = (t, seen_ma)
            ctx.set(C.GRID_PHASE_W, tuple(seen_w), "sim", at)
            ctx.set(C.PV_W, site.pv_w, "sim", at)
            ctx.set(C.VOLTAGE_DV, tuple(site.voltage_dv), "sim", at)
            if battery is not None:
                ctx.set(C.BATTERY_W, site.battery_w, "sim", at)
                ctx.set(C.BATTERY_SOC, site.battery_soc, "sim", at)
            if sc.direct_ev:
                ctx.set(C.EV_PHASE_MA, tuple(site.ev_phase_ma), "sim", at)
        if direct:
            setpoint = controller.step(ctx, now, car.ma, site)
            if setpoint is not None:
                if setpoint > 0 and not asked:
                    result.controller_starts += 1
                asked = setpoint > 0
                charger.setpoint_ma = setpoint
            reported = [ma if ma > 0 else 0 for ma in grid_ma]
        elif meter:
            reported = controller.report(grid_ma)
        else:
            reported = controller.step(ctx, now)
            if delivered is not None and t - delivered[0] <= 10:
                result.invariant_breaks += any(reported[i] < min(delivered[1][i], 999000) for i in range(3))
            if ours:
                asked = controller.state != "idle" and controller.settings["policy"] != "full"
        if exact:
            reading = Reading(current_ma=reported, voltage_dv=tuple(site.voltage_dv))
            charger.read_telegram(t, telegram.build(reading, profile, integer_amps=charger.integer_amps))
        else:
            charger.read_currents(t, reported, site.voltage_dv)
        paused_before = charger.pauses
        signal = charger.step(t, car.ma)
        if charger.pauses > paused_before and asked:
            result.unasked_pauses += 1
        site.ev_phase_ma = car.step(t, signal)
        spare = (site.pv_w - sum(site.house_phase_w)) * 1000 // (230 * car_phases)
        surplus.append(spare)
        if len(surplus) > 60:
            surplus.pop(0)
        if car.starts > car_starts:
            car_starts = car.starts
            if sum(surplus) // len(surplus) < min_ma:
                result.starts_under_min += 1
        site.advance(1000)
        car_w = car.power_w()
        grid_w = site.grid_phase_w()
        total = grid_w[0] + grid_w[1] + grid_w[2]
        if car_w:
            ev_ws += car_w
            import_ws += total if total > 0 else 0
            # from the sun: what PV makes beyond the house, not energy the home battery stored
            spare_pv = site.pv_w - site.house_phase_w[0] - site.house_phase_w[1] - site.house_phase_w[2]
            solar_ws += car_w if car_w < spare_pv else spare_pv if spare_pv > 0 else 0
            for ma in site.grid_phase_ma():
                if ma > fuse_ma:
                    result.over_fuse_s += 1
                    break
        if estimate is not None:
            err = estimate.ma - car.ma
            result.est_sq += err * err
            result.est_n += 1
            if abs(err) > result.est_max_ma:
                result.est_max_ma = abs(err)
        if rows is not None and t % trace_every == 0:
            rows.append((t, site.pv_w, sum(site.house_phase_w), site.battery_w, car.ma,
                         min(reported[i] for i in range(3) if car_phases == 3 or i == car.phase), total))
    result.ev_wh = ev_ws / 3600
    result.ev_solar_wh = solar_ws / 3600
    result.import_charging_wh = import_ws / 3600
    result.starts = car.starts
    if ours:
        result.controller_starts = controller.status()["starts"]
    result.trace = rows
    return result
