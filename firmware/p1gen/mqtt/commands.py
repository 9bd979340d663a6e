"""Commands from MQTT (``<base>/set/<name>``), carried out through the Device's methods, the
ones the HTTP API calls: the same validation, and a bad value changes nothing. Imported for
each command and unloaded after it (``p1gen.mqtt.bridge._load``): commands are rare."""
import json

from p1gen.app import config as configfile
from p1gen.mqtt.discovery import NUMBERS


def _number(text):
    try:
        return int(text)
    except ValueError:
        value = float(text)  # Home Assistant may send "16.0"
        if not -1e9 < value < 1e9 or value != int(value):  # also nan and inf
            raise ValueError("not a whole number")
        return int(value)


def command(device, name, payload):
    """Carry out the command ``<base>/set/<name>``; its errors (empty when it worked). The Device's
    methods are the HTTP API's: the same validation, and a bad value changes nothing."""
    try:
        text = payload.decode().strip()
    except UnicodeError:
        return ["%s: the payload is not UTF-8 text" % name]
    if name == "policy":
        if not text.startswith("{"):
            return device.set_policy(text)
        try:
            body = json.loads(text)
        except ValueError:
            return ['policy: send a policy name or {"policy": name, "settings": {...}}, got %s' % text[:60]]
        settings = body.get("settings") if type(body) is dict else None
        if type(body) is not dict or type(body.get("policy")) is not str or \
                (settings is not None and type(settings) is not dict):
            return ['policy: send a policy name or {"policy": name, "settings": {...}}']
        return device.set_policy(body["policy"], settings)
    if name == "schedule":
        try:
            entries = json.loads(text)
        except ValueError:
            return ["schedule: send a JSON list of entries (as PUT /api/schedule), got %s" % text[:60]]
        if type(entries) is dict:
            entries = entries.get("entries")
        return device.apply_config({"schedule": entries})
    if name not in NUMBERS:
        return ["%s: unknown command (allowed: policy, schedule, %s)" % (name, ", ".join(sorted(NUMBERS)))]
    try:
        value = _number(text)
    except ValueError:
        return ["%s: must be a whole number, got %s" % (name, text[:40])]
    policy_name, opt = NUMBERS[name]
    if policy_name is not None:
        return device.apply_config({"policies": {policy_name: {opt: value}}})
    changes = {}
    for pname, opts in configfile.policy_options().items():
        if any(o.name == opt for o in opts):
            changes[pname] = {opt: value}
    return device.apply_config({"policies": changes})
