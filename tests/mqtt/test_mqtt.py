"""Home Assistant over MQTT: the unmodified firmware under the MicroPython unix port, a real
mosquitto on 127.0.0.1 (with users and passwords), paho-mqtt playing Home Assistant, and the
telegrams read back off the pty by dsmr_parser."""
import http.client
import json
import re
import threading
import time

import paho.mqtt.client as paho
import pytest

from p1host import webapi
from p1host.bench.mqtt import MQTT_HEAP, USERS, HeapWatch, Mosquitto, fault_sequence, mqtt_settings
from p1host.bench.runtime import Installation, percentiles, periods_ms

WEB_PASSWORD = "web-secret-5"
BASE = "p1gen"
# what Home Assistant's MQTT platforms refuse a discovery config without
REQUIRED = {"sensor": {"state_topic"}, "binary_sensor": {"state_topic"}, "select": {"command_topic", "options"},
            "number": {"command_topic"}}
UNITS = {"power": "W", "energy": "Wh", "current": "A", "battery": "%", "duration": "s", "data_size": "B"}


class HomeAssistant:
    """A paho-mqtt client subscribed to everything, as Home Assistant's MQTT integration is."""

    def __init__(self, port, topic="#"):
        self.messages = []  # (time.monotonic(), topic, payload bytes, retained)
        self.cond = threading.Condition()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="ha-%d" % time.monotonic_ns())
        self.client.username_pw_set("ha", USERS["ha"])
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, client, userdata, msg):
        with self.cond:
            self.messages.append((time.monotonic(), msg.topic, msg.payload, msg.retain))
            self.cond.notify_all()

    def wait(self, predicate, timeout, since=0.0):
        """The first message after ``since`` for which predicate(topic, payload) holds."""
        def find():
            for m in self.messages:
                if m[0] >= since and predicate(m[1], m[2]):
                    return m
            return None
        with self.cond:
            found = self.cond.wait_for(find, timeout)
        assert found, "no such message within %d s; topics seen: %s" % (
            timeout, sorted(set(m[1] for m in self.messages))[:40])
        return found

    def state(self, since=0.0, timeout=15):
        return json.loads(self.wait(lambda t, p: t == BASE + "/state", timeout, since)[2])

    def command(self, name, payload):
        self.client.publish("%s/set/%s" % (BASE, name), payload, qos=1).wait_for_publish(5)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def configs(ha):
    """{topic: payload} of the retained discovery configs (the last one of each topic)."""
    out = {}
    for _, topic, payload, _ in ha.messages:
        if topic.startswith("homeassistant/") and topic.endswith("/config"):
            out[topic] = payload
    return out


def post(port, path, body):
    """POST as the logged-in owner (the API takes HTTP Basic auth only from the SoC modem)."""
    base = "http://127.0.0.1:%d" % port
    cookie = webapi.call(base + "/api/login", {"password": WEB_PASSWORD})[1]["Set-Cookie"].split(";")[0]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json", "Cookie": cookie})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def amps(parsed):
    return [float(getattr(parsed, "INSTANTANEOUS_CURRENT_L%d" % i).value) for i in (1, 2, 3)]


@pytest.mark.parametrize("section,says", [
    ({"enabled": True}, 'mqtt.host: must be an IPv4 address when enabled, got ""'),
    ({"enabled": True, "host": "broker.local"}, "mqtt.host: must be an IPv4 address"),
    ({"base_topic": "p1gen/#"}, "mqtt.base_topic: must be a topic without +, #"),
    ({"discovery_prefix": "/homeassistant"}, "mqtt.discovery_prefix: must be a topic"),
    ({"publish_s": 0}, "mqtt.publish_s: must be at least 1"),
    ({"port": "1883"}, "mqtt.port: must be a whole number"),
    ({"qos": 2}, "mqtt.qos: unknown key"),
])
def test_the_mqtt_section_is_checked_like_every_other(section, says):
    from p1gen.app import config

    cfg, errors = config.validate({"mqtt": section})
    assert any(e.startswith(says) for e in errors), errors
    assert cfg["mqtt"]["enabled"] is False  # a section with errors runs on its defaults: off
    cfg, errors = config.validate({"mqtt": {"enabled": True, "host": "192.168.1.10", "password": "pw"}})
    assert errors == [] and cfg["mqtt"]["port"] == 1883 and cfg["mqtt"]["publish_s"] == 10
    assert "password" not in config.public(cfg)["mqtt"]


