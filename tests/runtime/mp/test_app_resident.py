"""What stays on the heap once a Device runs (docs/heap.md): the config validator and the modules
it loads only for their settings (the policies not running, the schedule, MQTT's settings) are
dropped after each check, the telegram parser and the profiles not used are never loaded, and
every check still works when they must be loaded again."""
import json
import sys

from appdevice import cleanup, device_with

from p1gen.app import heap

SETTINGS_ONLY = ("p1gen.app.configcheck", "p1gen.app.schedule", "p1gen.telegram.dsmr5", "p1gen.telegram.emucs")


def _forget_settings_modules():
    """Start from a heap without them (pytest runs every test in one CPython process)."""
    for name in list(sys.modules):
        if name in SETTINGS_ONLY or name.startswith("p1gen.policy."):
            heap.unload(name)
    if not [name for name in sys.modules if name.startswith("p1gen.mqtt.")]:  # no MQTT test holds it
        heap.unload("p1gen.mqtt")


def _loaded(prefix):
    return sorted(name for name in sys.modules if name == prefix or name.startswith(prefix + "."))


def test_a_running_device_holds_only_what_it_runs():
    _forget_settings_modules()
    mqtt_was_dropped = "p1gen.mqtt" not in sys.modules
    dev, path = device_with({"control": {"policy": "full"}, "source": {"kind": "sma", "host": "192.168.1.20"},
                             "mqtt": {"enabled": False}})
    assert dev.config_errors == [], dev.config_errors
    for name in SETTINGS_ONLY:
        assert name not in sys.modules, name
    if mqtt_was_dropped:
        assert "p1gen.mqtt" not in sys.modules
    assert _loaded("p1gen.policy") == ["p1gen.policy", "p1gen.policy.full"], _loaded("p1gen.policy")
    assert dev.config["schedule"] == [] and dev.config["mqtt"]["enabled"] is False
    json.dumps(dev.status())  # the status needs none of them
    assert "p1gen.app.configcheck" not in sys.modules
    cleanup(path)


def test_checks_load_the_validator_again_and_drop_it_after():
    _forget_settings_modules()
    dev, path = device_with({"control": {"policy": "full"}})
    entry = {"policy": "solar", "start": "07:30", "days": [0, 1, 2, 3, 4]}
    errors = dev.apply_config({"schedule": [entry], "policies": {"capacity": {"limit_w": 9000}}})
    assert errors == [], errors
    assert dev.config["schedule"][0]["policy"] == "solar" and dev.config["policies"]["capacity"]["limit_w"] == 9000
    assert "p1gen.app.configcheck" not in sys.modules and "p1gen.app.schedule" not in sys.modules
    assert _loaded("p1gen.policy") == ["p1gen.policy", "p1gen.policy.full"], _loaded("p1gen.policy")
    # a wrong schedule entry is still caught, with the policy it names checked
    errors = dev.apply_config({"schedule": [{"policy": "nosuch", "start": "07:30"}]})
    assert errors and errors[0].startswith('schedule.0.policy: unknown policy "nosuch"'), errors
    assert dev.config["schedule"][0]["policy"] == "solar"  # nothing changed
    errors = dev.apply_config({"policies": {"capacity": {"limit_w": "high"}}})
    assert errors == ['policies.capacity.limit_w: must be a whole number, got "high"'], errors
    # the API's views of the settings
    public = dev.config_public()
    assert public["policies"]["capacity"]["limit_w"] == 9000
    assert dev.set_policy("nosuch")[0].startswith("policy: must be one of capacity, fixed, full")
    assert "p1gen.app.configcheck" not in sys.modules
    cleanup(path)


def test_the_defaults_of_a_policy_that_does_not_run_leave_its_module_out():
    """MQTT's state message carries the capacity limit and the fixed current every publish."""
    from p1gen.app import config as configfile

    _forget_settings_modules()
    dev, path = device_with({"control": {"policy": "full"}})
    for _ in range(2):
        assert configfile.policy_settings(dev.config, "capacity")["limit_w"] > 0
        assert configfile.policy_settings(dev.config, "fixed")["current_a"] > 0
        assert _loaded("p1gen.policy") == ["p1gen.policy", "p1gen.policy.full"], _loaded("p1gen.policy")
    assert configfile.policy_settings(dev.config, "nosuch") == {}
    assert dev.apply_config({"policies": {"fixed": {"current_a": 11}}}) == []
    assert configfile.policy_settings(dev.config, "fixed")["current_a"] == 11  # saved settings win
    cleanup(path)


def test_the_telegram_parser_and_other_profiles_load_on_first_use():
    from p1gen import reading, telegram

    telegram._templates.clear()  # as on a fresh board: no template made yet (other tests share this process)
    sys.modules.pop("p1gen.telegram.dsmr5", None)
    data = telegram.build(reading.Reading(current_ma=(1000, 2000, 3000)), "dsmr5")
    assert telegram.parse(data).current_ma == (1000, 2000, 3000)
    assert "p1gen.telegram.dsmr5" in sys.modules and telegram.TelegramError.__name__ == "TelegramError"
    try:
        telegram.parse(data.replace(b"1-0:31.7.0(001", b"1-0:31.7.0(009"))
    except telegram.TelegramError as e:
        assert "CRC" in str(e), e
    else:
        raise AssertionError("a telegram with a bad CRC was taken")
