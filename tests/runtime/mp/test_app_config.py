"""config.json: every module's OPTIONS, messages that name the key, defaults, atomic saves."""
import json

from p1gen.app import config


def test_empty_config_is_complete_with_defaults():
    cfg, errors = config.validate({})
    assert errors == []
    for section in ("wifi", "p1", "app", "control", "telegram", "web", "source", "policies", "schedule"):
        assert section in cfg, section
    assert cfg["source"] == {"kind": "none"}
    assert cfg["p1"]["interval_s"] == 1 and cfg["p1"]["baud"] == 115200
    assert cfg["telegram"]["profile"] == "csp1"
    assert cfg["control"]["policy"] in config.policy_options()


def test_errors_name_the_key_what_is_wrong_and_what_is_allowed():
    cfg, errors = config.validate({"p1": {"interval_s": 0, "baud": 19200}, "control": {"fuse_a": "25"},
                                   "bogus": {}, "wifi": {"hostname": "My Pico"}})
    text = "\n".join(errors)
    assert "p1.interval_s: must be at least 1, got 0" in text
    assert "p1.baud: must be one of 115200, 9600, got 19200" in text
    assert 'control.fuse_a: must be a whole number, got "25"' in text
    assert "config.bogus: unknown section (allowed: wifi, p1" in text
    assert 'wifi.hostname: must be 1-32 lowercase letters' in text
    # a section with errors runs on its defaults
    assert cfg["p1"]["interval_s"] == 1 and cfg["control"]["fuse_a"] == 25 and cfg["wifi"]["hostname"] == "p1gen"


def test_unknown_keys_are_rejected_with_the_allowed_ones():
    _, errors = config.validate({"control": {"fuse": 25}})
    assert len(errors) == 1 and errors[0].startswith("control.fuse: unknown key (allowed: "), errors
    assert "fuse_a" in errors[0]


def test_source_kind_and_settings():
    cfg, errors = config.validate({"source": {"kind": "sma", "host": "192.168.1.20"}})
    assert errors == [], errors
    assert cfg["source"]["kind"] == "sma" and cfg["source"]["port"] == 502
    cfg, errors = config.validate({"source": {"kind": "fronius"}})
    assert errors and errors[0].startswith("source.kind: must be one of none, "), errors
    assert cfg["source"] == {"kind": "none"}
    cfg, errors = config.validate({"source": {"kind": "sma", "host": "192.168.1.20", "port": "502"}})
    assert errors == ['source.port: must be a whole number, got "502"'], errors
    assert cfg["source"] == {"kind": "none"}  # a misconfigured source is not started


def test_policies_section_checked_against_each_policy():
    cfg, errors = config.validate({"control": {"policy": "fixed"}, "policies": {"nope": {}}})
    assert errors and errors[0].startswith("policies.nope: unknown policy (allowed: "), errors
    _, errors = config.validate({"control": {"policy": "warp"}})
    assert errors and errors[0].startswith("control.policy: must be one of "), errors


def test_policy_settings_fall_back_to_the_policy_defaults():
    cfg, _ = config.validate({})
    solar = config.policy_settings(cfg, "solar")
    assert type(solar) is dict and solar == config.policy_settings(cfg, "solar")
    for name in config.policy_options():
        assert type(config.policy_settings(cfg, name)) is dict


def test_schedule_is_checked_by_the_schedule_module():
    _, errors = config.validate({"schedule": [{"policy": "solar", "start": "25:00"}]})
    assert errors and "schedule.0.start" in errors[0], errors


def test_public_config_has_no_secrets():
    cfg, errors = config.validate({"wifi": {"ssid": "home", "password": "hunter2"}, "web": {"password": "s3cret"}})
    assert errors == [], errors
    public = config.public(cfg)
    text = json.dumps(public)
    assert "hunter2" not in text and "s3cret" not in text
    assert public["wifi"]["ssid"] == "home"


def test_merge_keeps_secrets_a_form_leaves_out():
    saved = {"wifi": {"ssid": "home", "password": "hunter2"}, "source": {"kind": "sma", "host": "10.0.0.2"}}
    merged = config.merge(saved, {"wifi": {"ssid": "other"}, "control": {"fuse_a": 35}})
    assert merged["wifi"] == {"ssid": "other", "password": "hunter2"}
    assert merged["control"] == {"fuse_a": 35}
    merged = config.merge(saved, {"source": {"kind": "homewizard", "host": "10.0.0.3"}})
    assert merged["source"] == {"kind": "homewizard", "host": "10.0.0.3"}  # another kind replaces
    assert saved["wifi"]["ssid"] == "home"  # the saved dict is untouched
