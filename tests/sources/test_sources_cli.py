"""`p1gen sim-source`: each simulator runs standalone and real clients read it
(pymodbus for SMA and SolarEdge, urllib for HomeWizard, dsmr_parser for the P1 meter)."""
import json
import os
import select
import subprocess
import sys
import time
import urllib.request

import pytest
from dsmr_parser import obis_references, telegram_specifications
from dsmr_parser.parsers import TelegramParser
from pymodbus.client import ModbusTcpClient

from srchelp import Chain, free_port


def start(*args):
    proc = subprocess.Popen([sys.executable, "-m", "p1host", "sim-source", *args, "--duration", "20"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready, _, _ = select.select([proc.stdout], [], [], 20)
    line = proc.stdout.readline() if ready else ""
    if "Ctrl-C" not in line:
        proc.kill()
        raise AssertionError("no start line: %r %s" % (line, proc.stderr.read()))
    return proc, line


def stop(proc):
    proc.terminate()
    proc.wait(10)
    proc.stdout.close()
    proc.stderr.close()


@pytest.mark.parametrize("kind, unit, register", [("sma", 3, 30775), ("solaredge", 1, 40083)])
def test_modbus_simulators_serve_real_clients(kind, unit, register):
    port = free_port()
    proc, line = start("--kind", kind, "--port", str(port), "--scenario", "static")
    try:
        assert "%s simulator on 127.0.0.1:%d unit %d" % (kind, port, unit) in line
        client = ModbusTcpClient("127.0.0.1", port=port, timeout=2)
        assert client.connect()
        try:
            count = 2 if kind == "sma" else 1
            reply = client.read_holding_registers(register, count=count, device_id=unit)
            assert not reply.isError(), reply
            value = reply.registers[-1]
            assert value == 2500  # the static scenario: half of the rated 5000 W
        finally:
            client.close()
    finally:
        stop(proc)


def test_solaredge_meters_in_the_order_asked_and_the_firmware_finds_the_grid_one():
    port = free_port()
    proc, line = start("--kind", "solaredge", "--port", str(port), "--meters", "production,grid", "--scenario", "static")
    try:
        assert "meters 1 Production, 2 Export+Import" in line
        with Chain({"kind": "solaredge", "host": "127.0.0.1", "port": port}) as chain:
            r = chain.step()
        assert r["source_error"] is None, r
        assert r["info"]["meter"] == "meter 2 (model 203, Export+Import, 3-phase)"
    finally:
        stop(proc)


@pytest.mark.parametrize("args, error", [
    (("--kind", "solaredge", "--meters", "grid,solar"), "--meters: one to three of grid, production, consumption, "
                                                         "got grid,solar"),
    (("--kind", "sma", "--meters", "production,grid"), "--meters applies to solaredge only")])
def test_meters_that_cannot_be_are_refused(args, error):
    proc = subprocess.run([sys.executable, "-m", "p1host", "sim-source", *args], capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "p1gen sim-source: " + error


def test_homewizard_simulator_serves_http():
    port = free_port()
    proc, _ = start("--kind", "homewizard", "--port", str(port), "--battery")
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/api" % port, timeout=5) as r:
            assert json.load(r)["product_type"] == "HWE-P1"
        time.sleep(0.5)
        with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/data" % port, timeout=5) as r:
            data = json.load(r)
        phases = data["active_power_l1_w"] + data["active_power_l2_w"] + data["active_power_l3_w"]
        assert data["active_power_w"] == phases
    finally:
        stop(proc)


def test_p1_meter_simulator_writes_telegrams_dsmr_parser_accepts(tmp_path):
    link = str(tmp_path / "p1meter")
    proc, line = start("--kind", "p1", "--link", link, "--scenario", "night")
    try:
        assert link in line
        fd = os.open(link, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        try:
            data = b""
            deadline = time.monotonic() + 5
            while data.count(b"!") < 2 and time.monotonic() < deadline:
                if select.select([fd], [], [], 0.5)[0]:
                    data += os.read(fd, 4096)
        finally:
            os.close(fd)
        start_at = data.index(b"/")
        end_at = data.index(b"\r\n", data.index(b"!", start_at)) + 2
        parsed = TelegramParser(telegram_specifications.V5, apply_checksum_validation=True).parse(
            data[start_at:end_at].decode())
        assert parsed[obis_references.P1_MESSAGE_HEADER].value == "50"
        assert float(parsed[obis_references.CURRENT_ELECTRICITY_USAGE].value) > 0  # night: importing
    finally:
        stop(proc)


def test_a_fault_that_does_not_apply_is_refused():
    proc = subprocess.run([sys.executable, "-m", "p1host", "sim-source", "--kind", "p1", "--fault", "tid"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("p1gen sim-source: --fault tid does not apply to p1")
