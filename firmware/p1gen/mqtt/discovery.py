"""Home Assistant MQTT discovery: one device, its entities, and the retained config of each.

The entities are listed in ``entities.jsonl`` beside this file, one JSON object a line,
and read one line at a time, so the list costs the heap nothing while it is not being
sent. Every entity reads the one JSON state message (``<base>/state``) through a value
template (``scale``: the state carries mA, the entity shows A). A select's commands go
to ``<base>/set/<key>``; a number's range comes from the policy option it sets
(``NUMBERS``), so Home Assistant offers exactly what the validator accepts.
"""
import json

import p1gen
from p1gen.app import config as configfile

_ENTITIES = __file__.rsplit("/", 1)[0] + "/entities.jsonl"
# number commands: key -> (policy, option) it sets; policy None: every policy that has the option
NUMBERS = {"capacity_limit_w": ("capacity", "limit_w"), "fixed_current_a": ("fixed", "current_a"),
           "target_soc": (None, "target_soc")}


def _device_block(device, node):
    board = device.board
    wifi = device.tasks["wifi"].state if "wifi" in device.tasks else {}
    address = wifi.get("address") or device.config["wifi"]["hostname"] + ".local"
    port = getattr(board, "WEB_PORT", None) or device.config.get("web", {}).get("port", 80)
    url = "http://%s%s/" % (address, "" if port == 80 else ":%d" % port)
    return {"identifiers": [node], "name": device.config["wifi"]["hostname"], "manufacturer": "p1gen",
            "model": "P1 meter emulator (%s)" % board.NAME, "sw_version": p1gen.__version__,
            "configuration_url": url}


def _range(key, options):
    """(min, max) of the policy option number ``key`` sets; ``options``: {policy: OPTIONS}."""
    policy_name, option = NUMBERS[key]
    for o in options.get(policy_name or "solar", ()):
        if o.name == option:
            return o.lo, o.hi
    return 0, 100


def entities(device, settings, node):
    """(config topic, payload dict) of every entity of device ``node``, one at a time."""
    base = settings["base_topic"]
    dev = _device_block(device, node)
    options = None
    with open(_ENTITIES) as f:
        for line in f:
            out = json.loads(line)
            component = out.pop("component")
            key = out.pop("key")
            scale = out.pop("scale", None)
            out["unique_id"] = node + "_" + key
            out["state_topic"] = base + "/state"
            out["availability_topic"] = base + "/availability"
            if "value_template" not in out:
                out["value_template"] = "{{ value_json.%s%s }}" % (key, " / %d" % scale if scale else "")
            if component in ("select", "number"):
                out["command_topic"] = base + "/set/" + key
            if component == "select":
                from p1gen import policy

                out["options"] = list(policy.NAMES)
            if component == "number":
                if options is None:  # the policies that do not run are loaded for this and dropped
                    options = configfile.policy_options()
                out["min"], out["max"] = _range(key, options)
                out["step"] = 1
            out["device"] = dev
            yield "%s/%s/%s/%s/config" % (settings["discovery_prefix"], component, node, key), out


def configs(device, settings, node):
    """(topic, JSON text) of every entity's discovery config."""
    for topic, out in entities(device, settings, node):
        yield topic, json.dumps(out)


def topics(device, settings, node):
    """Every config topic (to clear them: an empty retained payload removes the entity)."""
    for topic, _ in entities(device, settings, node):
        yield topic
