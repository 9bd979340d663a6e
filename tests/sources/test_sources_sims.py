"""The firmware's sources (on CPython's asyncio) against the real pymodbus / HTTP simulators."""
import asyncio
import time

import pytest
from pymodbus.client import ModbusTcpClient

from p1gen import context as q
from p1gen import sources
from p1host.sim import homewizard, sma, solaredge
from srchelp import free_port, sunny_site


def polls(settings, count=1, between_s=0.0, before_each=None):
    """Poll a fresh source ``count`` times; a list of (error, {name: value}, info, seconds)."""
    async def main():
        source = sources.make(settings)
        out = []
        for i in range(count):
            if before_each:
                before_each(i)
            t = time.monotonic()
            ctx = await source.poll()
            out.append((ctx.error, {n: ctx.get(n) for n in ctx.names()}, dict(ctx.info), time.monotonic() - t))
            await asyncio.sleep(between_s)
        await source.close()
        return out

    return asyncio.run(main())


def expected_grid(site):
    return site.grid_w(), tuple(site.grid_phase_w())


def test_sma_values_match_the_site():
    site = sunny_site()
    port = free_port()
    with sma.simulator(site, port=port):
        [(error, values, info, _)] = polls({"kind": "sma", "host": "127.0.0.1", "port": port})
    assert error is None
    assert (values[q.GRID_W], values[q.GRID_PHASE_W]) == expected_grid(site)
    assert values[q.PV_W] == 4500
    assert values[q.VOLTAGE_DV] == (2291, 2304, 2317)
    assert values[q.BATTERY_SOC] == 64 and values[q.BATTERY_W] == 700
    assert values[q.RATED_W] == 5000
    assert info["device_class"] == "solar inverter" and info["serial"] == sma.SERIAL


def test_sma_input_registers_and_another_unit():
    site = sunny_site()
    port = free_port()
    with sma.simulator(site, port=port, unit=7):
        [(error, values, _, _)] = polls({"kind": "sma", "host": "127.0.0.1", "port": port, "unit": 7, "function": 4})
        [(wrong_unit, _, _, _)] = polls({"kind": "sma", "host": "127.0.0.1", "port": port, "unit": 3})
    assert error is None and values[q.GRID_W] == site.grid_w()
    assert "exception 11" in wrong_unit


def test_sma_without_energy_meter_says_so_and_keeps_pv():
    site = sunny_site(battery=False)
    port = free_port()
    with sma.simulator(site, port=port, meter=False):
        [(error, values, _, _)] = polls({"kind": "sma", "host": "127.0.0.1", "port": port})
    assert "Energy Meter" in error and "NaN" in error
    assert values[q.PV_W] == 4500
    assert q.GRID_W not in values and q.GRID_PHASE_W not in values
    assert q.BATTERY_SOC not in values  # no battery registers: no battery, no error about it


def test_solaredge_values_match_the_site():
    site = sunny_site()
    port = free_port()
    with solaredge.simulator(site, port=port):
        [(error, values, info, _)] = polls({"kind": "solaredge", "host": "127.0.0.1", "port": port})
    assert error is None
    assert (values[q.GRID_W], values[q.GRID_PHASE_W]) == expected_grid(site)
    assert values[q.PV_W] == 4500
    assert values[q.VOLTAGE_DV] == (2291, 2304, 2317)
    for got, want in zip(values[q.GRID_PHASE_MA], site.grid_phase_ma()):
        assert abs(got - want) < 10  # the meter's resolution is 0.01 A
    assert values[q.BATTERY_SOC] == 64 and values[q.BATTERY_W] == 700
    assert values[q.GRID_IMPORT_WH] == 1234567 and values[q.GRID_EXPORT_WH] == 765432
    assert info["manufacturer"] == "SolarEdge" and info["serial"] == "7E1234AB" and info["meter"] == "meter 1 (model 203, Export+Import, 3-phase)"


def test_solaredge_without_meter_or_battery():
    site = sunny_site(battery=False)
    port = free_port()
    with solaredge.simulator(site, port=port, meter=False):
        [(error, values, info, _)] = polls({"kind": "solaredge", "host": "127.0.0.1", "port": port})
    assert "no SolarEdge meter" in error and info["meter"].startswith("none: ")
    assert values[q.PV_W] == 4500 and q.BATTERY_W not in values


def test_solaredge_serves_one_connection_at_a_time():
    site = sunny_site()
    port = free_port()
    seen = {}

    def meanwhile(i):
        if i == 1:  # the firmware holds its connection: a second client is turned away
            other = ModbusTcpClient("127.0.0.1", port=port, timeout=1, retries=0)
            other.connect()
            try:
                seen["other"] = other.read_holding_registers(40000, count=2, device_id=1)
            except Exception as e:  # pymodbus raises on a closed connection
                seen["other"] = e
            finally:
                other.close()

    with solaredge.simulator(site, port=port) as sim:
        results = polls({"kind": "solaredge", "host": "127.0.0.1", "port": port, "poll_ms": 1000}, count=3,
                        between_s=1.0, before_each=meanwhile)
        refused, seen_count = sim.connections_refused, sim.connections_seen
    assert [r[0] for r in results] == [None] * 3
    assert refused == 1 and seen_count == 2 and not hasattr(seen["other"], "registers")


def test_solaredge_idle_drop_is_healed_within_the_poll():
    site = sunny_site()
    port = free_port()
    with solaredge.simulator(site, port=port, idle_s=0.5) as sim:
        results = polls({"kind": "solaredge", "host": "127.0.0.1", "port": port, "poll_ms": 1000}, count=3,
                        between_s=1.2)
        drops = sim.idle_drops
    assert [r[0] for r in results] == [None] * 3
    assert drops >= 2


def test_homewizard_values_and_request_rate():
    site = sunny_site()
    port = free_port()
    with homewizard.simulator(site, port=port) as sim:
        results = polls({"kind": "homewizard", "host": "127.0.0.1", "port": port, "poll_ms": 500}, count=12,
                        between_s=0.1)
        requests, too_soon = sim.requests, sim.too_soon
    error, values, _, _ = results[-1]
    assert error is None
    assert (values[q.GRID_W], values[q.GRID_PHASE_W]) == expected_grid(site)
    assert values[q.VOLTAGE_DV] == (2291, 2304, 2317)
    assert values[q.GRID_IMPORT_WH] == 1234567
    assert 2 <= requests <= 4 and too_soon == 0


@pytest.mark.parametrize("fault, words", [("403", "enable the local API in the HomeWizard app"),
                                          ("500", "HTTP 500"), ("garbage", "invalid JSON")])
def test_homewizard_http_faults(fault, words):
    site = sunny_site()
    port = free_port()
    with homewizard.simulator(site, port=port) as sim:
        sim.fault = fault
        [(error, values, _, _)] = polls({"kind": "homewizard", "host": "127.0.0.1", "port": port})
    assert words in error and values == {}


def test_refused_connection_backs_off():
    port = free_port()
    results = polls({"kind": "sma", "host": "127.0.0.1", "port": port, "poll_ms": 1000}, count=3, between_s=1.0)
    assert "connection refused" in results[0][0]
    assert all(r[0] for r in results)
    assert all(r[3] < 2.5 for r in results)
