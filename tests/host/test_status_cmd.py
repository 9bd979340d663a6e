"""`p1gen status` against the firmware's own HTTP API (unix port), and its error paths."""
import http.server
import json
import os
import threading
import time

import pytest
from hostcli import one_line_error, p1gen

from p1gen import __version__ as VERSION
from p1host import runner
from p1host.sim.homewizard import HomeWizardSim
from p1host.sim.site import SiteState

PASSWORD = "tulip-bulb-42"


@pytest.fixture(scope="module")
def firmware():
    config = {"telegram": {"profile": "dsmr5"}, "control": {"policy": "fixed"},
              "web": {"password": PASSWORD, "open_reads": True}}
    with runner.start(config) as fw:
        with fw.reader() as p1:
            p1.wait(2, timeout=30)  # it runs: two telegrams on its P1 line
        yield fw


@pytest.fixture(scope="module")
def closed_firmware():
    config = {"web": {"password": PASSWORD, "open_reads": False}}
    with runner.start(config) as fw:
        with fw.reader() as p1:
            p1.wait(1, timeout=30)
        yield fw


@pytest.fixture(scope="module")
def slow_firmware(tmp_path_factory):
    """A source read every 8 s (its data is older than a 1 Hz meter's most of the time) and what
    an earlier run learned in flash: the charge point's minimum and the car's ramp. settle_s
    is set, so the reaction delay is the user's, whatever was learned."""
    state = tmp_path_factory.mktemp("fw")
    (state / "learned.json").write_text(json.dumps({"min_ma": 8000, "ramp_ma_s": 2500, "response_ms": 9000}))
    with HomeWizardSim(SiteState(), port=runner.free_port()) as sim:
        config = {"telegram": {"profile": "dsmr5"}, "control": {"policy": "full", "settle_s": 4},
                  "web": {"password": PASSWORD, "open_reads": True},
                  "source": {"kind": "homewizard", "host": "127.0.0.1", "port": sim.port, "poll_ms": 8000}}
        with runner.start(config, state_dir=str(state)) as fw:
            with fw.reader() as p1:
                p1.wait(2, timeout=30)
            yield fw


def test_prints_the_boards_status(firmware):
    proc = p1gen("status", firmware.url())
    assert proc.returncode == 0, proc.stderr + firmware.log()
    lines = dict(line.split(None, 1) for line in proc.stdout.splitlines() if not line.startswith("data request"))
    assert lines["board"].startswith("host, firmware %s, " % VERSION)
    assert lines["policy"] == "fixed"
    assert "(dsmr5 profile)" in lines["telegrams"] and int(lines["telegrams"].split()[0]) >= 2
    assert lines["config"] == "ok"
    assert lines["failsafe"].startswith(("ACTIVE", "off"))
    assert "data request  high" in proc.stdout


def test_prints_what_was_learned_and_that_the_data_is_old(slow_firmware):
    """The data's age and the learned values come from the firmware's own status: the page's
    warning has its line here too."""
    deadline = time.monotonic() + 30
    rows = {}
    while not rows.get("energy data", "").startswith("OLD") and time.monotonic() < deadline:
        proc = p1gen("status", slow_firmware.url())
        if proc.returncode:  # the web server starts after the telegrams
            time.sleep(0.5)
            continue
        rows = dict((k.strip(), v.strip()) for k, v in (line.split("  ", 1) for line in proc.stdout.splitlines()))
    assert rows.get("energy data", "").startswith("OLD: "), proc.stdout + proc.stderr + slow_firmware.log()[-2000:]
    assert "older than the fuse protection needs" in rows["energy data"]
    assert float(rows["energy data"].split()[1]) > 3.0
    assert rows["installation"] == ("reaction 4.0 s (set), takes each telegram (guess), car ramp 2.5 A/s (learned), "
                                    "start delay 45 s (guess), minimum 8.0 A (learned)"), proc.stdout


def test_json_output_is_the_api_status(firmware):
    proc = p1gen("status", "--json", firmware.url("/api/status"))
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    assert status["board"] == "host" and status["telegram"]["profile"] == "dsmr5"
    assert PASSWORD not in proc.stdout


def test_a_board_without_open_reads_needs_the_password(closed_firmware):
    env = {k: v for k, v in os.environ.items() if k != "P1GEN_PASSWORD"}
    line = one_line_error(p1gen("status", closed_firmware.url(), env=env), "status")
    assert "needs a login" in line and "P1GEN_PASSWORD" in line
    line = one_line_error(p1gen("status", closed_firmware.url(), env=dict(env, P1GEN_PASSWORD="wrong")), "status")
    assert "login to %s failed: wrong password" % closed_firmware.url() in line
    proc = p1gen("status", closed_firmware.url(), env=dict(env, P1GEN_PASSWORD=PASSWORD))
    assert proc.returncode == 0, proc.stderr
    assert "config        ok" in proc.stdout


class _Canned(http.server.BaseHTTPRequestHandler):
    """A web server that is not a p1gen board (or a broken one)."""

    def do_GET(self):
        code, ctype, body = self.server.answer
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def canned():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_a_web_server_that_is_not_a_board(canned):
    canned.answer = (200, "text/html", b"<html>router login</html>")
    url = "http://127.0.0.1:%d" % canned.server_address[1]
    assert "did not answer with JSON: is this a p1gen board?" in one_line_error(p1gen("status", url), "status")


def test_a_failing_board_shows_its_error(canned):
    canned.answer = (500, "application/json", b'{"error": "internal error: MemoryError"}')
    url = "127.0.0.1:%d" % canned.server_address[1]  # the scheme may be left out
    line = one_line_error(p1gen("status", url), "status")
    assert "answered HTTP 500: internal error: MemoryError" in line


def test_a_board_that_is_not_there():
    url = "http://127.0.0.1:%d" % runner.free_port()
    line = one_line_error(p1gen("status", url, "--timeout", 2), "status")
    assert "cannot reach %s/api/status: Connection refused" % url in line
