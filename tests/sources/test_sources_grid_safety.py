"""Issue 13, items 1-4: what a faulty or unusual meter did to the telegrams, each replayed
through the whole chain (firmware source -> context -> controller -> telegram read back by
dsmr_parser) against the real pymodbus / HTTP simulators."""
import pytest

from p1host.sim import homewizard, sma, solaredge
from p1host.status import format_status
from srchelp import Chain, amps_w, free_port, site_with

def run(sim, settings, control=None, steps=1, between=None):
    with sim:
        with Chain(dict(settings, host="127.0.0.1", port=sim.port), control) as chain:
            out = []
            for i in range(steps):
                if between and i:
                    between(sim)
                out.append(chain.step())
    return out[-1] if steps == 1 else out


def at_least(amps, wanted):
    for got, want in zip(amps, wanted):
        assert got >= want, (amps, wanted)


# --- item 1: a phase (or all) at 0 V stopped every telegram

VOLTS_L3_ZERO = {31257: 0, 31258: 0}
VOLTS_ALL_ZERO = {31253 + i: 0 for i in range(6)}
VOLTS_ALL_5CV = {31253 + 2 * i + k: (0, 5)[k] for i in range(3) for k in (0, 1)}  # 0.05 V


@pytest.mark.parametrize("overrides", [VOLTS_L3_ZERO, VOLTS_ALL_ZERO, VOLTS_ALL_5CV], ids=["L3", "all", "0.05V"])
def test_sma_phase_at_0_volt_keeps_the_telegrams(overrides):
    site = site_with(amps_w(12, 3, 7))
    sim = sma.simulator(site, port=free_port())
    sim.overrides = overrides
    r = run(sim, {"kind": "sma"})
    assert r["error"] is None and r["source_error"] is None, r
    assert r["status"]["failsafe"] is False
    at_least(r["amps"], (12, 3, 7))


def test_solaredge_single_phase_meter_at_0_volt_on_l2_l3():
    site = site_with(amps_w(10, 0, 0), phases=1)
    sim = solaredge.simulator(site, port=free_port(), meters=(("Export+Import", 201),))
    sim.overrides = {40197: 0, 40198: 0}  # PhVphB, PhVphC
    r = run(sim, {"kind": "solaredge"})
    assert r["error"] is None and r["source_error"] is None, r
    at_least(r["amps"], (10, 0, 0))


# --- item 2: without per-phase values the total was split evenly

def test_sma_without_per_phase_values_reports_the_whole_import_on_every_phase():
    site = site_with([4600, 0, 0])  # 20 A on L1 only
    sim = sma.simulator(site, port=free_port())
    sim.overrides = {31259 + i: 0xFFFF for i in range(12)}  # feed-in and draw per phase: NaN
    r = run(sim, {"kind": "sma"}, {"policy": "full"})
    assert r["error"] is None and r["source_error"] is None, r
    at_least(r["amps"], (20, 20, 20))


def test_sma_one_phase_nan_leaves_the_others_measured():
    site = site_with(amps_w(4, 16, 2))
    sim = sma.simulator(site, port=free_port())
    sim.overrides = {31263: 0xFFFF, 31264: 0xFFFF}  # L3 feed-in NaN: L3 unknown
    r = run(sim, {"kind": "sma"}, {"policy": "full"})
    assert r["amps"][:2] == [4, 16]  # measured, passed through
    assert r["amps"][2] >= 22  # L3 could carry the whole import


# --- item 3: the grid meter by its role

def test_solaredge_takes_the_grid_meter_after_a_production_meter():
    site = site_with(amps_w(10, 5, 2), pv_w=3000)  # the production meter sees +1000 W per phase
    sim = solaredge.simulator(site, port=free_port(), meters=solaredge.PRODUCTION_FIRST)
    r = run(sim, {"kind": "solaredge"}, {"policy": "full"})
    assert r["source_error"] is None, r
    assert r["amps"] == [10, 5, 2]
    assert r["info"]["meter"].startswith("meter 2 (model 203, Export+Import")
    assert r["info"]["meters"] == "1 Production, 2 Export+Import"
    shown = format_status({"source": {"kind": "solaredge", "health": "ok"}, "context_info": r["info"]})
    assert "solaredge, meter 2 (model 203, Export+Import, 3-phase): ok" in shown  # p1gen status says which


