"""The MQTT bridge on a test board (both runtimes): it waits for Wi-Fi before it tries the
broker, every entity reads a key the state message has, and commands go through the Device's
own validation (a bad one changes nothing)."""
import asyncio
import json

from appdevice import cleanup, device_with
from p1gen.mqtt import bridge, commands, discovery

MQTT = {"enabled": True, "host": "127.0.0.1", "port": 1}  # nothing listens on port 1: refused at once


def test_no_broker_attempt_while_the_wifi_is_down():
    dev, path = device_with({"mqtt": MQTT})
    cleanup(path)
    dev.board.wifi.up = False

    async def scenario():
        task = asyncio.create_task(bridge.run(dev))
        await asyncio.sleep(0.3)
        down = dict(dev.mqtt)
        dev.board.wifi.up = True
        await asyncio.sleep(1.5)
        task.cancel()
        return down, dict(dev.mqtt)

    down, up = asyncio.run(scenario())
    assert down["state"] == "waiting for Wi-Fi" and down["failures"] == 0, down
    assert up["failures"] >= 1 and "refused" in up["last_error"] and up["connected"] is False, up


def test_every_entity_reads_a_key_of_the_state_message():
    dev, path = device_with({"mqtt": MQTT})
    cleanup(path)
    state = bridge.state(dev)
    json.dumps(state)
    keys = []
    with open(discovery._ENTITIES) as f:
        for line in f:
            keys.append(json.loads(line)["key"])
    assert len(keys) == 26
    for key in keys:
        assert key in state, key
    for key in discovery.NUMBERS:
        assert key in keys


def test_commands_go_through_the_validator_and_a_bad_one_changes_nothing():
    dev, path = device_with({"mqtt": MQTT, "control": {"policy": "solar"}})
    try:
        for name, payload, says in (("policy", b"bogus", "policy: must be one of"),
                                    ("capacity_limit_w", b"100", "limit_w: must be at least 500"),
                                    ("fixed_current_a", b"16.5", "must be a whole number"),
                                    ("schedule", b'{"entries": [{"policy": "off"}]}', "schedule"),
                                    ("policy", b'{"policy": 3}', "send a policy name")):
            errors = commands.command(dev, name, payload)
            assert errors and says in errors[0], (name, errors)
        with open(path) as f:
            saved = json.loads(f.read())
        assert saved == {"mqtt": MQTT, "control": {"policy": "solar"}}, saved
        assert commands.command(dev, "capacity_limit_w", b"4000") == []
        assert commands.command(dev, "target_soc", b"80") == []
        assert commands.command(dev, "policy", b'{"policy": "fixed", "settings": {"current_a": 12}}') == []
        policies = dev.config["policies"]
        assert policies["capacity"]["limit_w"] == 4000 and policies["fixed"]["current_a"] == 12
        assert policies["solar"]["target_soc"] == 80 and policies["minsolar"]["target_soc"] == 80
        assert dev.running_policy()[0] == "fixed"
    finally:
        cleanup(path)


def test_discovery_takes_the_ranges_from_the_policies_and_leaves_them_out_of_the_heap():
    import sys

    from p1gen.app import heap

    dev, path = device_with({"mqtt": MQTT, "control": {"policy": "full"}})
    cleanup(path)
    for name in [m for m in sys.modules if m.startswith("p1gen.policy.") and m != "p1gen.policy.full"]:
        heap.unload(name)  # as on a board running "full" (pytest runs every test in one process)
    numbers = {}
    for topic, payload in discovery.configs(dev, dev.config["mqtt"], "p1gen_test"):
        out = json.loads(payload)
        if "/number/" in topic:
            numbers[topic.split("/")[-2]] = (out["min"], out["max"])
    assert numbers == {"capacity_limit_w": (500, 100000), "fixed_current_a": (1, 80), "target_soc": (1, 100)}, numbers
    assert [m for m in sys.modules if m.startswith("p1gen.policy.")] == ["p1gen.policy.full"]
