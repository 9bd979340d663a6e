"""Bad config files on the unix-port firmware: each gives its message (log and status API) and
the telegrams keep coming with the failsafe report; fixing it through the API brings control back.
Also: the safe-mode flag file, Data Request, and a restart keeping what was saved."""
import contextlib
import json
import os
import time

import pytest

from p1host import runner
from p1host.bench.runtime import get_json

FAILSAFE_MA = (25 + 16) * 1000


def l1_ma(parsed):
    return int(parsed.INSTANTANEOUS_CURRENT_L1.value * 1000)


CASES = {
    "garbage": ("fuse_a = 25\n[source]\nkind = sma\n", "config.json: not valid JSON"),
    "wrong type": ({"control": {"fuse_a": "25"}, "source": {"kind": "sma", "host": "127.0.0.1"}},
                   'control.fuse_a: must be a whole number, got "25"'),
    "truncated": ('{"control": {"fuse_a": 25, "policy": "solar"}, "source": {"kind": "sma", "ho',
                  "config.json: truncated"),
    "unknown key": ({"control": {"fuse": 25}}, "control.fuse: unknown key (allowed: "),
}


def test_bad_configs_give_their_message_and_failsafe_telegrams():
    with contextlib.ExitStack() as stack:  # all four at once: they start in parallel
        firmwares = {name: stack.enter_context(runner.start(config)) for name, (config, _) in CASES.items()}
        readers = {name: stack.enter_context(fw.reader()) for name, fw in firmwares.items()}
        for name, fw in firmwares.items():
            expected = CASES[name][1]
            got = readers[name].wait(4, timeout=30)
            assert [e for _, _, _, e in got] == [None] * 4, name
            assert [l1_ma(p) for _, _, p, _ in got] == [FAILSAFE_MA] * 4, name
            assert expected in fw.log(), (name, fw.log())
            assert fw.http_port, "the firmware serves no web API"
            status = get_json(fw.http_port, "/api/status")
            assert status["config_ok"] is False
            assert any(expected in e for e in status["config_errors"]), status["config_errors"]
            assert status["source"]["health"] == "off: config has errors"
            assert status["control"]["failsafe"] is True


BROKEN_FILES = {
    "bytes FF FE 00 01": (b"\xff\xfe\x00\x01", "config.json: not valid JSON"),
    "10 KB of [": (b"[" * 10240, "config.json: nested deeper than 8 levels"),
    "200 KB": (b'{"control": {"fuse_a": 25}, "pad": "' + b"x" * 200000 + b'"}', "config.json: too large (200"),
}


def test_a_broken_file_of_any_kind_runs_failsafe_with_the_page_up():
    """Issue 13.7: these crashed the app at boot (UnicodeError, MemoryError): on a board, a
    reset loop with no telegram ever sent."""
    with contextlib.ExitStack() as stack:
        firmwares = {name: stack.enter_context(runner.start(data)) for name, (data, _) in BROKEN_FILES.items()}
        readers = {name: stack.enter_context(fw.reader()) for name, fw in firmwares.items()}
        for name, fw in firmwares.items():
            got = readers[name].wait(3, timeout=30)
            assert [e for _, _, _, e in got] == [None] * 3, name
            assert [l1_ma(p) for _, _, p, _ in got] == [FAILSAFE_MA] * 3, name
            status = get_json(fw.http_port, "/api/status")
            assert status["control"]["failsafe"] is True and status["config_ok"] is False
            assert BROKEN_FILES[name][1] in status["config_errors"][0], (name, status["config_errors"])
            assert "<title>p1gen</title>" in _page(fw.http_port)


def _page(port):
    import urllib.request

    return urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=10).read().decode()


def test_missing_config_runs_failsafe():
    with runner.start(None) as fw, fw.reader() as reader:
        got = reader.wait(3, timeout=30)
        assert [l1_ma(p) for _, _, p, _ in got] == [FAILSAFE_MA] * 3
        assert "config.json: not found" in fw.log()


@pytest.mark.parametrize("how", ["flag file", "pin held at boot"])
def test_safe_mode_starts_nothing(how):
    fw = runner.Firmware({}, env={"P1GEN_SAFE_MODE": "1"} if how == "pin held at boot" else None)
    if how == "flag file":
        with open(os.path.join(fw.state_dir, "safemode"), "w"):
            pass
    with fw.start(), fw.reader() as reader:
        deadline = time.monotonic() + 20
        while "safe mode" not in fw.log() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2.5)
        why = "the file safemode exists" if how == "flag file" else "the safe-mode pin was held at boot"
        assert "safe mode (%s)" % why in fw.log(), fw.log()
        assert reader.telegrams == []


