"""Flash writes only between telegrams (issue 12.3): the host board models each telegram's
line time and a flash erase (the CPU held, interrupts off) and logs both; no save of the
energy registers or of a config posted through the API may overlap a transmission."""
import http.client
import json
import os
import subprocess
import time

from p1host import paths, runner, webapi

PASSWORD = "pw-123456"


def login(port):
    """The owner's session cookie (the API takes HTTP Basic auth only from the SoC modem)."""
    url = "http://127.0.0.1:%d/api/login" % port
    return webapi.call(url, {"password": PASSWORD}, 10)[1]["Set-Cookie"].split(";")[0]


def post_config(port, body, cookie):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/api/config", body=json.dumps(body).encode(),
                     headers={"Content-Type": "application/json", "Cookie": cookie})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def overlaps(log):
    sent = [(a, b) for kind, a, b, _ in log if kind == "tx"]
    return [(kind, a, b, what) for kind, a, b, what in log if kind == "flash"
            and any(a < tx_end and tx_start < b for tx_start, tx_end in sent)]


def test_the_host_board_model_sees_a_save_during_a_transmission(tmp_path):
    """The model itself: a save right after a write overlaps it (the old order); after flush() it does not."""
    code = ("import board\n"
            "u = board.uart(115200)\n"
            "u.write(b'x' * 750)\n"
            "board.flash_write('energy.json', 100)\n"
            "u.write(b'x' * 750)\n"
            "u.flush()\n"
            "board.flash_write('config.json', 100)\n")
    log = str(tmp_path / "line.log")
    env = dict(os.environ, MICROPYPATH=os.path.join(paths.BOARDS, "host"), P1GEN_UART=str(tmp_path / "uart"),
               P1GEN_LINE_LOG=log, P1GEN_MODELS="1")
    proc = subprocess.run([paths.tool("micropython"), "-c", code], env=env, capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("while the UART sends a telegram") == 1, proc.stdout
    rows = runner.Firmware.parse_line_log(open(log).read())
    assert [r[0] for r in rows] == ["tx", "flash", "tx", "flash"]
    tx_ms = rows[0][2] - rows[0][1]
    assert 64 <= tx_ms <= 67, tx_ms  # 750 bytes x 10 bits at 115200 baud
    assert [r[3] for r in overlaps(rows)] == ["energy.json"]


def test_no_save_overlaps_a_telegram_on_the_line():
    config = {"app": {"energy_save_s": 10}, "web": {"password": PASSWORD}}
    with runner.start(config, models=True) as fw, fw.reader() as reader:
        reader.wait(2, timeout=30)
        cookie = login(fw.http_port)
        start = time.monotonic()
        posted = 0
        while time.monotonic() - start < 22:  # posts at every phase of the telegram second
            code, body = post_config(fw.http_port, {"control": {"fuse_a": 25 + posted % 5}}, cookie)
            assert code == 200, body
            posted += 1
            time.sleep(0.37)
        telegrams = list(reader.telegrams)
        log = fw.line_log()
        console = fw.log()
    saves = [what.strip() for kind, _, _, what in log if kind == "flash"]
    assert saves.count("energy.json") >= 2 and saves.count("config.json") == posted, (saves, posted)
    assert len([row for row in log if row[0] == "tx"]) >= 22
    assert overlaps(log) == []
    assert "while the UART sends" not in console, console
    times = [t for t, _, parsed, error in telegrams if t >= start and parsed is not None and error is None]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(times) >= 20 and max(gaps) < 1.5, gaps