@pytest.fixture(scope="module")
def site():
    with Mosquitto(users=USERS) as mosq:
        inst = Installation("homewizard", heapsize=MQTT_HEAP)
        inst.config["mqtt"] = mqtt_settings(mosq.port, publish_s=2)
        inst.config["web"] = {"password": WEB_PASSWORD}
        with inst:
            ha = HomeAssistant(mosq.port)
            try:
                yield inst, mosq, ha
            finally:
                ha.close()


def test_discovery_announces_one_device_with_what_home_assistant_requires(site):
    inst, mosq, ha = site
    ha.wait(lambda t, p: t == BASE + "/availability" and p == b"online", 20)
    state = ha.state()
    found = configs(ha)
    assert len(found) >= 26, sorted(found)
    ids = set()
    components = set()
    for topic, payload in found.items():
        prefix, component, node, key, _ = topic.split("/")
        out = json.loads(payload)
        components.add(component)
        assert REQUIRED[component] <= set(out), (topic, out)
        assert out["unique_id"] == "%s_%s" % (node, key) and out["unique_id"] not in ids
        ids.add(out["unique_id"])
        assert out["availability_topic"] == BASE + "/availability" and out["state_topic"] == BASE + "/state"
        dev = out["device"]
        assert dev["identifiers"] == [node] and dev["name"] == "p1gen" and dev["sw_version"] == state["version"]
        assert dev["configuration_url"] == "http://127.0.0.1:%d/" % inst.fw.http_port
        m = re.fullmatch(r"\{\{ value_json\.(\w+)( / 1000)? \}\}", out["value_template"])
        if component == "binary_sensor":
            assert out["device_class"] == "problem" and "value_json.failsafe" in out["value_template"]
        else:
            assert m and m.group(1) == key and key in state, (topic, out["value_template"])
        if "device_class" in out and out["device_class"] in UNITS:
            assert out["unit_of_measurement"] == UNITS[out["device_class"]], out
        if out.get("device_class") == "energy":
            assert out["state_class"] == "total_increasing"
        if component == "number":
            assert out["command_topic"] == "%s/set/%s" % (BASE, key) and out["min"] < out["max"], out
    assert components == {"sensor", "binary_sensor", "select", "number"}
    policy = json.loads(found["homeassistant/select/p1gen_p1gen/policy/config"])
    assert policy["options"] == ["full", "capacity", "self", "solar", "minsolar", "fixed", "off"]
    capacity = json.loads(found["homeassistant/number/p1gen_p1gen/capacity_limit_w/config"])
    assert (capacity["min"], capacity["max"]) == (500, 100000)  # the capacity policy's own limits
    # retained: a client that comes later (Home Assistant restarting) gets every config and "online"
    late = HomeAssistant(mosq.port, "homeassistant/#")
    try:
        late.wait(lambda t, p: t.endswith("/policy/config"), 10)
        time.sleep(0.5)
        assert len(configs(late)) == len(found) and all(m[3] for m in late.messages)
    finally:
        late.close()


def test_state_matches_the_status_api(site):
    inst, mosq, ha = site
    for _ in range(5):  # a state message and a status read within the same second
        state = ha.state(since=time.monotonic())
        status = inst.status()
        if status["telegram"]["count"] - state["telegrams"] <= 1:
            break
    ctx = {k: v["value"] for k, v in status["context"].items()}
    assert state["grid_w"] == ctx["grid_w"] and state["pv_w"] == ctx.get("pv_w")
    assert [state["grid_l%d_w" % i] for i in (1, 2, 3)] == ctx["grid_phase_w"]
    assert state["grid_import_wh"] == ctx.get("grid_import_wh")
    assert [state["report_l%d_ma" % i] for i in (1, 2, 3)] == status["reported_ma"]
    control = status["control"]
    assert state["policy"] == status["policy"]["running"] == "full"
    assert state["law_state"] == control["state"] and state["failsafe"] is control["failsafe"] is False
    assert state["car_ma"] == control["car_ma"]
    assert state["source_health"] == status["source"]["health"] == "ok"
    assert state["version"] == status["version"] and abs(state["uptime_s"] - status["uptime_s"]) <= 2
    assert status["mqtt"]["connected"] is True and status["mqtt"]["published"] >= 1
    assert state["capacity_limit_w"] == 2500 and state["fixed_current_a"] == 10