def test_data_request_required_gates_the_telegrams():
    with runner.start({"p1": {"require_data_request": True}}, data_request=False) as fw, fw.reader() as reader:
        time.sleep(4)
        assert reader.telegrams == [], "sent without Data Request"
        assert get_json(fw.http_port, "/api/status")["data_request"] is False
        fw.set_data_request(True)
        reader.wait(2, timeout=10)
        assert get_json(fw.http_port, "/api/status")["data_request"] is True


@pytest.mark.parametrize("interval_s", [2])
def test_interval_setting(interval_s):
    with runner.start({"p1": {"interval_s": interval_s}}) as fw, fw.reader() as reader:
        got = reader.wait(4, timeout=20)
        gaps = [b[0] - a[0] for a, b in zip(got, got[1:])]
        assert all(abs(g - interval_s) < 0.5 for g in gaps), gaps


def post_json(port, path, body, password):
    """POST ``body`` as the logged-in owner (the API takes HTTP Basic auth only from the SoC modem)."""
    import http.client

    def post(path, body, headers):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("POST", path, body=json.dumps(body).encode(),
                         headers=dict(headers, **{"Content-Type": "application/json"}))
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read() or b"null"), resp.getheader("Set-Cookie")
        finally:
            conn.close()

    status, answer, cookie = post("/api/login", {"password": password}, {})
    assert status == 200, answer
    return post(path, body, {"Cookie": cookie.split(";")[0]})[:2]


def import_wh(parsed):
    return int((parsed.ELECTRICITY_USED_TARIFF_1.value + parsed.ELECTRICITY_USED_TARIFF_2.value) * 1000)


def test_config_applied_live_through_the_api_is_saved_and_survives_a_power_cut():
    fw = runner.start({"control": {"fuse_a": 32}, "web": {"password": "pw-123456"}, "app": {"energy_save_s": 10}})
    try:
        assert fw.http_port, "the firmware serves no web API"
        with fw.reader() as reader:
            assert l1_ma(reader.wait(2, timeout=30)[-1][2]) == (32 + 16) * 1000
            code, body = post_json(fw.http_port, "/api/config", {"control": {"fuse_a": 900}}, "pw-123456")
            assert code == 400 and "control.fuse_a: must be at most 250, got 900" in json.dumps(body)
            code, body = post_json(fw.http_port, "/api/config", {"control": {"fuse_a": 20}}, "pw-123456")
            assert code == 200, body
            n = len(reader.telegrams)
            reader.wait(n + 2, timeout=10)
            assert l1_ma(reader.telegrams[-1][2]) == (20 + 16) * 1000  # applied live: the failsafe follows F
            reader.wait(14, timeout=20)  # the energy registers were saved at least twice
            before = import_wh(reader.telegrams[-1][2])
        with open(fw.config_path) as f:
            saved = json.load(f)
        assert saved["control"]["fuse_a"] == 20 and saved["web"]["password"] == "pw-123456"
        assert not [n for n in os.listdir(fw.state_dir) if n.endswith(".tmp")]
        fw.restart(hard=True)
        with fw.reader() as reader:
            first = reader.wait(2, timeout=30)[0][2]
            assert l1_ma(first) == (20 + 16) * 1000
            assert import_wh(first) >= before > 0  # the meter's registers never go back
        status = get_json(fw.http_port, "/api/status")
        assert status["config_ok"] is True and "pw-123456" not in json.dumps(status)
    finally:
        fw.stop()


def test_a_source_configured_through_the_api_starts_at_once():
    from p1host.bench.runtime import import_site, simulator

    site = import_site()
    real = [max(0, ma) for ma in site.grid_phase_ma()]
    port = runner.free_port()
    with simulator("sma", site, port), \
            runner.start({"control": {"policy": "full"}, "web": {"password": "pw-123456"}}) as fw, \
            fw.reader() as reader:
        assert l1_ma(reader.wait(2, timeout=30)[-1][2]) == FAILSAFE_MA  # no source yet
        code, body = post_json(fw.http_port, "/api/config",
                               {"source": {"kind": "sma", "host": "127.0.0.1", "port": port}}, "pw-123456")
        assert code == 200, body
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            latest = reader.latest()[2]
            if abs(l1_ma(latest) - real[0]) <= 100:
                break
            time.sleep(0.3)
        assert abs(l1_ma(reader.latest()[2]) - real[0]) <= 100, (l1_ma(reader.latest()[2]), real)
        status = get_json(fw.http_port, "/api/status")
        assert status["source"]["kind"] == "sma" and status["source"]["health"] == "ok"
