"""Faults, with the firmware's sources running UNDER MICROPYTHON against the simulators.

Each fault: a clear error in the context, no exception escapes, the poll takes no
longer than its timeout (plus a tolerant margin for a busy 2-core machine), and
the next poll after the fault ends reads the site's new values again.
"""
import os

import pytest

from p1host.sim import homewizard, p1meter, sma, solaredge
from p1host.sim.mprun import MicroPythonSource
from srchelp import free_port, sunny_site

TIMEOUT_MS = 500
MARGIN_MS = 1500  # scheduling slack on a loaded machine, never a speed claim

MODBUS_FAULTS = {
    "down": "connection refused",
    "hang": "timed out",
    "slow": "timed out",
    "truncate": "timed out",
    "tid": "transaction",
    "exception": "exception 4 (server device failure)",
    "nan": {"sma": "NaN", "solaredge": "not available"},
}
HTTP_FAULTS = {
    "down": "connection refused",
    "hang": "timed out",
    "slow": "timed out",
    "403": "enable the local API in the HomeWizard app",
    "500": "HTTP 500",
    "garbage": "invalid JSON",
}
SIMULATORS = {"sma": sma, "solaredge": solaredge, "homewizard": homewizard}
POLL_MS = {"sma": 1000, "solaredge": 1000, "homewizard": 500}


def inject(sim, fault):
    if fault == "down":
        sim.stop()
    else:
        sim.fault = fault


def clear(sim, fault):
    if fault == "down":
        sim.start()
    else:
        sim.fault = None


def check_good(result, site):
    assert "escaped" not in result, result
    assert result["error"] is None, result
    assert result["values"]["grid_w"] == site.grid_w()
    assert result["values"]["grid_phase_w"] == site.grid_phase_w()


def run_fault(kind, fault, words):
    site = sunny_site()
    port = free_port()
    sim = SIMULATORS[kind].simulator(site, port=port).start()
    settings = {"kind": kind, "host": "127.0.0.1", "port": port, "timeout_ms": TIMEOUT_MS, "poll_ms": POLL_MS[kind]}
    try:
        with MicroPythonSource(settings) as mp:
            check_good(mp.poll(), site)
            inject(sim, fault)
            with site.lock:
                site.house_phase_w[0] += 1500  # what a recovered poll must show
            mp.wait(POLL_MS[kind])
            bad = mp.poll(watch_loop=True)
            assert "escaped" not in bad, bad
            assert bad["error"] and words in bad["error"], bad
            assert bad["ms"] <= TIMEOUT_MS * 2 + MARGIN_MS, bad  # connect + one exchange at most
            assert bad["max_gap_ms"] < 500, bad  # the loop kept running: telegrams would go out
            clear(sim, fault)
            mp.wait(POLL_MS[kind])
            check_good(mp.poll(), site)
    finally:
        sim.fault = None
        sim.stop()


@pytest.mark.parametrize("kind", ["sma", "solaredge"])
@pytest.mark.parametrize("fault", sorted(MODBUS_FAULTS))
def test_modbus_fault_under_micropython(kind, fault):
    words = MODBUS_FAULTS[fault]
    run_fault(kind, fault, words[kind] if isinstance(words, dict) else words)


@pytest.mark.parametrize("fault", sorted(HTTP_FAULTS))
def test_homewizard_fault_under_micropython(fault):
    run_fault("homewizard", fault, HTTP_FAULTS[fault])


def test_slow_answer_within_the_timeout_is_fine():
    site = sunny_site()
    port = free_port()
    with sma.simulator(site, port=port) as sim:
        sim.fault, sim.slow_ms = "slow", 150
        with MicroPythonSource({"kind": "sma", "host": "127.0.0.1", "port": port, "timeout_ms": 1000}) as mp:
            result = mp.poll()
    check_good(result, site)
    assert result["ms"] >= 150


def test_homewizard_missing_fields_are_tolerated():
    site = sunny_site()
    port = free_port()
    with homewizard.simulator(site, port=port) as sim:
        sim.fault = "missing"
        with MicroPythonSource({"kind": "homewizard", "host": "127.0.0.1", "port": port}) as mp:
            result = mp.poll()
    assert result["error"] is None, result
    assert result["values"] == {"grid_w": site.grid_w()}


def test_nothing_listening_at_all_backs_off_without_blocking():
    port = free_port()
    with MicroPythonSource({"kind": "solaredge", "host": "127.0.0.1", "port": port, "timeout_ms": TIMEOUT_MS}) as mp:
        results = []
        for _ in range(3):
            results.append(mp.poll())
            mp.wait(1000)
    for r in results:
        assert "escaped" not in r and "127.0.0.1" in r["error"]
        assert r["ms"] <= TIMEOUT_MS + MARGIN_MS
    assert "connection refused" in results[0]["error"]


P1_FAULTS = {"crc": "CRC mismatch", "half": "half a telegram", "silent": "no telegram from the meter"}


@pytest.mark.parametrize("fault", sorted(P1_FAULTS))
def test_p1_meter_fault_under_micropython(fault):
    site = sunny_site()
    timeout_ms = 1500
    with p1meter.simulator(site, interval_s=0.25) as sim:
        fd = sim.reader_fd()
        try:
            settings = {"kind": "p1", "device": "fd:%d" % fd, "poll_ms": 100, "timeout_ms": timeout_ms}
            with MicroPythonSource(settings, pass_fds=[fd]) as mp:
                mp.wait(300)
                good = mp.poll()
                check_good(good, site)
                assert good["values"]["grid_import_wh"] == site.import_wh
                sim.fault = fault
                for _ in range(3):  # a good telegram already on its way may come first
                    mp.wait(300)
                    bad = mp.poll()
                    assert "escaped" not in bad, bad
                    assert bad["ms"] <= timeout_ms + MARGIN_MS
                    if bad["error"]:
                        break
                assert bad["error"] and P1_FAULTS[fault] in bad["error"], bad
                with site.lock:
                    site.house_phase_w[2] += 2300
                sim.fault = None
                mp.wait(600)
                check_good(mp.poll(), site)
        finally:
            os.close(fd)


@pytest.mark.parametrize("kind", ["sma", "solaredge"])
def test_dropped_idle_connection_is_reopened_within_the_poll(kind):
    site = sunny_site()
    port = free_port()
    with SIMULATORS[kind].simulator(site, port=port) as sim:
        with MicroPythonSource({"kind": kind, "host": "127.0.0.1", "port": port, "poll_ms": 1000}) as mp:
            check_good(mp.poll(), site)
            sim.drop_connections()
            mp.wait(1000)
            result = mp.poll()
    check_good(result, site)
    assert result["connects"] == 2


def test_p1_meter_read_by_path_under_micropython():
    """A pty path (the unix port cannot open it non-blocking) is read a byte per wake-up."""
    site = sunny_site()
    with p1meter.simulator(site, interval_s=0.3) as sim:
        with MicroPythonSource({"kind": "p1", "device": sim.slave_path, "poll_ms": 100, "timeout_ms": 2000}) as mp:
            first = mp.poll(watch_loop=True)
            sim.fault = "crc"
            mp.wait(700)
            bad = mp.poll()
    check_good(first, site)
    assert first["max_gap_ms"] < 500
    assert "CRC mismatch" in bad["error"]
