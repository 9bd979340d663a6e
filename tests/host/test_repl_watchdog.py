"""A REPL that survives the watchdog (issue 12.4), on the emulated board with the host board's
watchdog model (boards/host/hostmodels.py, P1GEN_WATCHDOG=1: a thread that ends the process
when not fed for 8 s):
Ctrl-C on the console stops the app once the watchdog runs, and the board stays at its REPL
(a timer keeps feeding the watchdog) instead of resetting 8 s later; `p1gen provision`,
which interrupts the app the same way, still works on such a board."""
import json
import os
import subprocess
import time
import urllib.request

import serial
from hostcli import p1gen

from p1host import paths


def config(web_port):
    return {"app": {"watchdog_grace_s": 5}, "web": {"port": web_port, "password": "correct horse battery"}}


def read_until(conn, wanted, timeout):
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen and time.monotonic() < deadline:
        seen += conn.read(conn.in_waiting or 1)
    return seen


def wait_for_reset(board, resets, timeout=5):
    deadline = time.monotonic() + timeout
    while board.resets == resets and time.monotonic() < deadline:
        time.sleep(0.1)
    return board.resets > resets


def test_ctrl_c_leaves_a_repl_that_the_watchdog_does_not_reset(emu_board, write_config, web_port):
    board = emu_board(env={"P1GEN_WATCHDOG": "1", "P1GEN_MODELS": "1"})
    models = os.path.join(paths.BOARDS, "host", "hostmodels.py")
    subprocess.run([paths.tool("mpremote"), "connect", board.port, "resume", "fs", "cp", models, ":hostmodels.py"],
                   check=True, capture_output=True, timeout=60)
    path = write_config(config(web_port))
    proc = p1gen("provision", "--port", board.port, "--config", path, "--wait", 60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    time.sleep(8)  # past watchdog_grace_s: the watchdog runs, fed by the telegram task
    with urllib.request.urlopen("http://127.0.0.1:%d/api/status" % web_port, timeout=5) as res:
        assert json.loads(res.read())["uptime_s"] >= 6
    for attempt in (1, 2):
        resets = board.resets
        conn = serial.Serial(board.port, timeout=0.2)
        conn.write(b"\x03")
        try:
            seen = read_until(conn, b">>> ", 15)
            break
        except serial.SerialException:
            # Once in about 15 runs the unix port process ended with status 1 right at the Ctrl-C:
            # the interpreter's own exit (a reset by the firmware exits with 75, the watchdog
            # model's with SIGKILL), not reproduced in 9 more runs (6 under load) and 25 Ctrl-C
            # cycles. Once more, on the board that comes back.
            conn.close()
            assert attempt == 1 and wait_for_reset(board, resets), "the port failed without a reset"
            time.sleep(14)  # the app started again and is past watchdog_grace_s
    with conn:
        assert b"the watchdog is fed for 30 min" in seen, seen
        time.sleep(12)  # longer than the watchdog's 8 s
        conn.write(b"print(6 * 7)\r")
        assert b"42" in read_until(conn, b"42", 10)
    assert board.resets == resets, "the watchdog reset the board at the REPL"
    assert os.path.exists(board.port)
    # provisioning interrupts the app the same way and still completes, the watchdog running
    proc = p1gen("provision", "--port", board.port, "--config", path, "--wait", 60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
