"""The MQTT task while ``mqtt.enabled``: keep a session with the broker, publish the state
and the discovery, carry commands to the Device. Its state is ``device.mqtt`` (in /api/status).

Topics under ``mqtt.base_topic``: ``availability`` (retained online / offline, the last will),
``state`` (one JSON object, QoS 0, every ``publish_s`` and at once on a change), ``set/<command>``
(subscribed at QoS 1; retained commands are ignored), ``error`` (what a command got wrong).
Only this task writes to the connection; the reader task hands it what to send.
"""
import asyncio
import gc
import json

import p1gen
from p1gen import ticks
from p1gen.app import config as configfile
from p1gen.app.aio import sleep_ms, wait_for_ms
from p1gen.app.pacer import backoff_ms
from p1gen.context import BATTERY_SOC, BATTERY_W, GRID_EXPORT_WH, GRID_IMPORT_WH, GRID_PHASE_W, GRID_W, PV_W
from p1gen.mqtt import client, discovery, enabled
from p1gen.sources.net import describe

_TICK_MS = 250  # how often a change of policy, state, failsafe or health is looked for
_MIN_GAP_MS = 1000  # at most one state message a second, however often things change
_QUEUE = 8  # at most this many acks or errors wait to be sent (a flood of commands is dropped)
_FIRST_BACKOFF_MS = 1000
_MAX_BACKOFF_MS = 30000
# number commands: key -> (policy, option) it sets; policy None: every policy that has the option
NUMBERS = {"capacity_limit_w": ("capacity", "limit_w"), "fixed_current_a": ("fixed", "current_a"),
           "target_soc": (None, "target_soc")}


def state(device):
    """The state message: the figures Home Assistant shows (None: not measured, or stale)."""
    now = ticks.ms()
    ctx = device.context
    stale = device.stale_ms()

    def fresh(name):
        return ctx.fresh(name, now, stale)

    phase_w = fresh(GRID_PHASE_W) or (None, None, None)
    c = device.controller.status()
    report = device.telegram["reported_ma"] or (None, None, None)
    name, settings = device.running_policy()
    return {
        "grid_w": fresh(GRID_W), "grid_l1_w": phase_w[0], "grid_l2_w": phase_w[1], "grid_l3_w": phase_w[2],
        "pv_w": fresh(PV_W), "battery_w": fresh(BATTERY_W), "battery_soc": fresh(BATTERY_SOC),
        "grid_import_wh": ctx.get(GRID_IMPORT_WH), "grid_export_wh": ctx.get(GRID_EXPORT_WH),
        "report_l1_ma": report[0], "report_l2_ma": report[1], "report_l3_ma": report[2],
        "car_ma": c.get("car_ma"), "car_current_from": "measured" if c.get("car_exact") else "estimate",
        "policy": name, "schedule_active": device.schedule_active is not None,
        "law_state": c.get("state"), "failsafe": bool(c.get("failsafe")), "failsafe_why": c.get("failsafe_why"),
        "source_health": device.source_health(now), "telegrams": device.telegram["count"],
        "uptime_s": ticks.diff(now, device.start_ms) // 1000,
        "free_heap": gc.mem_free() if hasattr(gc, "mem_free") else None, "version": p1gen.VERSION,
        "capacity_limit_w": configfile.policy_settings(device.config, "capacity").get("limit_w"),
        "fixed_current_a": configfile.policy_settings(device.config, "fixed").get("current_a"),
        "target_soc": settings.get("target_soc"),
    }


def _signature(device):
    c = device.controller.status()
    return device.running_policy()[0], c.get("state"), c.get("failsafe"), device.source_health()


def _number(text):
    try:
        return int(text)
    except ValueError:
        value = float(text)  # Home Assistant may send "16.0"
        if value != int(value):
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


def _settings(device):
    """What a session depends on: a change ends it, and clears its entities first (a new
    broker, topic or name; off). publish_s and keepalive_s are read as the session runs."""
    m = device.config["mqtt"]
    return (m["enabled"], m["host"], m["port"], m["user"], m["password"], m["base_topic"],
            m["discovery_prefix"], device.config["wifi"]["hostname"])