def test_the_broker_password_is_a_secret(site):
    inst, mosq, ha = site
    for path in ("/api/status", "/api/config"):
        conn = http.client.HTTPConnection("127.0.0.1", inst.fw.http_port, timeout=5)
        conn.request("GET", path)
        body = conn.getresponse().read()
        conn.close()
        assert USERS["p1gen"].encode() not in body, path
    config = json.loads(open(inst.fw.config_path).read())
    assert config["mqtt"]["password"] == USERS["p1gen"]  # kept on the board, used to log in
    # the page builds its settings form from the schema: the mqtt section is there, its password secret
    conn = http.client.HTTPConnection("127.0.0.1", inst.fw.http_port, timeout=5)
    conn.request("GET", "/api/schema")
    schema = json.loads(conn.getresponse().read())
    conn.close()
    options = {o["name"]: o for o in schema["mqtt"]}
    assert set(options) >= {"enabled", "host", "port", "user", "password", "base_topic", "discovery_prefix",
                            "publish_s"} and options["password"]["secret"] is True


def test_a_policy_command_changes_the_telegrams(site):
    inst, mosq, ha = site
    deadline = time.monotonic() + 20  # "connected" once it has subscribed to the commands
    while not inst.status()["mqtt"].get("connected") and time.monotonic() < deadline:
        time.sleep(0.2)
    with inst.fw.reader() as p1:
        first = p1.wait(1, 10)[0][2]
        assert max(amps(first)) < 25  # full: the real grid current
        since = time.monotonic()
        ha.command("policy", "off")
        state = ha.state(since=since)
        deadline = time.monotonic() + 10
        while state["policy"] != "off" and time.monotonic() < deadline:
            state = ha.state(since=time.monotonic())
        assert state["policy"] == "off"
        assert inst.status()["policy"]["name"] == "off"
        deadline = time.monotonic() + 10  # the next telegram carries it; a loaded machine may be late
        while min(amps(p1.latest()[2])) < 25.0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert min(amps(p1.latest()[2])) >= 25.0, amps(p1.latest()[2])  # at least the fuse: paused
        assert p1.latest()[3] is None
        ha.command("policy", "full")
        deadline = time.monotonic() + 10
        while inst.status()["policy"]["name"] != "full" and time.monotonic() < deadline:
            time.sleep(0.2)
    assert inst.status()["policy"]["name"] == "full"


def test_number_commands_go_through_the_validator(site):
    inst, mosq, ha = site
    since = time.monotonic()
    ha.command("capacity_limit_w", "4000")
    ha.command("target_soc", "80.0")  # Home Assistant may send a number with a decimal point
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state = ha.state(since=time.monotonic())
        if state["capacity_limit_w"] == 4000:
            break
    assert state["capacity_limit_w"] == 4000
    saved = json.loads(open(inst.fw.config_path).read())["policies"]
    assert saved["capacity"]["limit_w"] == 4000 and saved["solar"]["target_soc"] == 80
    assert all(p["target_soc"] == 80 for p in saved.values() if "target_soc" in p)
    assert not [m for m in ha.messages if m[0] >= since and m[1] == BASE + "/error"]


