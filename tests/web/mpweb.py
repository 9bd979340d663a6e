"""The installation the web tests run against: the unmodified firmware under the
MicroPython unix port (p1host.runner: compiled as for a board, its heap scaled to a
Pico W's), a HomeWizard P1 dongle simulator as its energy source, and an HTTP client
that can also send raw, malformed bytes."""
import json
import socket
import time
import urllib.error
import urllib.request

from p1host import runner
from p1host.sim.homewizard import HomeWizardSim
from p1host.sim.site import SiteState

PASSWORD = "correct horse 42"
HOUSE_W = 690  # per phase: 3.0 A at 230 V, what "full" reports with no car


class Client:
    def __init__(self, port):
        self.port = port
        self.base = "http://127.0.0.1:%d" % port

    def request(self, method, path, body=None, cookie=None, headers=None, timeout=10):
        """(status, parsed JSON or text, response headers)."""
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        if cookie:
            hdrs["Cookie"] = cookie
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, raw, rh = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, raw, rh = e.code, e.read(), e.headers
        text = raw.decode()
        try:
            return status, json.loads(text), rh
        except ValueError:
            return status, text, rh

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def login(self, password=PASSWORD):
        status, body, headers = self.request("POST", "/api/login", {"password": password})
        assert status == 200, (status, body)
        return headers["Set-Cookie"].split(";")[0]

    def raw(self, pieces, pause_s=0.0, read_timeout=10):
        """Send raw bytes (a list of pieces, with a pause after each) and return the answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=read_timeout) as s:
            try:
                for piece in pieces:
                    s.sendall(piece)
                    if pause_s:
                        time.sleep(pause_s)
            except OSError:
                pass  # the server may close early on an oversized request
            out = b""
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    out += chunk
            except (socket.timeout, ConnectionResetError):
                pass
        return out


def status_of(response):
    """The HTTP status code of a raw response, or None when nothing came back."""
    if not response.startswith(b"HTTP/"):
        return None
    return int(response.split(b" ", 2)[1])


class Installation:
    """Site + HomeWizard simulator + firmware; ``client`` talks to the firmware's web API."""

    def __init__(self, web=None, control=None, **firmware):
        """firmware: more arguments for p1host.runner.start (a state_dir with files in it, say)."""
        self.firmware = firmware
        self.site = SiteState()
        self.site.house_phase_w = [HOUSE_W, HOUSE_W, HOUSE_W]
        self.sim = HomeWizardSim(self.site, port=runner.free_port())
        web_cfg = {"password": PASSWORD}
        web_cfg.update(web or {})
        control_cfg = {"policy": "full"}
        control_cfg.update(control or {})
        self.config = {"web": web_cfg, "control": control_cfg,
                       "source": {"kind": "homewizard", "host": "127.0.0.1", "port": self.sim.port, "poll_ms": 1000}}

    def __enter__(self):
        self.sim.start()
        try:
            self.fw = runner.start(self.config, **self.firmware)
            self.client = Client(self.fw.http_port)
            self._wait_up(30)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_up(self, timeout_s):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.fw.alive(), self.fw.log()
            try:
                if self.client.get("/api/session", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("web API not up within %d s: %s" % (timeout_s, self.fw.log()))

    def __exit__(self, *exc):
        fw = getattr(self, "fw", None)
        if fw is not None:
            fw.stop()
        self.sim.stop()

    def status(self):
        status, body, _ = self.client.get("/api/status")
        assert status == 200, body
        return body


def amps(parsed):
    """(L1, L2, L3) currents of a parsed telegram, as floats."""
    return tuple(float(getattr(parsed, "INSTANTANEOUS_CURRENT_L%d" % i).value) for i in (1, 2, 3))
