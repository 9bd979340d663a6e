"""The JSON API of the unmodified firmware under the MicroPython unix port, through real
HTTP on loopback, with its telegrams read back from the pty by dsmr_parser."""
import base64
import json
import os
import time

import pytest

from mpweb import PASSWORD, Client, Installation, amps


@pytest.fixture(scope="module")
def inst():
    with Installation() as inst:
        yield inst


@pytest.fixture(scope="module")
def cookie(inst):
    return inst.client.login()


def basic(password, user="p1gen"):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}


def all_keys(value):
    """Every key of every object in a JSON value."""
    if isinstance(value, dict):
        return set(value) | set().union(*[all_keys(v) for v in value.values()])
    if isinstance(value, list):
        return set().union(*[all_keys(v) for v in value])
    return set()


def every_read(client, cookie=None):
    out = {}
    for path in ("/api/status", "/api/session", "/api/policy", "/api/schedule", "/api/config",
                 "/api/schema?source=homewizard", "/api/history", "/"):
        status, body, _ = client.get(path, cookie=cookie)
        out[path] = (status, body)
    return out


def test_status_says_what_the_device_does(inst):
    deadline = time.monotonic() + 15
    while True:
        st = inst.status()
        if st["reported_ma"] == [3000, 3000, 3000] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert st["context"]["grid_w"]["value"] == 3 * 690
    assert 0 <= st["context"]["grid_w"]["age_ms"] < 5000
    assert st["policy"]["name"] == "full"
    assert st["reported_ma"] == [3000, 3000, 3000]
    assert st["telegram"]["count"] > 0 and st["telegram"]["text"].startswith("/")
    assert st["source"]["kind"] == "homewizard" and st["source"]["health"] == "ok"
    for key in ("data_request", "uptime_s", "free_heap", "version", "control"):
        assert key in st, key
    assert st["free_heap"] > 10000


def test_no_secret_in_any_read(inst, cookie):
    for logged_in in (None, cookie):
        for path, (status, body) in every_read(inst.client, logged_in).items():
            assert status == 200, (path, body)
            text = body if isinstance(body, str) else json.dumps(body)
            assert PASSWORD not in text, path
            assert "password" not in all_keys(body), path
    assert PASSWORD not in inst.fw.log()


