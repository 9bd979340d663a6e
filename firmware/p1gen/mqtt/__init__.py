"""Home Assistant over MQTT: state, discovery and commands (README, "Home Assistant").

This module only declares the settings and runs the bridge; the config validator loads it
for the settings and drops it again, and the MQTT task imports it, and the client
(``p1gen.mqtt.bridge`` and what it imports), the first time MQTT is switched on, so a board
that does not use it pays nothing on its heap.
"""
from p1gen.options import Opt, is_ipv4

OPTIONS = (
    Opt("enabled", bool, False, "Home Assistant over MQTT: state, discovery, commands (off: the entities "
        "are removed)"),
    Opt("host", str, "", "IPv4 address of the MQTT broker"),
    Opt("port", int, 1883, "TCP port of the MQTT broker", lo=1, hi=65535),
    Opt("user", str, "", "user name at the broker (empty: none)"),
    Opt("password", str, "", "password at the broker", secret=True),
    Opt("base_topic", str, "p1gen", "first level of every topic (.../state, .../set/COMMAND, ...)"),
    Opt("discovery_prefix", str, "homeassistant", "Home Assistant's discovery prefix (empty: no discovery)"),
    Opt("publish_s", int, 10, "seconds between two state messages (a change is sent at once)", lo=1, hi=3600),
    Opt("keepalive_s", int, 30, "MQTT keepalive, s: no answer for 1.5 times it and the client reconnects",
        lo=4, hi=600),
)

_TOPIC_BAD = "+#\0"


def check(settings, where="mqtt"):
    """Errors the OPTIONS cannot say: the host must be an IPv4 address when enabled, topics
    must be plain (no wildcard, no leading or trailing /)."""
    errors = []
    host = settings.get("host", "")
    if settings.get("enabled") and not is_ipv4(host):
        errors.append('%s.host: must be an IPv4 address when enabled, got "%s"' % (where, host))
    for key in ("base_topic", "discovery_prefix"):
        topic = settings.get(key, "")
        if (key == "base_topic" and not topic) or any(c in topic for c in _TOPIC_BAD) or \
                topic.startswith("/") or topic.endswith("/"):
            errors.append('%s.%s: must be a topic without +, # or a leading or trailing /, got "%s"'
                          % (where, key, topic))
    return errors


def enabled(device):
    """MQTT runs even while other sections have errors: Home Assistant then sees the failsafe."""
    return bool(device.config.get("mqtt", {}).get("enabled"))


async def run(device, poll_ms=2000):
    """The MQTT task once MQTT was switched on (p1gen.app.tasks.Mqtt): the bridge while it is
    on, idle (a check every poll_ms) while it is off. The bridge returns when MQTT is switched
    off, after removing its entities."""
    import gc

    from p1gen.app.aio import sleep_ms

    while True:
        if enabled(device):
            gc.collect()  # the client's code then lands in one tidy heap
            from p1gen.mqtt import bridge

            await bridge.run(device)
        await sleep_ms(poll_ms)
