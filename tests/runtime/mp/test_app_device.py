"""The Device the web API drives: status, config changes saved and applied live, policy, EV state."""
import json

from appdevice import cleanup, device_with

from p1gen.app import config
from p1gen.context import EV_SOC


def saved(path):
    with open(path) as f:
        return json.loads(f.read())


def test_missing_config_gives_a_status_that_says_so():
    dev, path = device_with(None)
    st = dev.status()
    json.dumps(st)  # JSON-ready
    assert st["config_ok"] is False and "not found" in st["config_errors"][0]
    assert st["source"]["health"] == "off: config has errors"
    assert dev.source_settings() == {"kind": "none"}
    for key in ("version", "uptime_s", "free_heap", "context", "policy", "control", "telegram",
                "data_request", "wifi", "reported_ma"):
        assert key in st, key
    cleanup(path)


def test_bad_config_runs_on_defaults_without_a_source():
    dev, path = device_with({"control": {"fuse_a": "35"}})
    assert dev.config_errors == ['control.fuse_a: must be a whole number, got "35"']
    assert dev.config["control"]["fuse_a"] == 25
    assert dev.source_settings() == {"kind": "none"}  # failsafe telegrams until fixed
    cleanup(path)


def test_apply_config_rejects_and_keeps_everything_on_error():
    dev, path = device_with({"control": {"fuse_a": 32}})
    errors = dev.apply_config({"control": {"fuse_a": 500}})
    assert errors == ["control.fuse_a: must be at most 250, got 500"], errors
    assert saved(path) == {"control": {"fuse_a": 32}} and dev.config["control"]["fuse_a"] == 32
    assert dev.apply_config([1]) and dev.apply_config({"nope": 1})
    cleanup(path)


def test_apply_config_saves_and_applies_live_and_keeps_secrets():
    dev, path = device_with({"wifi": {"ssid": "home", "password": "hunter2"}, "control": {"fuse_a": 32}})
    errors = dev.apply_config({"control": {"fuse_a": 40}, "wifi": {"ssid": "garage"}})
    assert errors == [], errors
    assert saved(path)["wifi"] == {"ssid": "garage", "password": "hunter2"}
    assert dev.config["control"]["fuse_a"] == 40 and dev.controller.settings["fuse_a"] == 40
    assert not dev.source_changed.is_set()  # the source did not change: not restarted
    assert dev.config_saved.is_set()
    assert "hunter2" not in json.dumps(dev.config_public()) and "hunter2" not in json.dumps(dev.status())
    cleanup(path)


def test_fixing_a_broken_file_keeps_it_aside():
    dev, path = device_with('{"control": {"fuse_a": 2')
    assert "truncated" in dev.config_errors[0]
    assert dev.apply_config({"control": {"fuse_a": 20}}) == []
    assert dev.config_errors == [] and saved(path) == {"control": {"fuse_a": 20}}
    with open("/tmp/" + config.BAD_COPY) as f:
        assert f.read() == '{"control": {"fuse_a": 2'
    cleanup(path)


def test_set_policy_persists_and_runs_now():
    dev, path = device_with({})
    assert dev.set_policy("warp", {})[0].startswith("policy: must be one of ")
    errors = dev.set_policy("fixed", None)
    assert errors == [], errors
    assert saved(path)["control"]["policy"] == "fixed"
    assert dev.controller.status()["policy"] == "fixed"
    assert dev.status()["policy"]["running"] == "fixed"
    bad = dev.set_policy("solar", {"margin_w": "lots"})
    assert bad and bad[0].startswith("policies.solar.margin_w"), bad
    assert dev.controller.status()["policy"] == "fixed"  # nothing changed
    cleanup(path)


def test_a_schedule_choice_is_overridden_by_the_user():
    dev, path = device_with({})
    dev.schedule_active = ("off", {})
    dev.run_policy(*dev.running_policy())
    assert dev.controller.status()["policy"] == "off"
    assert dev.set_policy("full") == []
    assert dev.schedule_active is None and dev.controller.status()["policy"] == "full"
    cleanup(path)


def test_ev_state():
    dev, path = device_with({})
    assert dev.ev_state({"current_soc": "55x"}) == ['ev_state.current_soc: must be a whole number, got "55x"']
    assert dev.ev_state({"current_soc": "140"}) == ["ev_state.current_soc: must be 0..100, got 140"]
    assert dev.ev_state({"soc": "40"})[0].startswith("ev_state.soc: unknown field (allowed: current_soc")
    assert dev.ev_state({"full_soc": "90"})[0].startswith("ev_state.current_soc: required")
    assert dev.ev_state({"current_soc": "42", "full_soc": "90", "energy_capacity": "60000",
                         "energy_request": "20000", "evccid": "0a1b2c3d4e5f"}) == []
    assert dev.context.get(EV_SOC) == 42 and dev.context.origin(EV_SOC) == "ev_state"
    assert dev.status()["ev"]["evccid"] == "0a1b2c3d4e5f"
    cleanup(path)