def test_page_is_served_without_external_assets(inst):
    status, page, headers = inst.client.get("/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "<title>p1gen</title>" in page
    assert "http://" not in page and "https://" not in page and "//cdn" not in page


def test_login_logout_and_sessions(inst):
    c = inst.client
    status, body, _ = c.request("POST", "/api/login", {"password": "nope"})
    assert status == 401 and body["error"] == "wrong password"
    own = c.login()
    assert c.get("/api/session", cookie=own)[1]["logged_in"] is True
    assert c.request("PUT", "/api/policy", {"policy": "full"}, cookie=own)[0] == 200
    status, _, headers = c.request("POST", "/api/logout", cookie=own)
    assert status == 200 and "Max-Age=0" in headers["Set-Cookie"]
    assert c.get("/api/session", cookie=own)[1]["logged_in"] is False
    assert c.request("PUT", "/api/policy", {"policy": "full"}, cookie=own)[0] == 401


def test_cookie_is_http_only_and_same_site(inst):
    status, _, headers = inst.client.request("POST", "/api/login", {"password": PASSWORD})
    cookie = headers["Set-Cookie"]
    assert status == 200 and "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie


def test_every_write_needs_the_password(inst):
    c = inst.client
    writes = [("PUT", "/api/policy", {"policy": "off"}), ("PUT", "/api/schedule", {"entries": []}),
              ("PUT", "/api/config", {"web": {"open_reads": True}}), ("POST", "/ev_state?current_soc=50", None)]
    before = inst.status()["policy"]["name"]
    for method, path, body in writes:
        status, answer, _ = c.request(method, path, body)
        assert status == 401, (path, status, answer)
        assert "log in" in answer["error"]
        status, answer, _ = c.request(method, path, body, cookie="p1gen_session=" + "0" * 32)
        assert status == 401, (path, status, answer)
    assert inst.status()["policy"]["name"] == before


def test_basic_auth_for_scripts_and_the_soc_modem(inst):
    c = inst.client
    status, body, _ = c.request("POST", "/ev_state?current_soc=42&full_soc=-1&energy_capacity=-1"
                                "&energy_request=-1&evccid=", headers=basic("wrong"))
    assert status == 401
    status, body, _ = c.request("POST", "/ev_state?current_soc=42&full_soc=90&energy_capacity=64000"
                                "&energy_request=31000&evccid=E1234", headers=basic(PASSWORD))
    assert status == 200, body
    ev = inst.status()["ev"]
    assert ev["current_soc"] == 42 and ev["full_soc"] == 90 and ev["energy_request"] == 31000
    assert ev["evccid"] == "E1234"
    assert inst.status()["context"]["ev_soc"]["value"] == 42
    # pyPLC's "car did not say" (-1) is left out, not refused
    status, body, _ = c.request("POST", "/ev_state?current_soc=43&full_soc=-1&energy_capacity=-1"
                                "&energy_request=-1&evccid=", headers=basic(PASSWORD))
    assert status == 200, body
    assert inst.status()["ev"]["current_soc"] == 43


def test_ev_state_errors_name_the_field(inst, cookie):
    c = inst.client
    for query, field in (("current_soc=abc", "ev_state.current_soc"), ("current_soc=101", "ev_state.current_soc"),
                         ("full_soc=80", "ev_state.current_soc"), ("current_soc=50&colour=red", "ev_state.colour")):
        status, body, _ = c.request("POST", "/ev_state?" + query, cookie=cookie)
        assert status == 400, (query, body)
        assert any(e.startswith(field) for e in body["errors"]), (query, body)
    assert inst.status()["ev"]["current_soc"] != 101


def test_policy_switch_changes_the_telegram(inst, cookie):
    c = inst.client
    with inst.fw.reader() as p1:
        p1.wait(1, 10)
        assert amps(p1.latest()[2]) == (3.0, 3.0, 3.0)  # full: the real grid current
        status, body, _ = c.request("PUT", "/api/policy", {"policy": "off"}, cookie=cookie)
        assert status == 200 and body["name"] == "off", body
        seen = len(p1.telegrams)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            later = [t for t in p1.telegrams[seen:] if t[2] is not None]
            if later and amps(later[-1][2])[0] > 3.0:
                break
            time.sleep(0.2)
        off = amps(later[-1][2])
        assert min(off) >= 25.0, off  # at least the fuse: the charger pauses
        status, body, _ = c.request("PUT", "/api/policy", {"policy": "full"}, cookie=cookie)
        assert status == 200
    assert inst.status()["policy"]["name"] == "full"


def test_policy_errors_name_the_key(inst, cookie):
    c = inst.client
    status, body, _ = c.request("PUT", "/api/policy", {"policy": "warp"}, cookie=cookie)
    assert status == 400 and "warp" in body["errors"][0], body
    status, body, _ = c.request("PUT", "/api/policy", {"policy": "fixed", "settings": {"current_a": 500}},
                                cookie=cookie)
    assert status == 400 and any("current_a" in e and "at most" in e for e in body["errors"]), body
    status, body, _ = c.request("PUT", "/api/policy", {"settings": {}}, cookie=cookie)
    assert status == 400
    assert inst.status()["policy"]["name"] == "full"


def test_policy_view_lists_every_policy_with_its_options(inst):
    status, body, _ = inst.client.get("/api/policy")
    assert status == 200
    assert {"full", "off", "fixed", "solar"} <= set(body["policies"])
    fixed = {o["name"]: o for o in body["policies"]["fixed"]}
    assert fixed["current_a"]["kind"] == "int" and fixed["current_a"]["hi"] is not None


def test_schedule_roundtrip_and_errors(inst, cookie):
    c = inst.client
    entries = [{"policy": "solar", "start": "07:00", "days": [0, 1, 2, 3, 4]},
               {"policy": "fixed", "start": "22:00", "end": "06:00", "days": [6], "settings": {"current_a": 16}}]
    status, body, _ = c.request("PUT", "/api/schedule", {"entries": entries}, cookie=cookie)
    assert status == 200, body
    got = c.get("/api/schedule")[1]["entries"]
    assert [e["policy"] for e in got] == ["solar", "fixed"]
    assert got[1]["end"] == "06:00" and got[1]["settings"]["current_a"] == 16
    bad = entries + [{"policy": "solar", "start": "25:00"}]
    status, body, _ = c.request("PUT", "/api/schedule", {"entries": bad}, cookie=cookie)
    assert status == 400 and body["errors"][0].startswith("schedule.2.start:"), body
    assert len(c.get("/api/schedule")[1]["entries"]) == 2  # the good one is kept
    assert c.request("PUT", "/api/schedule", {"entries": []}, cookie=cookie)[0] == 200


def test_config_errors_name_the_key_and_nothing_is_lost(inst, cookie):
    c = inst.client
    before = c.get("/api/config")[1]
    status, body, _ = c.request("PUT", "/api/config", {"web": {"port": 70000}}, cookie=cookie)
    assert status == 400 and body["errors"][0].startswith("web.port:"), body
    status, body, _ = c.request("PUT", "/api/config", {"control": {"fuse_a": "lots"}}, cookie=cookie)
    assert status == 400 and body["errors"][0].startswith("control.fuse_a:"), body
    assert c.get("/api/config")[1] == before
    status, body, _ = c.request("PUT", "/api/config", {"control": {"max_a": 20}}, cookie=cookie)
    assert status == 200 and body["control"]["max_a"] == 20, body
    with open(os.path.join(inst.fw.state_dir, "config.json")) as f:
        saved = json.load(f)
    assert saved["control"]["max_a"] == 20
    assert saved["web"]["password"] == PASSWORD  # a form that leaves the secret out keeps it
    assert "password" not in body["web"]


def test_history_fills_from_the_device(inst):
    deadline = time.monotonic() + 30
    while True:
        status, body, _ = inst.client.get("/api/history")
        assert status == 200
        if body["count"] >= 1 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert body["interval_s"] == 10
    assert body["count"] >= 1 and 0 <= body["age_ms"] < 12000
    assert body["series"]["grid_w"][-1] == 3 * 690
    assert body["series"]["report_ma"][-1] >= 3000
    assert set(body["series"]) == {"grid_w", "pv_w", "report_ma", "ev_ma"}
    # the sampler also copies the server's own counters into the status
    web = inst.status()["web"]
    assert web["running"] is True and web["password_set"] is True
    for key in ("bad_requests", "timeouts", "refused", "failures", "sessions"):
        assert isinstance(web[key], int), key


def test_unknown_paths_and_methods_get_json_errors(inst):
    c = inst.client
    status, body, _ = c.get("/api/nothing")
    assert status == 404 and "error" in body
    status, body, _ = c.request("DELETE", "/api/status")
    assert status == 405 and "error" in body
    status, body, _ = c.get("/ev_state")
    assert status == 405


def test_closed_reads_need_a_login():
    with Installation(web={"open_reads": False}) as inst:
        c = inst.client
        for path in ("/api/status", "/api/policy", "/api/config", "/api/history", "/api/schedule"):
            status, body, _ = c.get(path)
            assert status == 401, path
        assert c.get("/")[0] == 200  # the page itself, to log in from
        assert c.get("/api/session")[1]["open_reads"] is False
        cookie = c.login()
        assert c.get("/api/status", cookie=cookie)[0] == 200


def test_no_password_set_refuses_writes_clearly():
    with Installation(web={"password": ""}) as inst:
        c = inst.client
        status, body, _ = c.request("POST", "/api/login", {"password": ""})
        assert status == 403 and "web.password" in body["error"]
        status, body, _ = c.request("PUT", "/api/policy", {"policy": "off"}, headers=basic(""))
        assert status == 403
        assert inst.status()["web"]["password_set"] is False


def test_policy_without_settings_keeps_the_saved_ones(inst, cookie):
    c = inst.client
    assert c.request("PUT", "/api/policy", {"policy": "fixed", "settings": {"current_a": 12}}, cookie=cookie)[0] == 200
    assert c.request("PUT", "/api/policy", {"policy": "full"}, cookie=cookie)[0] == 200
    status, body, _ = c.request("PUT", "/api/policy", {"policy": "fixed"}, cookie=cookie)
    assert status == 200 and body["name"] == "fixed" and body["settings"]["current_a"] == 12, body
    assert c.request("PUT", "/api/policy", {"policy": "full"}, cookie=cookie)[0] == 200


def test_a_schedule_set_through_the_api_drives_the_telegrams(inst, cookie):
    """Two windows covering the whole day: within a minute the runtime's schedule task runs
    "off", whatever the time, and the charger is told the fuse is full."""
    c = inst.client
    entries = [{"policy": "off", "start": "00:00", "end": "12:00"}, {"policy": "off", "start": "12:00", "end": "00:00"}]
    assert c.request("PUT", "/api/schedule", {"entries": entries}, cookie=cookie)[0] == 200
    try:
        deadline = time.monotonic() + 70
        while time.monotonic() < deadline:
            policy = inst.status()["policy"]
            if policy["running"] == "off":
                break
            time.sleep(1)
        assert policy["running"] == "off" and policy["schedule_active"] is True, policy
        assert policy["name"] == "full"  # the configured policy is untouched
        with inst.fw.reader() as p1:
            assert min(amps(p1.wait(2, 10)[1][2])) >= 25.0
    finally:
        assert c.request("PUT", "/api/schedule", {"entries": []}, cookie=cookie)[0] == 200


def test_a_saved_change_survives_a_restart(inst, cookie):
    c = inst.client
    entries = [{"policy": "off", "start": "17:00", "end": "21:00", "days": [0, 1, 2, 3, 4]}]
    assert c.request("PUT", "/api/schedule", {"entries": entries}, cookie=cookie)[0] == 200
    assert c.request("PUT", "/api/config", {"control": {"max_a": 19}}, cookie=cookie)[0] == 200
    inst.fw.restart()
    inst.client = Client(inst.fw.http_port)
    inst._wait_up(30)
    assert inst.client.get("/api/schedule")[1]["entries"][0]["end"] == "21:00"
    assert inst.client.get("/api/config")[1]["control"]["max_a"] == 19
    assert inst.client.get("/api/session", cookie=cookie)[1]["logged_in"] is False  # sessions live in RAM only
