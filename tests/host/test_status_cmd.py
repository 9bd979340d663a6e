"""`p1gen status` against the firmware's own HTTP API (unix port), and its error paths."""
import http.server
import json
import os
import threading

import pytest
from hostcli import one_line_error, p1gen

from p1gen import __version__ as VERSION
from p1host import runner

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
