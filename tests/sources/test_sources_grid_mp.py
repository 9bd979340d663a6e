"""Issue 13 items 1-4 with the firmware's sources running UNDER MICROPYTHON against the
simulators: what each source puts in its context for a faulty or unusual meter."""
from p1host.sim import homewizard, sma, solaredge
from p1host.sim.mprun import MicroPythonSource
from srchelp import amps_w, free_port, site_with


def poll(sim, settings):
    with sim:
        with MicroPythonSource(dict(settings, host="127.0.0.1", port=sim.port)) as mp:
            result = mp.poll()
    assert "escaped" not in result, result
    return result


def test_sma_zero_volts_and_nan_phases_leave_the_rest_measured():
    site = site_with([4600, 0, 0])
    sim = sma.simulator(site, port=free_port())
    sim.overrides = {31257: 0, 31258: 0, 31261: 0xFFFF, 31262: 0xFFFF}  # L3 at 0 V, L2 feed-in NaN
    r = poll(sim, {"kind": "sma"})
    assert r["error"] is None, r
    assert r["values"]["voltage_dv"] == [2300, 2300, None]
    assert r["values"]["grid_phase_w"] == [4600, None, 0]
    assert r["values"]["grid_w"] == 4600


def test_solaredge_grid_meter_second_after_a_production_meter():
    site = site_with(amps_w(10, 5, 2), pv_w=3000)
    r = poll(solaredge.simulator(site, port=free_port(), meters=solaredge.PRODUCTION_FIRST), {"kind": "solaredge"})
    assert r["error"] is None, r
    assert r["values"]["grid_phase_w"] == amps_w(10, 5, 2)
    assert r["values"]["grid_phase_ma"] == [10000, 5000, 2000]
    assert r["info"]["meter"] == "meter 2 (model 203, Export+Import, 3-phase)"


def test_solaredge_single_phase_meter_and_a_missing_phase_power():
    site = site_with(amps_w(10, 0, 0), phases=1)
    r = poll(solaredge.simulator(site, port=free_port(), meters=(("Export+Import", 201),)), {"kind": "solaredge"})
    assert r["values"]["grid_phase_w"] == [2300, 0, 0] and r["values"]["grid_phase_ma"] == [10000, 0, 0], r
    assert r["values"]["voltage_dv"] == [2300, None, None]
    site = site_with(amps_w(10, 5, 2))
    sim = solaredge.simulator(site, port=free_port())
    sim.overrides = {40208: 0x8000}  # WphB not implemented
    r = poll(sim, {"kind": "solaredge"})
    assert r["values"]["grid_phase_w"] == [2300, None, 460]
    assert r["values"]["grid_phase_ma"] == [10000, 5000, 2000]


def test_homewizard_without_per_phase_powers_and_single_phase():
    site = site_with(amps_w(10, 5, 2))
    sim = homewizard.simulator(site, port=free_port())
    sim.drop = {"active_power_l1_w", "active_power_l2_w", "active_power_l3_w"}
    r = poll(sim, {"kind": "homewizard"})
    assert r["values"]["grid_phase_ma"] == [10000, 5000, 2000] and "grid_phase_w" not in r["values"], r
    site = site_with(amps_w(10, 0, 0), phases=1)
    r = poll(homewizard.simulator(site, port=free_port(), meter_phases=1), {"kind": "homewizard"})
    assert r["values"]["grid_phase_ma"] == [10000, 0, 0] and r["info"]["phases"] == 1, r


def test_p1_meter_with_a_phase_at_0_volt():
    """A real meter shows a phase without voltage (a blown fuse) as 000.0 V: read, not refused."""
    import os

    from p1host.sim import p1meter

    site = site_with(amps_w(10, 5, 0))
    site.voltage_dv[2] = 0
    with p1meter.simulator(site, interval_s=0.25) as sim:
        fd = sim.reader_fd()
        try:
            settings = {"kind": "p1", "device": "fd:%d" % fd, "poll_ms": 100, "timeout_ms": 1500}
            with MicroPythonSource(settings, pass_fds=[fd]) as mp:
                mp.wait(300)
                r = mp.poll()
        finally:
            os.close(fd)
    assert r["error"] is None, r
    assert r["values"]["voltage_dv"] == [2300, 2300, None]
    assert r["values"]["grid_phase_ma"] == [10000, 5000, 0]
