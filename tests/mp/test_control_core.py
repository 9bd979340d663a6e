"""The control core (policies, safety guard, failsafe, estimate, start/stop law) on both runtimes."""
from mptest import raises

from p1gen import context as C
from p1gen import policy
from p1gen.control import OPTIONS, Controller, safety
from p1gen.control.estimate import CarEstimate

WRAP = 1 << 30
FUSE = 25000


def _ctx(grid_ma, t, pv_w=None, ev_ma=None):
    ctx = C.Context()
    ctx.set(C.GRID_PHASE_MA, grid_ma, "test", t)
    if pv_w is not None:
        ctx.set(C.PV_W, pv_w, "test", t)
    if ev_ma is not None:
        ctx.set(C.EV_PHASE_MA, ev_ma, "test", t)
    return ctx


def test_guard_never_reports_less_than_the_real_import():
    assert safety.guard((1000, 30000, -5), (8000, 2000, 3000), 50000) == (8000, 30000, 3000)


def test_guard_clamps_to_999_amps_and_zero():
    assert safety.guard((2000000, -7, 5), (-3000, -3000, -3000), 1) == (999000, 0, 5)


def test_guard_takes_the_real_load_for_values_that_are_not_ints():
    assert safety.guard((None, 1.5, "x"), (4000, 5000, -6000), 0) == (4000, 5000, 0)


def test_guard_reports_the_failsafe_without_a_fresh_measurement():
    assert safety.guard((1, 2, 3), None, 41000) == (41000, 41000, 41000)
    assert safety.guard(None, None, 5000000) == (999000, 999000, 999000)


def test_every_policy_is_registered_with_valid_defaults():
    from p1gen.options import validate

    for name in policy.NAMES:
        module = policy.get(name)
        assert module.NAME == name
        settings, errors = validate(module.OPTIONS, {}, name)
        assert errors == [], errors
    assert "unknown policy" in str(raises(ValueError, policy.get, "turbo"))


def test_control_defaults_validate():
    from p1gen.options import validate

    settings, errors = validate(OPTIONS, {}, "control")
    assert errors == []
    assert settings["stale_s"] == 10 and settings["failsafe"] == "pause"


def test_bad_settings_are_refused_with_a_clear_error():
    e = raises(ValueError, Controller, {"fuse_a": "25"})
    assert "control.fuse_a" in str(e)
    c = Controller({"fuse_a": 25})
    assert c.set_policy("fixed", {"current_a": 500})[0].startswith("policy.fixed.current_a")
    assert c.set_policy("nope", {})[0].startswith("unknown policy")
    assert c.status()["policy"] == "solar"


def test_full_reports_the_real_load():
    c = Controller({"policy": "full"})
    assert c.step(_ctx((12000, -3000, 7000), 0), 0) == (12000, 0, 7000)
    assert c.status()["state"] == "full"


def test_off_shows_a_full_fuse_even_in_bright_sun():
    c = Controller({"policy": "off", "fuse_a": 25, "min_a": 6})
    for t in range(0, 120000, 1000):
        out = c.step(_ctx((-20000, -20000, -20000), t, pv_w=14000), t)
        assert min(out) >= FUSE, out


def test_stale_data_gives_the_failsafe_and_says_why():
    c = Controller({"fuse_a": 25, "max_a": 16, "stale_s": 10})
    ctx = _ctx((-10000, -10000, -10000), 0, pv_w=8000)
    assert c.step(ctx, 10000)[0] < 999000
    assert c.status()["failsafe"] is False
    assert c.step(ctx, 10001) == (41000, 41000, 41000)  # F + the charger's maximum: it pauses
    st = c.status()
    assert st["failsafe"] is True and "10 s" in st["failsafe_why"]
    hold = Controller({"fuse_a": 25, "failsafe": "hold"})
    assert hold.step(C.Context(), 0) == (25000, 25000, 25000)


def _drive(c, grid_of, t0, seconds, pv_w=9000):
    """Step the controller once a second from tick t0 (wrapping like the board)."""
    out = []
    for i in range(seconds):
        now = (t0 + i * 1000) % WRAP
        out.append(c.step(_ctx(grid_of(i), now, pv_w=pv_w), now))
    return out


def _start_time(t0):
    c = Controller({"policy": "solar", "start_delay_s": 30, "smoothing_s": 0})
    reports = _drive(c, lambda i: (-12000, -12000, -12000), t0, 60)
    for i, r in enumerate(reports):
        if r[0] < FUSE:
            return i, r
    return None, None


def test_solar_starts_after_the_start_delay_with_an_offer_that_starts_the_charger():
    i, r = _start_time(0)
    assert i == 30
    # the minimum + 1 A at once, not a damped part of it (the charger would never start)
    assert FUSE - r[0] == 7000


def test_start_delay_is_the_same_across_the_tick_wrap():
    assert _start_time(WRAP - 15000)[0] == 30
    assert _start_time(WRAP - 45000)[0] == 30


