"""A HomeWizard Wi-Fi P1 meter's local API v1, as a small HTTP server reading a SiteState.

``GET /api`` says what the device is, ``GET /api/v1/data`` gives the meter's
values (negative power = export). Fault injection for the tests: see FAULTS.
It counts requests that come sooner than 500 ms after the previous one, which
the real dongle asks clients not to do.
"""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = {
    None: "answer normally",
    "403": "local API switched off in the app (HTTP 403)",
    "500": "internal error (HTTP 500)",
    "garbage": "a 200 answer whose body is not JSON",
    "missing": "only active_power_w, every other field missing",
    "hang": "accept and never answer",
    "slow": "answer after slow_ms",
}
# besides: ``drop`` is a set of keys /api/v1/data leaves out (a dongle without per-phase
# powers, say), ``overrides`` {key: value} replaces what it says, ``meter_phases=1`` plays a single-phase meter (only the l1 keys) and
# ``whole_amps`` a meter that gives its currents in whole amps

DEVICE = {"product_type": "HWE-P1", "product_name": "P1 meter", "serial": "3c39e7aabbcc",
          "firmware_version": "5.18", "api_version": "v1"}
MIN_INTERVAL_S = 0.5
_JITTER_S = 0.02  # a client pacing itself by a millisecond clock may land a little early


def data(site, meter_phases=3, whole_amps=False):
    """The /api/v1/data body for ``site`` now."""
    phase_w = site.grid_phase_w()
    phase_ma = site.grid_phase_ma()
    out = {
        "wifi_ssid": "p1gen-sim",
        "wifi_strength": 80,
        "smr_version": 50,
        "meter_model": "ISKRA 2M550T-101",
        "active_tariff": 2,
        "total_power_import_kwh": site.import_wh / 1000,
        "total_power_export_kwh": site.export_wh / 1000,
        "active_power_w": sum(phase_w),
    }
    for i, name in enumerate(("l1", "l2", "l3")[:meter_phases]):
        out["active_power_%s_w" % name] = phase_w[i]
        out["active_current_%s_a" % name] = abs(phase_ma[i]) // 1000 if whole_amps else abs(phase_ma[i]) / 1000
        out["active_voltage_%s_v" % name] = site.voltage_dv[i] / 10
    return out


class HomeWizardSim:
    def __init__(self, site, host="127.0.0.1", port=80, meter_phases=3):
        self.site = site
        self.host = host
        self.port = port
        self.meter_phases = meter_phases
        self.drop = set()
        self.overrides = {}
        self.whole_amps = False
        self.fault = None
        self.slow_ms = 1500
        self.requests = 0
        self.too_soon = 0  # requests clearly less than 500 ms after the previous one
        self._last = None
        self._server = None
        self._thread = None

    def start(self):
        sim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                sim._answer(self)

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="homewizard-sim-%d" % self.port, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is None:
            return
        self.fault = None  # release hanging handlers
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _answer(self, handler):
        now = time.monotonic()
        self.requests += 1
        if self._last is not None and now - self._last < MIN_INTERVAL_S - _JITTER_S:
            self.too_soon += 1
        self._last = now
        fault = self.fault
        if fault == "hang":
            while self.fault == "hang":
                time.sleep(0.05)
            handler.close_connection = True
            return
        if fault == "slow":
            time.sleep(self.slow_ms / 1000)
        if handler.path == "/api":
            return self._send(handler, 200, json.dumps(DEVICE).encode())
        if handler.path != "/api/v1/data":
            return self._send(handler, 404, b'{"error": {"id": 404, "description": "not found"}}')
        if fault in ("403", "500"):
            return self._send(handler, int(fault), b'{"error": {"id": %s, "description": "fault"}}' % fault.encode())
        if fault == "garbage":
            return self._send(handler, 200, b"<html>not json")
        with self.site.lock:
            body = data(self.site, self.meter_phases, self.whole_amps)
        if fault == "missing":
            body = {"active_power_w": body["active_power_w"]}
        body.update(self.overrides)
        for key in self.drop:
            body.pop(key, None)
        self._send(handler, 200, json.dumps(body).encode())

    @staticmethod
    def _send(handler, status, body):
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


def simulator(site, host="127.0.0.1", port=80, meter_phases=3):
    return HomeWizardSim(site, host, port, meter_phases)