@pytest.mark.parametrize("name,payload,says", [
    ("policy", "bogus", "policy: must be one of"),
    ("policy", '{"policy": "fixed", "settings": {"current_a": 500}}', "current_a: must be at most"),
    ("capacity_limit_w", "99999999", "limit_w: must be at most 100000"),
    ("fixed_current_a", "ten", "fixed_current_a: must be a whole number"),
    ("target_soc", "nan", "target_soc: must be a whole number"),
    ("schedule", '[{"policy": "solar", "start": "25:00"}]', "schedule"),
    ("reboot", "now", "reboot: unknown command"),
    ("policy", b"\xff\xfe", "not UTF-8"),
])
def test_a_bad_command_is_answered_on_the_error_topic_and_changes_nothing(site, name, payload, says):
    inst, mosq, ha = site
    before = open(inst.fw.config_path).read()
    policy = inst.status()["policy"]
    since = time.monotonic()
    ha.command(name, payload)
    _, topic, body, _ = ha.wait(lambda t, p: t == BASE + "/error", 10, since)
    error = json.loads(body)
    assert error["topic"] == "%s/set/%s" % (BASE, name) and says in " ".join(error["errors"]), error
    assert open(inst.fw.config_path).read() == before
    assert inst.status()["policy"] == policy
    assert inst.status()["mqtt"]["connected"] is True


def test_switching_mqtt_off_removes_the_entities(site):
    """Last: it switches MQTT off."""
    inst, mosq, ha = site
    topics = set(configs(ha))
    since = time.monotonic()
    status, body = post(inst.fw.http_port, "/api/config", {"mqtt": {"enabled": False}})
    assert status == 200, body
    ha.wait(lambda t, p: t == BASE + "/availability" and p == b"offline", 10, since)
    cleared = set(m[1] for m in ha.messages if m[0] >= since and m[1] in topics and m[2] == b"")
    assert cleared == topics
    late = HomeAssistant(mosq.port, "homeassistant/#")
    try:
        time.sleep(1.5)
        assert configs(late) == {}  # nothing retained any more: the entities are gone
    finally:
        late.close()
    assert inst.status()["mqtt"]["state"] == "off"


def test_broker_faults_never_delay_a_telegram_nor_grow_the_heap_and_the_client_comes_back():
    with Mosquitto(users=USERS) as mosq:
        inst = Installation("homewizard", heapsize=MQTT_HEAP)
        inst.config["mqtt"] = mqtt_settings(mosq.port, publish_s=1)
        with inst:
            ha = HomeAssistant(mosq.port, BASE + "/#")
            try:
                ha.state(timeout=20)
                with HeapWatch(inst) as heap:
                    start = time.monotonic()
                    tries = fault_sequence(mosq, mark=inst.mark)
                    ha.close()
                    ha = HomeAssistant(mosq.port, BASE + "/#")  # the broker restarted: subscribe anew
                    # back: a new session (the backoff is at most 15 s) and state messages again
                    ha.state(since=time.monotonic(), timeout=25)
                    end = time.monotonic()
                status = inst.status()
            finally:
                ha.close()
            telegrams = list(inst.reader.telegrams)
    mqtt = status["mqtt"]
    assert mqtt["connected"] is True, mqtt
    assert all(fake.connections >= 1 for fake in tries.values()), tries  # it tried every fake broker
    # a retained command handed over on subscribing (it would run again at every reconnect): acked, ignored
    received = bytes(tries["retained"].received)
    assert b"retained commands are ignored" in received and b"\x40\x02\x00\x01" in received
    assert status["policy"]["running"] == "full"
    assert mqtt["connects"] >= 5 and mqtt["failures"] >= 8, mqtt
    window = [t for t in telegrams if start <= t[0] < end]
    assert [e for _, _, _, e in window if e] == []
    periods = periods_ms(telegrams, start, end)
    p50, p99, top = percentiles(periods)
    assert 950 <= p50 <= 1050 and top < 1600 and min(periods) > 400, (p50, p99, top)
    assert status["telegram"]["skipped"] == 0 and status["telegram"]["late_max_ms"] < 500, status["telegram"]
    frees = [f for _, f in heap.samples]
    assert len(frees) >= 10 and heap.errors == 0
    assert min(frees[len(frees) // 3:]) >= frees[1] - 8192, frees  # no steady loss