def test_solar_holds_the_car_in_a_short_cloud_and_stops_after_the_stop_delay():
    c = Controller({"policy": "solar", "start_delay_s": 0, "stop_delay_s": 60, "smoothing_s": 0,
                    "gain_pct": 50})
    sun = (-12000, -12000, -12000)
    _drive(c, lambda i: sun, 0, 5)
    # the car now draws 12 A per phase; then a cloud: 8 A import, a budget of 3.9 A
    ev = (12000, 12000, 12000)
    t = 5000
    for i in range(40):
        c.step(_ctx((8000, 8000, 8000), t, pv_w=1000, ev_ma=ev), t)
        t += 1000
    assert c.status()["state"] == "charging"
    assert c.status()["car_exact"] is True
    for i in range(40):
        out = c.step(_ctx((8000, 8000, 8000), t, pv_w=1000, ev_ma=ev), t)
        t += 1000
    assert c.status()["state"] == "idle"
    assert min(out) >= FUSE


def test_the_estimate_is_exact_with_a_direct_measurement():
    e = CarEstimate()
    assert e.update(0, (5000,), 7300, 16000) == 7300
    assert e.exact


def test_the_estimate_credits_the_car_only_as_far_as_it_was_offered():
    e = CarEstimate()
    e.update(0, (500, 500, 500), None, 16000)
    e.offer(0, 0)
    assert e.update(1000, (3500, 3500, 3500), None, 16000) == 500  # nothing offered: the house (0.5 A drift)
    e.offer(1000, 6000)
    assert e.update(2000, (9500, 9500, 9500), None, 16000) == 6500  # the car took the offer
    e.offer(2000, 2000)
    assert e.update(3000, (15500, 15500, 15500), None, 16000) == 8500  # but no more than offered
    # a drop of (nearly) all of it: the charge point paused, whatever was offered
    assert e.update(4000, (5500, 5500, 5500), None, 16000) == 0
    assert e.update(5000, (4500, 4500, 4500), None, 16000) == 0


def test_the_estimate_ignores_a_change_on_one_phase_of_a_3_phase_car():
    e = CarEstimate()
    e.update(0, (9000, 9000, 9000), None, 16000)
    e.offer(0, 10000)
    assert e.update(1000, (18000, 9000, 9000), None, 16000) == 0  # a kettle on L1
    assert e.update(2000, (24000, 15000, 16000), None, 16000) == 6000  # the car on all three


def test_the_estimate_never_exceeds_the_load_of_its_phase():
    e = CarEstimate()
    e.update(0, (0,), None, 16000)
    e.offer(0, 10000)
    assert e.update(1000, (12000,), None, 16000) == 10500  # the offer and 0.5 A of drift
    assert e.update(31500, (4000,), None, 16000) == 4000  # the whole phase draws only 4 A


def test_the_estimate_forgets_offers_after_the_window_across_the_wrap():
    e = CarEstimate()
    t0 = WRAP - 3000
    e.update(t0, (0,), None, 16000)
    e.offer(t0, 6000)
    t1 = (t0 + 31000) % WRAP
    assert e.update(t1, (6000,), None, 16000) == 0


def test_nan_and_garbage_in_the_context_never_raise():
    c = Controller({"policy": "solar"})
    ctx = C.Context()
    ctx.set(C.GRID_PHASE_MA, (float("nan"), 1, 2), "x", 0)
    ctx.set(C.PV_W, float("inf"), "x", 0)
    ctx.set(C.BATTERY_SOC, "full", "x", 0)
    assert c.step(ctx, 0) == (41000, 41000, 41000)
    ctx.set(C.GRID_W, float("nan"), "x", 0)
    ctx.set(C.GRID_PHASE_W, [100, 200], "x", 0)
    assert c.step(ctx, 0) == (41000, 41000, 41000)
    ctx.set(C.GRID_PHASE_W, [2300, 230, -230.0], "x", 0)
    assert c.step(ctx, 500) == (41000, 41000, 41000) or c.status()["failsafe"] is False
    assert c.error is None


def test_an_internal_error_still_keeps_the_invariant():
    class Broken:
        NAME = "broken"

        @staticmethod
        def budget(now, settings):
            raise RuntimeError("bug")

    c = Controller({"fuse_a": 25, "max_a": 16})
    c._policy = Broken
    out = c.step(_ctx((50000, 1000, -3000), 0), 0)
    assert out == (50000, 41000, 41000)
    assert "RuntimeError: bug" in c.status()["failsafe_why"]


def _sunny_start(c, t0=0, seconds=40, car_ma=0):
    """Steady sun (12 A of export per phase); the car draws car_ma."""
    out = None
    for i in range(seconds):
        now = (t0 + i * 1000) % WRAP
        load = -12000 + car_ma
        out = c.step(_ctx((load, load, load), now, pv_w=9000), now)
    return out


