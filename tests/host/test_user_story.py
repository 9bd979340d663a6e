"""A new user's first hour, without hardware: provision the emulated Pico W over its USB
port, ask its status over HTTP, watch its P1 line, switch the config, see the line change."""
import json
import os
import signal
import subprocess
import time

import pytest
from hostcli import p1gen

from p1host import runner


@pytest.fixture
def p1_line(tmp_path):
    """Two joined ptys: the board writes ``board_side``, a reader opens ``reader_side``."""
    board_side, reader_side = str(tmp_path / "p1-board"), str(tmp_path / "p1-reader")
    proc = subprocess.Popen(["socat", "PTY,link=%s,raw,echo=0" % board_side, "PTY,link=%s,raw,echo=0" % reader_side],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 10
    while not (os.path.exists(board_side) and os.path.exists(reader_side)) and time.monotonic() < deadline:
        time.sleep(0.05)
    yield board_side, reader_side
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(10)


def test_provision_status_monitor_and_a_new_config(emu_board, write_config, p1_line):
    board_side, reader_side = p1_line
    board = emu_board(uart=board_side)
    web = runner.free_port()
    first = {"telegram": {"profile": "dsmr5"}, "control": {"policy": "off"}, "web": {"port": web}}

    provisioned = p1gen("provision", "--port", board.port, "--config", write_config(first), "--wait", 60)
    assert provisioned.returncode == 0, provisioned.stdout + provisioned.stderr

    status = p1gen("status", "--json", "127.0.0.1:%d" % web)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["policy"]["running"] == "off"

    watched = p1gen("monitor", "--port", reader_side, "--profile", "dsmr5", "--count", 3, "--duration", 30)
    assert watched.returncode == 0, watched.stdout + watched.stderr
    assert "3 telegrams, 0 CRC failures, 0 unreadable" in watched.stdout

    second = dict(first, telegram={"profile": "csp1", "integer_amps": True})
    again = p1gen("provision", "--port", board.port, "--config", write_config(second, "second.json"), "--wait", 60)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "  wrote /config.json" in again.stdout

    recorded = board.workdir + "/line.bin"
    watched = p1gen("monitor", "--port", reader_side, "--count", 2, "--duration", 30, "--record", recorded)
    assert watched.returncode == 0, watched.stdout + watched.stderr
    line = open(recorded, "rb").read()
    assert b"1-3:0.2.8(40)" in line and b"XMX_P1CS_V06" in line  # now the CSP1 layout
    assert b"1-0:31.7.0(" in line and b"*A)" in line
    current = line.split(b"1-0:31.7.0(")[-1].split(b"*A)")[0]
    assert current.isdigit(), current  # whole amps, as CSP1 firmware V05 sent them
