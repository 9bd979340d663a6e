"""The MQTT task while ``mqtt.enabled``: keep a session with the broker, publish the state
and the discovery, carry commands to the Device. Its state is ``device.mqtt`` (in /api/status).

Topics under ``mqtt.base_topic``: ``availability`` (retained online / offline, the last will),
``state`` (one JSON object, QoS 0, every ``publish_s`` and at once on a change), ``set/<command>``
(subscribed at QoS 1; retained commands are ignored), ``error`` (what a command got wrong).
Only the session loop writes to the connection; the reader hands it what to send. Discovery
(``discovery``) and commands (``commands``) are imported when first needed.
"""
import gc
import json

import p1gen
from p1gen import ticks
from p1gen.app import config as configfile
from p1gen.app.aio import sleep_ms
from p1gen.app.pacer import backoff_ms
from p1gen.context import BATTERY_SOC, BATTERY_W, GRID_EXPORT_WH, GRID_IMPORT_WH, GRID_PHASE_W, GRID_W, PV_W
from p1gen.mqtt import client, enabled
from p1gen.sources.net import describe

_TICK_MS = 250  # how often the session looks for commands, changes and due messages
_MIN_GAP_MS = 1000  # at most one state message a second, however often things change
_QUEUE = 8  # at most this many acks or errors wait to be sent (a flood of commands is dropped)
_BACKOFF_MS = (1000, 15000)  # first and longest wait between two failed connects


def state(device):
    """The state message: the figures Home Assistant shows (None: not measured, or stale)."""
    now = ticks.ms()
    ctx = device.context
    stale = device.stale_ms()
    phase_w = ctx.fresh(GRID_PHASE_W, now, stale) or (None, None, None)
    c = device.controller.status()
    tg = device.tasks["telegram"].stats if "telegram" in device.tasks else {"reported_ma": None, "count": 0}
    report = tg["reported_ma"] or (None, None, None)
    name, settings = device.running_policy()
    config = device.config
    return {
        "grid_w": ctx.fresh(GRID_W, now, stale), "grid_l1_w": phase_w[0], "grid_l2_w": phase_w[1],
        "grid_l3_w": phase_w[2], "pv_w": ctx.fresh(PV_W, now, stale), "battery_w": ctx.fresh(BATTERY_W, now, stale),
        "battery_soc": ctx.fresh(BATTERY_SOC, now, stale),
        "grid_import_wh": ctx.get(GRID_IMPORT_WH), "grid_export_wh": ctx.get(GRID_EXPORT_WH),
        "report_l1_ma": report[0], "report_l2_ma": report[1], "report_l3_ma": report[2],
        "car_ma": c.get("car_ma"), "car_current_from": "measured" if c.get("car_exact") else "estimate",
        "policy": name, "schedule_active": device.schedule_active is not None,
        "law_state": c.get("state"), "failsafe": bool(c.get("failsafe")), "failsafe_why": c.get("failsafe_why"),
        "source_health": device.source_health(now), "telegrams": tg["count"],
        "uptime_s": ticks.diff(now, device.start_ms) // 1000,
        "free_heap": gc.mem_free() if hasattr(gc, "mem_free") else None, "version": p1gen.__version__,
        "capacity_limit_w": configfile.policy_settings(config, "capacity").get("limit_w"),
        "fixed_current_a": configfile.policy_settings(config, "fixed").get("current_a"),
        "target_soc": settings.get("target_soc"),
    }


def _signature(device):
    """What is published at once when it changes: policy, the law's state, failsafe, source health."""
    c = device.controller.status()
    return device.running_policy()[0], c.get("state"), c.get("failsafe"), device.source_health()


def _key(device):
    """What a session depends on: a change ends it, and clears its entities first (a new
    broker, topic or name; off). publish_s and keepalive_s are read as the session runs."""
    m = device.config["mqtt"]
    return (m["enabled"], m["host"], m["port"], m["user"], m["password"], m["base_topic"],
            m["discovery_prefix"], device.config["wifi"]["hostname"])


def node_id(device):
    """The device's stable id: the chip's unique id on a board, the host name elsewhere."""
    try:
        import machine
        import binascii

        return "p1gen_" + binascii.hexlify(machine.unique_id()).decode()
    except (ImportError, AttributeError):
        return "p1gen_" + device.config["wifi"]["hostname"].replace("-", "_")


async def run(device):
    """Sessions with the broker until MQTT is switched off and its entities are removed."""
    st = device.mqtt = {"state": "starting", "connected": False, "connects": 0, "failures": 0, "last_error": None,
                        "published": 0, "commands": 0, "command_errors": 0}
    failures = 0
    shown = [None]  # (settings, node id) of the entities announced and not yet removed
    while True:
        on = enabled(device)
        if not on and (shown[0] is None or failures > 2):  # off: entities removed, or the broker is gone
            break
        if on:
            s, node = dict(device.config["mqtt"]), node_id(device)
        else:
            s, node = shown[0]  # pyright: ignore[reportGeneralTypeIssues] (not None here)
        if not device.board.wifi.isconnected():
            st["state"] = "waiting for Wi-Fi"
            await sleep_ms(1000)
            continue
        st["state"] = "connecting to %s:%d" % (s["host"], s["port"])
        link = None
        try:
            link = await client.connect(s["host"], s["port"], node, s["base_topic"] + "/availability", "offline",
                                        s["user"], s["password"], s["keepalive_s"])
            st["connects"] += 1
            failures = 0
            await _session(device, link, s, node, on, shown)
        except Exception as e:
            failures += 1
            st["failures"] += 1
            st["last_error"] = describe(e)
        finally:
            st["connected"] = False
            if link is not None:
                link.close()
        if failures:
            wait = backoff_ms(failures, _BACKOFF_MS[0], _BACKOFF_MS[1])
            st["state"] = "retry in %d ms: %s" % (wait, st["last_error"])
            key = _key(device)
            while wait > 0 and _key(device) == key:  # a change of settings ends the wait
                await sleep_ms(_TICK_MS)
                wait -= _TICK_MS
    st["state"] = "off"
    if shown[0] is not None:
        st["last_error"] = "entities not removed: %s" % st["last_error"]