class Bridge:
    def __init__(self, device):
        self.device = device
        self.status = device.mqtt = {"state": "starting", "connected": False, "connects": 0, "failures": 0,
                                     "last_error": None, "published": 0, "commands": 0, "command_errors": 0}
        self.acks = []
        self.outbox = []  # (topic, payload) from the reader, sent by the session loop
        self.failed = None
        self.wake = asyncio.Event()
        self.discovered = None  # (settings, node id) the entities were announced with

    async def run(self):
        device = self.device
        st = self.status
        failures = 0
        while enabled(device):
            settings = dict(device.config["mqtt"])
            if not device.board.wifi.isconnected():
                st["state"] = "waiting for Wi-Fi"
                await sleep_ms(1000)
                continue
            st["state"] = "connecting to %s:%d" % (settings["host"], settings["port"])
            try:
                link = await self._connect(settings)
            except Exception as e:
                failures += 1
                self._failed("connect: %s" % describe(e), failures)
                await self._wait(backoff_ms(failures, _FIRST_BACKOFF_MS, _MAX_BACKOFF_MS))
                continue
            failures = 0
            st["connects"] += 1
            try:
                await self._session(link, settings)
            except Exception as e:
                failures = 1
                self._failed(describe(e), failures)
            finally:
                st["connected"] = False
                link.close()
            if failures:
                await self._wait(backoff_ms(failures, _FIRST_BACKOFF_MS, _MAX_BACKOFF_MS))
        await self._clear_after_off()
        st["state"] = "off"

    def _failed(self, why, failures):
        st = self.status
        st["failures"] += 1
        st["last_error"] = why
        st["state"] = "retry %d in %d ms: %s" % (failures, backoff_ms(failures, _FIRST_BACKOFF_MS, _MAX_BACKOFF_MS),
                                                 why)

    async def _wait(self, ms):
        """Sleep ms, but wake early when MQTT is switched off or its settings change."""
        start = _settings(self.device)
        while ms > 0 and _settings(self.device) == start:
            await sleep_ms(min(ms, _TICK_MS))
            ms -= _TICK_MS

    def _connect(self, s, node=None):
        base = s["base_topic"]
        return client.connect(s["host"], s["port"], node or discovery.node_id(self.device),
                              base + "/availability", "offline", s["user"], s["password"], s["keepalive_s"])

    async def _session(self, link, settings):
        device = self.device
        st = self.status
        base = settings["base_topic"]
        started = _settings(device)
        self.acks, self.outbox, self.failed = [], [], None
        await link.publish(base + "/availability", "online", True)
        await link.subscribe(base + "/set/+")
        if settings["discovery_prefix"]:
            node = discovery.node_id(device)
            self.discovered = (settings, node)
            for topic, payload in discovery.configs(device, settings, node):
                await link.publish(topic, payload, True)
        st["connected"], st["state"], st["last_error"] = True, "connected", None
        reader = asyncio.create_task(self._read(link, base))
        last_pub = last_ping = ticks.ms()
        last_sig = None
        try:
            while True:
                if self.failed:
                    raise client.MqttError(self.failed)
                if _settings(device) != started:
                    await self._clear(link, settings)
                    await link.disconnect()
                    return
                while self.acks:
                    await link.puback(self.acks.pop(0))
                while self.outbox:
                    topic, payload = self.outbox.pop(0)
                    await link.publish(topic, payload)
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
                self.wake.clear()
                try:
                    await wait_for_ms(self.wake.wait(), _TICK_MS)
                except asyncio.TimeoutError:
                    pass
        finally:
            reader.cancel()

    async def _read(self, link, base):
        """Read the broker's packets; commands are carried out here, their answers queued."""
        prefix = base + "/set/"
        try:
            while True:
                first, body = await link.read_packet()
                if first >> 4 == client.SUBACK and body[-1:] == b"\x80":
                    self.status["last_error"] = "the broker refused the subscription to %s+: no commands" % prefix
                if first >> 4 != client.PUBLISH:
                    continue  # PINGRESP and the rest: read_packet noted that the broker is alive
                topic, payload, qos, pid, retained = client.parse_publish(first, body)
                errors = None
                if not topic.startswith(prefix):
                    errors = ["%s: not a command topic (%s<command>)" % (topic, prefix)]
                elif retained:
                    errors = ["%s: retained commands are ignored (publish commands without retain)" % topic]
                else:
                    self.status["commands"] += 1
                    try:
                        errors = command(self.device, topic[len(prefix):], payload)
                    except Exception as e:  # a bug must not end the session; the command is refused
                        errors = ["%s: %s: %s" % (topic, type(e).__name__, e)]
                if errors:
                    self.status["command_errors"] += 1
                    self._queue(self.outbox, (base + "/error", json.dumps({"topic": topic, "errors": errors})))
                if pid is not None:
                    self._queue(self.acks, pid)
                self.wake.set()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.failed = describe(e)
            self.wake.set()

    @staticmethod
    def _queue(queue, item):
        if len(queue) >= _QUEUE:
            queue.pop(0)
        queue.append(item)

    async def _clear(self, link, settings):
        """Remove the entities (empty retained configs) and say offline, before a change or off."""
        if self.discovered is not None:
            for topic in discovery.topics(self.device, *self.discovered):
                await link.publish(topic, b"", True)
            self.discovered = None
        await link.publish(settings["base_topic"] + "/availability", "offline", True)

    async def _clear_after_off(self):
        """MQTT was switched off while not connected: one try to remove the entities."""
        if self.discovered is None:
            return
        settings, node = self.discovered
        try:
            link = await self._connect(settings, node)
        except Exception as e:
            self.status["last_error"] = "entities not removed: %s" % describe(e)
            return
        try:
            await self._clear(link, settings)
        except Exception as e:
            self.status["last_error"] = "entities not removed: %s" % describe(e)
        await link.disconnect()


async def run(device):
    await Bridge(device).run()