def test_solaredge_meter_setting_picks_one_and_refuses_a_missing_one():
    site = site_with(amps_w(10, 5, 2), pv_w=3000)
    sim = solaredge.simulator(site, port=free_port(), meters=solaredge.PRODUCTION_FIRST)
    r = run(sim, {"kind": "solaredge", "meter": 1})
    assert r["info"]["meter"].startswith("meter 1 (model 203, Production")
    sim = solaredge.simulator(site, port=free_port(), meters=solaredge.PRODUCTION_FIRST)
    r = run(sim, {"kind": "solaredge", "meter": 3})
    assert "source.meter is 3 but the inverter has 2 meter(s)" in r["source_error"]
    assert r["status"]["failsafe"] is True and min(r["amps"]) >= 25


def test_solaredge_without_a_grid_meter_says_so():
    site = site_with(amps_w(10, 5, 2), pv_w=3000)
    sim = solaredge.simulator(site, port=free_port(), meters=(("Production", 203), ("Consumption", 203)))
    r = run(sim, {"kind": "solaredge"})
    assert "no meter is set up as Export+Import (meters: 1 Production, 2 Consumption)" in r["source_error"]
    assert r["status"]["failsafe"] is True


# --- item 4: per-phase values kept, never older than the total, single-phase meters, larger import wins

def test_homewizard_without_per_phase_powers_keeps_the_currents():
    site = site_with(amps_w(10, 5, 2))
    sim = homewizard.simulator(site, port=free_port())
    sim.drop = {"active_power_l1_w", "active_power_l2_w", "active_power_l3_w"}
    r = run(sim, {"kind": "homewizard"}, {"policy": "full"})
    assert r["source_error"] is None and r["amps"] == [10, 5, 2], r


def test_solaredge_with_one_phase_power_missing_keeps_the_currents():
    site = site_with(amps_w(10, 5, 2))
    sim = solaredge.simulator(site, port=free_port())
    sim.overrides = {40208: 0x8000}  # WphB not implemented
    r = run(sim, {"kind": "solaredge"}, {"policy": "full"})
    assert r["source_error"] is None and r["amps"] == [10, 5, 2], r


def test_per_phase_values_a_dongle_stops_sending_do_not_outlive_the_total():
    site = site_with([0, 0, 0])
    sim = homewizard.simulator(site, port=free_port())

    def lose_per_phase(sim):
        with site.lock:
            site.house_phase_w = [3910, 0, 0]  # 17 A on L1
        sim.drop = {"active_%s_%s_%s" % (q, p, u) for q, u in (("power", "w"), ("current", "a"), ("voltage", "v"))
                    for p in ("l1", "l2", "l3")}

    first, second = run(sim, {"kind": "homewizard"}, {"policy": "full"}, steps=2, between=lose_per_phase)
    assert first["amps"] == [0, 0, 0]
    at_least(second["amps"], (17, 17, 17))


def test_solaredge_single_phase_meter_is_recognised():
    site = site_with(amps_w(10, 0, 0), phases=1)
    sim = solaredge.simulator(site, port=free_port(), meters=(("Export+Import", 201),))
    r = run(sim, {"kind": "solaredge"}, {"policy": "full"})  # the default phases: 3
    assert r["source_error"] is None and r["amps"] == [10, 0, 0], r
    assert "1-phase" in r["info"]["meter"]


def test_homewizard_single_phase_meter_is_recognised():
    site = site_with(amps_w(10, 0, 0), phases=1)
    sim = homewizard.simulator(site, port=free_port(), meter_phases=1)
    r = run(sim, {"kind": "homewizard"}, {"policy": "full"})
    assert r["source_error"] is None and r["amps"] == [10, 0, 0], r
    assert r["info"]["phases"] == 1


def test_homewizard_whole_amps_lose_to_the_larger_power():
    site = site_with([2461, 0, 0])  # 10.7 A at 230 V, the meter says 10 A
    sim = homewizard.simulator(site, port=free_port())
    sim.whole_amps = True
    r = run(sim, {"kind": "homewizard"}, {"policy": "full"})
    assert r["amps"][0] >= 10.7, r