def _load(name):
    """A module of this package used now and then (discovery, commands): imported for the
    moment; ``_unload`` gives its code back to the heap (its interned names stay)."""
    return __import__("p1gen.mqtt." + name, None, None, (name,))


def _unload(name):
    import sys

    import p1gen.mqtt as package

    sys.modules.pop("p1gen.mqtt." + name, None)
    if hasattr(package, name):
        delattr(package, name)


async def _session(device, link, s, node, on, shown):
    """One session: announce and serve until the settings change (``on``), then remove the
    entities ``shown[0]`` holds and say offline; only the removal when MQTT is off."""
    base = s["base_topic"]
    st = device.mqtt
    if on:
        key = _key(device)
        await link.publish(base + "/availability", "online", True)
        await link.subscribe(base + "/set/+")
        if s["discovery_prefix"]:
            shown[0] = (s, node)
            try:
                for topic, payload in _load("discovery").configs(device, s, node):
                    await link.publish(topic, payload, True)
            finally:
                _unload("discovery")
        st["connected"], st["state"], st["last_error"] = True, "connected", None
        await _serve(device, link, base, key)
    if shown[0] is not None:  # remove the entities: an empty retained config each
        try:
            for topic in _load("discovery").topics(device, *shown[0]):
                await link.publish(topic, b"", True)
        finally:
            _unload("discovery")
        shown[0] = None
    await link.publish(base + "/availability", "offline", True)
    await link.disconnect()


async def _serve(device, link, base, key):
    """Publish the state, answer commands and keep the session alive until the settings change."""
    import asyncio

    out = []  # (topic, payload) to publish, (None, packet id) to acknowledge, (False, why) on failure
    reader = asyncio.create_task(_read(device, link, base, out))
    st = device.mqtt
    last_pub = last_ping = ticks.ms()
    last_sig = None
    try:
        while _key(device) == key:
            while out:
                topic, payload = out.pop(0)
                if topic is False:
                    raise client.MqttError(payload)
                await (link.puback(payload) if topic is None else link.publish(topic, payload))
            live = device.config["mqtt"]
            keepalive_ms = live["keepalive_s"] * 1000
            now = ticks.ms()
            sig = _signature(device)
            since = ticks.diff(now, last_pub)
            if (sig != last_sig and since >= _MIN_GAP_MS) or since >= live["publish_s"] * 1000:
                await link.publish(base + "/state", json.dumps(state(device)))
                st["published"] += 1
                last_pub, last_sig = now, sig
            if ticks.diff(now, last_ping) >= keepalive_ms // 2:
                await link.ping()
                last_ping = now
            if ticks.diff(now, link.last_rx) > keepalive_ms * 3 // 2:
                raise client.MqttError("no answer from the broker for %d s" % (keepalive_ms * 3 // 2000))
            await sleep_ms(_TICK_MS)
    finally:
        reader.cancel()


async def _read(device, link, base, out):
    """Read the broker's packets; carry out commands, queue their acks and errors in ``out``."""
    prefix = base + "/set/"
    st = device.mqtt
    try:
        while True:
            first, body = await link.read_packet()
            if first >> 4 == client.SUBACK and body[-1:] == b"\x80":
                st["last_error"] = "the broker refused the subscription to %s+: no commands" % prefix
            if first >> 4 != client.PUBLISH:
                continue  # PINGRESP and the rest: read_packet noted that the broker is alive
            topic, payload, qos, pid, retained = client.parse_publish(first, body)
            if not topic.startswith(prefix):
                errors = ["not a command topic (%s<command>)" % prefix]
            elif retained:
                errors = ["retained commands are ignored (publish commands without retain)"]
            else:
                st["commands"] += 1
                try:
                    errors = _load("commands").command(device, topic[len(prefix):], payload)
                except Exception as e:  # a bug must not end the session; the command is refused
                    errors = ["%s: %s" % (type(e).__name__, e)]
                finally:
                    _unload("commands")
                    _unload("discovery")
            if errors:
                st["command_errors"] += 1
                _queue(out, (base + "/error", json.dumps({"topic": topic, "errors": errors})))
            if pid is not None:
                _queue(out, (None, pid))
    except Exception as e:  # not CancelledError: a BaseException on both runtimes
        out.append((False, describe(e)))


def _queue(out, item):
    if len(out) >= _QUEUE:
        out.pop(0)
    out.append(item)
