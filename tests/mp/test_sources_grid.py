"""Issue 13 items 1-4 at the core (CPython and MicroPython): every source value is cleaned on
its way into the context, a phase without a fresh measurement carries the whole import, the
larger import of current and power wins, a source's dropped values do not outlive it, the
SolarEdge grid meter is found by its role and a single-phase meter is recognised
(test_sources_telegram: a telegram goes out whatever the voltages say)."""
from mptest import raises

from p1gen import context as q
from p1gen import ticks
from p1gen.control.situation import grid_phase_ma
from p1gen.sources import homewizard, solaredge

V = (2300, 2300, 2300)
NAN = float("nan")


def _ctx(now, **values):
    ctx = q.Context()
    for name, value in values.items():
        ctx.set(name, value, "test", now)
    return ctx


def test_clean_makes_unknown_what_no_meter_can_mean():
    assert q.clean(q.VOLTAGE_DV, (2301, 0, 0)) == (2301, None, None)  # 0 V: unmeasured
    assert q.clean(q.VOLTAGE_DV, (0, 0, 0)) is None
    assert q.clean(q.VOLTAGE_DV, [2290.6, NAN, "x"]) == (2291, None, None)
    assert q.clean(q.GRID_W, 4294967294) is None  # u32 max - 1: absurd
    assert q.clean(q.GRID_W, -4600) == -4600
    assert q.clean(q.GRID_W, NAN) is None and q.clean(q.GRID_W, True) is None
    assert q.clean(q.GRID_PHASE_MA, (10000, None, 2000)) == (10000, None, 2000)
    assert q.clean(q.GRID_PHASE_MA, (1, 2)) is None
    assert q.clean(q.BATTERY_SOC, 101) is None


def test_set_forgets_a_name_with_nothing_usable():
    ctx = _ctx(ticks.ms(), voltage_dv=(2300, 2300, 2300))
    ctx.set(q.VOLTAGE_DV, (0, 0, 0), "test", ticks.ms())
    assert ctx.get(q.VOLTAGE_DV) is None
    assert ctx.mains_dv(ticks.ms(), 10000) == (2300, 2300, 2300)
    ctx.set(q.VOLTAGE_DV, (2350, 5, 2310), "test", ticks.ms())
    assert ctx.mains_dv(ticks.ms(), 10000) == (2350, 2300, 2310)


def test_update_forgets_what_the_source_no_longer_sends():
    now = ticks.ms()
    device = q.Context()
    device.set(q.EV_SOC, 50, "ev_state", now)
    source = _ctx(now, grid_w=0, grid_phase_ma=(0, 0, 0))
    device.update(source)
    source.set(q.GRID_PHASE_MA, None, "test", now)
    source.set(q.GRID_W, 3910, "test", now)
    device.update(source)
    assert device.get(q.GRID_PHASE_MA) is None and device.get(q.GRID_W) == 3910
    assert device.get(q.EV_SOC) == 50  # another origin's value stays


def test_without_per_phase_values_every_phase_carries_the_whole_import():
    now = ticks.ms()
    assert grid_phase_ma(_ctx(now, grid_w=4600), now, 10000, 3, V) == (20000, 20000, 20000)
    assert grid_phase_ma(_ctx(now, grid_w=4600), now, 10000, 1, V) == (20000, 0, 0)
    assert grid_phase_ma(_ctx(now, grid_phase_w=(920, None, 460)), now, 10000, 3, V) is None  # no total
    # L2 unknown: the total, or what the measured phases leave, whichever is more
    got = grid_phase_ma(_ctx(now, grid_w=1380, grid_phase_w=(-920, None, 460)), now, 10000, 3, V)
    assert got == (-4000, 8000, 2000)


def test_the_larger_import_of_current_and_power_wins():
    now = ticks.ms()
    ctx = _ctx(now, grid_w=2461, grid_phase_ma=(10000, 0, 0), grid_phase_w=(2461, 0, 0))
    assert grid_phase_ma(ctx, now, 10000, 3, V) == (10700, 0, 0)
    ctx = _ctx(now, grid_w=3000, grid_phase_ma=(10000, 5000, None), grid_phase_w=(None, None, 460))
    assert grid_phase_ma(ctx, now, 10000, 3, V) == (10000, 5000, 2000)


def test_per_phase_values_older_than_the_total_cannot_undercut_it():
    now = ticks.ms()
    ctx = q.Context()
    ctx.set(q.GRID_PHASE_MA, (0, 0, 0), "test", ticks.add(now, -3000))
    ctx.set(q.GRID_W, 3910, "test", now)
    assert grid_phase_ma(ctx, now, 10000, 3, V) == (17000, 17000, 17000)
    ctx.set(q.GRID_PHASE_MA, (20000, 0, 0), "test", ticks.add(now, -3000))
    assert grid_phase_ma(ctx, now, 10000, 3, V)[0] == 20000  # an older, larger import still counts


def _meters(*options):
    return [(203, 40188 + 174 * i, o) for i, o in enumerate(options)]


def test_solaredge_grid_meter_by_its_role():
    assert solaredge.role("Export+Import") == "grid" and solaredge.role("Production") == "production"
    assert solaredge.pick_meter(_meters("Production", "Export+Import")) == 2
    assert solaredge.pick_meter(_meters("")) == 1  # one meter without a role: the grid meter
    assert solaredge.pick_meter(_meters("Consumption", "")) == 2
    assert solaredge.pick_meter(_meters("Production", "Export+Import"), 1) == 1
    e = raises(ValueError, solaredge.pick_meter, _meters("Production", "Consumption"))
    assert "meters: 1 Production, 2 Consumption" in str(e) and "source.meter" in str(e)
    e = raises(ValueError, solaredge.pick_meter, _meters("Export+Import"), 2)
    assert "source.meter is 2" in str(e)
    e = raises(ValueError, solaredge.pick_meter, [])
    assert "no SolarEdge meter" in str(e)


def _hw():
    return homewizard.Source({"kind": "homewizard", "host": "10.0.0.4", "port": 80, "timeout_ms": 500,
                              "poll_ms": 1000})


def test_homewizard_keeps_currents_without_per_phase_powers():
    ctx = q.Context()
    _hw().fill(ctx, {"active_power_w": 3910, "active_current_l1_a": 10, "active_current_l2_a": 5,
                     "active_current_l3_a": 2, "active_voltage_l1_v": 0}, ticks.ms())
    assert ctx.get(q.GRID_PHASE_MA) == (10000, 5000, 2000)
    assert ctx.get(q.GRID_PHASE_W) is None and ctx.get(q.VOLTAGE_DV) is None
    assert ctx.info["phases"] == 3


def test_homewizard_single_phase_meter_without_l1_power():
    ctx = q.Context()
    _hw().fill(ctx, {"active_power_w": -1500, "active_current_l1_a": 6.5}, ticks.ms())
    assert ctx.get(q.GRID_PHASE_W) == (-1500, 0, 0)
    assert ctx.get(q.GRID_PHASE_MA) == (-6500, 0, 0)
    assert ctx.info["phases"] == 1
