"""Discovery scans loopback addresses only: simulators bound to several 127.0.0.x addresses."""
import asyncio
import json
import subprocess
import sys

import pytest

from p1gen.sources import discover
from p1host.sim import homewizard, sma, solaredge
from p1host.sim.mprun import MicroPythonSource
from srchelp import free_port, sunny_site

HOSTS = ["127.0.0.%d" % i for i in range(2, 12)]


@pytest.fixture(scope="module")
def neighbourhood():
    """An SMA inverter at .3, a SolarEdge at .5 (on the second Modbus port), a HomeWizard at .7,
    a SolarEdge-only port with nothing on it elsewhere; the rest of 127.0.0.2-11 is empty."""
    site = sunny_site()
    modbus_ports = (free_port("127.0.0.3"), free_port("127.0.0.5"))
    http_port = free_port("127.0.0.7")
    sims = [sma.simulator(site, host="127.0.0.3", port=modbus_ports[0]),
            solaredge.simulator(site, host="127.0.0.5", port=modbus_ports[1]),
            homewizard.simulator(site, host="127.0.0.7", port=http_port)]
    for sim in sims:
        sim.start()
    yield {"modbus_ports": modbus_ports, "http_port": http_port}
    for sim in sims:
        sim.stop()


def expected(ports):
    return [("sma", "127.0.0.3", ports["modbus_ports"][0]),
            ("solaredge", "127.0.0.5", ports["modbus_ports"][1]),
            ("homewizard", "127.0.0.7", ports["http_port"])]


def summary(found):
    return [(f["kind"], f["host"], f["port"]) for f in found]


def test_scan_on_cpython_finds_each_device(neighbourhood):
    found = asyncio.run(discover.scan(HOSTS, neighbourhood["modbus_ports"], neighbourhood["http_port"],
                                      concurrency=4, timeout_ms=300))
    assert summary(found) == expected(neighbourhood)
    assert found[0]["device_class"] == 8001 and found[2]["product"] == "HWE-P1"


def test_scan_for_one_kind_stops_at_the_first(neighbourhood):
    found = asyncio.run(discover.scan(HOSTS, neighbourhood["modbus_ports"], None, kinds=("solaredge",), first=True))
    assert summary(found) == [expected(neighbourhood)[1]]


def test_scan_under_micropython_keeps_the_loop_running(neighbourhood):
    with MicroPythonSource() as mp:
        result = mp.scan(hosts=HOSTS, modbus_ports=list(neighbourhood["modbus_ports"]),
                         http_port=neighbourhood["http_port"], concurrency=4, timeout_ms=300)
    assert "escaped" not in result, result
    assert summary(result["found"]) == expected(neighbourhood)
    # a 10 ms ticker ran all along: the scan never held the loop for long (tolerant bound)
    assert result["ticks"] >= result["ms"] // 100
    assert result["max_gap_ms"] < 500, result


def test_a_source_without_host_finds_its_device(neighbourhood, monkeypatch):
    from p1gen import sources

    monkeypatch.setattr(discover, "local_prefix", lambda: "127.0.0")
    monkeypatch.setattr(discover, "subnet", lambda prefix: HOSTS)
    source = sources.make({"kind": "homewizard", "port": neighbourhood["http_port"]})

    async def main():
        first = (await source.poll()).error
        for _ in range(50):  # the scan runs in its own task; polls do not wait for it
            await asyncio.sleep(0.1)
            if source.settings.get("host"):
                break
        ctx = await source.poll()
        await source.close()
        return first, ctx

    first, ctx = asyncio.run(main())
    assert "scanning" in first
    assert ctx.error is None, ctx.error
    assert ctx.info["discovered"] == "127.0.0.7:%d" % neighbourhood["http_port"]
    assert source.settings["host"] == "127.0.0.7"


def test_discover_command_prints_config(neighbourhood):
    ports = neighbourhood["modbus_ports"]
    cmd = [sys.executable, "-m", "p1host", "discover", "--hosts", "127.0.0.2-6",
           "--modbus-ports", "%d,%d" % ports, "--http-port", str(neighbourhood["http_port"]), "--timeout-ms", "300"]
    text = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert text.returncode == 0, text.stderr
    assert '"kind": "sma", "host": "127.0.0.3", "port": %d, "unit": 3' % ports[0] in text.stdout
    assert '"kind": "solaredge", "host": "127.0.0.5"' in text.stdout
    as_json = subprocess.run(cmd + ["--json"], capture_output=True, text=True, timeout=60)
    assert [f["kind"] for f in json.loads(as_json.stdout)] == ["sma", "solaredge"]


def test_discover_command_refuses_a_bad_range():
    proc = subprocess.run([sys.executable, "-m", "p1host", "discover", "--hosts", "127.0.0.9-2"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "p1gen discover: --hosts: '127.0.0.9-2' is not a range like 192.168.1.10-20"


def test_under_micropython_a_source_without_host_scans_the_boards_subnet(neighbourhood):
    # the host board says its address is 127.0.0.1: the scan covers 127.0.0.1-254, loopback only
    port = neighbourhood["http_port"]
    with MicroPythonSource({"kind": "homewizard", "port": port}) as mp:
        first = mp.poll(watch_loop=True)
        for _ in range(20):
            mp.wait(250)
            result = mp.poll()
            if result["error"] is None:
                break
    assert "scanning" in first["error"] and first["max_gap_ms"] < 500
    assert result["error"] is None, result
    assert result["info"]["discovered"] == "127.0.0.7:%d" % port
    assert result["values"]["grid_w"] == sunny_site().grid_w()