def test_the_start_offer_is_made_once_per_measurement_not_added_up():
    """While no new measurement arrives the start offer stays what it was: a charge point that adds
    each telegram's headroom to the car's current sees the same limit every time."""
    c = Controller({"policy": "solar", "start_delay_s": 0, "smoothing_s": 0}, profile="csp1")
    ctx = _ctx((-12000, -12000, -12000), 0, pv_w=9000)
    offers = [FUSE - c.step(ctx, t)[0] for t in range(0, 5000, 1000)]  # one measurement, five telegrams
    assert offers[1:] == [9000] * 4, offers  # csp1: an 8 A minimum is the first guess, + 1 A
    assert c.status()["installation"]["min_ma"] == 8000


def test_a_minimum_of_8_a_is_learned_when_7_a_never_starts_the_car():
    c = Controller({"policy": "solar", "start_delay_s": 0, "smoothing_s": 0})  # a 6 A guess
    out = _sunny_start(c, seconds=100)  # the car never draws
    assert c.status()["installation"]["min_ma"] == 8000, c.status()
    assert FUSE - out[0] == 9000
    assert c.learned()["min_ma"] == 8000
    # a new controller (after a reboot) takes what was learned; a setting overrides it
    again = Controller({"policy": "solar"})
    again.learn(c.learned())
    assert again.model.min_ma == 8000
    fixed = Controller({"policy": "solar", "min_a": 6})
    fixed.learn({"min_ma": 8000, "response_ms": "x", "ramp_ma_s": -5})
    assert fixed.model.min_ma == 6000 and fixed.learned() == {}


def test_the_minimum_is_learned_only_while_data_request_is_high_or_not_wired():
    """A start that no charge point read (Data Request low) says nothing of its minimum."""
    for data_request, learned in ((True, 8000), (None, 8000), (False, None)):
        c = Controller({"policy": "solar", "start_delay_s": 0, "smoothing_s": 0})  # a 6 A guess
        c.data_request = data_request
        _sunny_start(c, seconds=100)  # the car never draws
        assert c.learned().get("min_ma") == learned, (data_request, c.learned())
        assert c.status()["installation"]["min_ma"] == (learned or 6000)
    # low for a moment during the start is enough to conclude nothing; the next start waits longer
    c = Controller({"policy": "solar", "start_delay_s": 0, "smoothing_s": 0})
    c.data_request = True
    _sunny_start(c, seconds=30)
    c.data_request = False
    _sunny_start(c, 30000, 2)
    c.data_request = True
    _sunny_start(c, 32000, 70)
    assert "min_ma" not in c.learned() and c.status()["state"] == "idle"


def test_a_pause_the_controller_did_not_ask_for_is_followed_and_counts_as_a_stop():
    c = Controller({"policy": "solar", "start_delay_s": 5, "smoothing_s": 0})
    _sunny_start(c, seconds=10)
    assert c.status()["state"] == "starting"
    _sunny_start(c, 10000, 10, car_ma=9000)  # the car draws
    assert c.status()["state"] == "charging" and c.status()["starts"] == 1
    out = _sunny_start(c, 20000, 1, car_ma=0)  # the charge point paused by itself
    st = c.status()
    assert st["state"] == "idle" and st["unasked_pauses"] == 1 and min(out) >= FUSE
    _sunny_start(c, 21000, 4, car_ma=0)  # the start delay runs again from the pause
    assert c.status()["state"] == "idle"
    _sunny_start(c, 25000, 2, car_ma=0)
    assert c.status()["state"] == "starting"


def test_old_data_is_flagged_and_keeps_a_margin_over_the_real_load():
    c = Controller({"policy": "full"})
    ctx = _ctx((10000, 2000, 3000), 0)
    assert c.step(ctx, 1000) == (10000, 2000, 3000) and not c.status()["data_old"]
    out = c.step(ctx, 9000)  # 9 s old: 6 s beyond what a 1 Hz meter gives, 0.3 A each
    assert out == (11800, 3800, 4800), out
    assert c.status()["data_old"] and c.status()["data_age_ms"] == 9000


def test_learned_values_are_kept_in_a_file_between_telegrams():
    import os

    from p1gen.app.learned import Learned

    path = "/tmp/p1gen-test-learned-%d.json" % (os.getpid() if hasattr(os, "getpid") else 0)
    try:
        os.remove(path)
    except OSError:
        pass
    keep = Learned(path)
    c = Controller({"policy": "solar"})
    assert keep.keep(c, 0) is False  # a new controller: it gets what was learned (nothing yet)
    c.model.set("response_ms", 4200)
    assert keep.keep(c, 1000) is True
    assert keep.keep(c, 2000) is False  # at most once a minute, and only when it changed
    after_boot = Controller({"policy": "solar"})
    Learned(path).keep(after_boot, 0)
    assert after_boot.model.response_ms == 4200
    with open(path, "w") as f:
        f.write("{broken")
    broken = Learned(path)
    assert broken.values == {} and "unreadable" in broken.error
    os.remove(path)
