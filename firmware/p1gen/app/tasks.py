"""The device's tasks besides the telegrams (p1gen.app.telegrams), each a supervised Task
(p1gen.app.task) in the one asyncio loop. None has a deadline; each does little between
awaits so it never holds the loop for long."""
import asyncio
import gc

from p1gen import ticks
from p1gen.app import heap
from p1gen.app.aio import const, wait_for_ms
from p1gen.app.pacer import backoff_ms
from p1gen.app.task import Task
from p1gen.app.wallclock import utc_now

_POLL_CAP_MS = const(10000)  # a source's own timeouts are shorter; this only catches a bug
_WIFI_WAIT_MS = const(20000)
_CLOCK_EVERY_MS = const(6 * 3600 * 1000)
_FOREVER_MS = const(3600000)
_MQTT_POLL_MS = const(2000)


class Source(Task):
    """Polls the configured energy source into device.context; starts it again when the
    device signals new source settings (device.source_changed), and retries making it."""
    NAME = "source"
    HANG_MS = _POLL_CAP_MS + 5000

    def __init__(self, device, supervisor=None):
        self.state = {"kind": "none", "name": None, "polls": 0, "failures": 0, "last_error": None,
                      "last_ok_ms": None}
        self.src = None
        super().__init__(device, supervisor)

    async def run(self):
        changed = self.device.source_changed
        while True:
            changed.clear()
            src, self.src = self.src, None
            if src is not None:
                try:
                    await src.close()
                except Exception as e:
                    print("p1gen source: close:", e)
            settings = self.device.source_settings()
            state = self.state
            state["kind"], state["name"], state["last_error"], state["last_ok_ms"] = \
                settings["kind"], None, None, None
            if settings["kind"] == "none":
                while not await self.wait_event(changed, _FOREVER_MS):
                    pass
                continue
            self.src = await self._make(settings)
            while self.src is not None and not changed.is_set():
                spent = await self._poll(self.src)
                await self.wait_event(changed, max(50, self.src.interval_ms - spent))

    async def _make(self, settings):
        """The source, made again after a back-off while it fails (a transient MemoryError
        among others); None when the settings change meanwhile."""
        from p1gen import sources

        tries = 0
        while True:
            try:
                src = heap.attempt("source " + settings["kind"], sources.make, dict(settings))
                self.state["name"], self.state["last_error"] = src.name, None
                return src
            except Exception as e:
                tries += 1
                self.state["last_error"] = "source: %s (try %d)" % (e, tries)
                gc.collect()
            if await self.wait_event(self.device.source_changed, backoff_ms(tries, 1000, 60000)):
                return None

    async def _poll(self, src):
        """One poll into the device's context; the ms it took."""
        state = self.state
        started = ticks.ms()
        polls = src.polls
        error = None
        self.last_run_ms = ticks.ms()
        try:
            ctx = await wait_for_ms(src.poll(), _POLL_CAP_MS)
            self.device.context.update(ctx)
            error = ctx.error
        except asyncio.TimeoutError:
            error = "%s: no answer within %d s" % (src.name, _POLL_CAP_MS // 1000)
        except Exception as e:
            error = "%s: %s: %s" % (src.name, type(e).__name__, e)
        if src.polls != polls or error is not None:
            state["polls"] += 1
            if error is None:
                state["last_ok_ms"] = ticks.ms()
            else:
                state["failures"] += 1
            state["last_error"] = error
        return ticks.diff(ticks.ms(), started)

    def health(self, now, stale_ms):
        """ok, stale, error, starting (why there is no source: the Device says)."""
        state = self.state
        if state["last_ok_ms"] is None:
            return "starting" if state["last_error"] is None else "error"
        if ticks.diff(now, state["last_ok_ms"]) > stale_ms:
            return "stale"
        return "ok" if state["last_error"] is None else "error"


class Schedule(Task):
    """Once a minute, and at once when the config is saved: run the policy the schedule asks for."""
    NAME = "schedule"

    def __init__(self, device, supervisor=None):
        self.state = None  # (policy, settings) it runs, or None
        super().__init__(device, supervisor)

    async def run(self):
        from p1gen.app import config as configfile
        from p1gen.telegram import clock

        device = self.device
        while True:
            entries = device.config["schedule"]
            utc = utc_now()
            want = None
            wait_s = 60
            if entries and utc is not None:  # a schedule's module is imported only when it has entries
                from p1gen.app import schedule

                settings = device.config["telegram"]
                y, m, d, hh, mi, ss, _ = clock.local_fields(utc, settings["utc_offset_min"], settings["eu_dst"])
                weekday = (clock.days_from_civil(2000 + y, m, d) + 3) % 7  # 1970-01-01 was a Thursday
                want = schedule.active(entries, weekday, hh * 60 + mi)
                wait_s = 60 - ss
            if want is not None:
                name, given = want
                merged = dict(configfile.policy_settings(device.config, name))
                merged.update(given)
                want = (name, merged)
            if want != self.state:
                self.state = want
                device.schedule_active = want
                device.run_policy(*device.running_policy())
            device.config_saved.clear()
            await self.wait_event(device.config_saved, wait_s * 1000)


class Wifi(Task):
    """Keeps the station connected: connect, wait, back off on failure, reconnect when dropped;
    sets the clock by NTP after each connect and every few hours."""
    NAME = "wifi"

    def __init__(self, device, supervisor=None, wait_ms=_WIFI_WAIT_MS, first_backoff_ms=2000, max_backoff_ms=120000):
        self.state = {"state": "starting", "address": None, "reconnects": 0}
        self.wait_ms, self.first_backoff_ms, self.max_backoff_ms = wait_ms, first_backoff_ms, max_backoff_ms
        super().__init__(device, supervisor)

    async def run(self):
        wifi = self.device.board.wifi
        settings = self.device.config["wifi"]
        state = self.state
        if not settings["ssid"] and not wifi.isconnected():
            state["state"] = "not configured (wifi.ssid is empty)"
            return
        failures = 0
        connected_before = False
        clock_due = ticks.ms()
        while True:
            if wifi.isconnected():
                state["state"], state["address"] = "connected", wifi.address()
                failures = 0
                connected_before = True
                if ticks.diff(ticks.ms(), clock_due) >= 0:
                    await self.set_clock()
                    clock_due = ticks.add(ticks.ms(), _CLOCK_EVERY_MS if state.get("clock") == "set" else 60000)
                await self.pause(min(5000, self.wait_ms))
                continue
            state["state"], state["address"] = "connecting", None
            if connected_before:
                state["reconnects"] += 1
                connected_before = False
                clock_due = ticks.ms()
            try:
                wifi.connect(settings["ssid"], settings["password"], settings["hostname"], settings["country"])
                waited = 0
                while waited < self.wait_ms and not wifi.isconnected():
                    await self.pause(50)
                    waited += 50
            except Exception as e:
                state["state"] = "error: %s" % e
            if wifi.isconnected():
                continue
            failures += 1
            state["failures"] = state.get("failures", 0) + 1
            state["state"] = "%s; retry %d" % (wifi.state(), failures)
            await self.pause(backoff_ms(failures, self.first_backoff_ms, self.max_backoff_ms))

    async def set_clock(self):
        """The clock from wifi.ntp, on boards that have a settable clock (the unix port's is right)."""
        server = self.device.config["wifi"]["ntp"]
        board = self.device.board
        set_time = getattr(board, "set_time", None)
        if not server or set_time is None:
            return
        if server == "gateway":
            server = board.wifi.gateway()
        from p1gen.app import sntp

        try:
            set_time(await sntp.query(server))
            self.state["clock"] = "set"
        except Exception as e:
            self.state["clock"] = "not set: %s" % e


# LED patterns: 8 slots of 125 ms per second
_LED_OK = 0b10000000  # one short blink a second
_LED_FAILSAFE = 0b10100000  # two blinks: no fresh energy data, failsafe report
_LED_CONFIG = 0b10101010  # fast blink: the config has errors
_LED_NO_WIFI = 0b11111110  # almost steady: no Wi-Fi


def led_pattern(device):
    if device.config_errors:
        return _LED_CONFIG
    if not device.board.wifi.isconnected():
        return _LED_NO_WIFI
    if device.source_health() != "ok":
        return _LED_FAILSAFE
    return _LED_OK


class Led(Task):
    NAME = "led"

    async def run(self):
        board = self.device.board
        while True:
            pattern = led_pattern(self.device)
            for slot in range(8):
                board.led(pattern & (0x80 >> slot))
                await self.pause(125)


class Mqtt(Task):
    """The MQTT bridge (p1gen.mqtt), started again after a failure like every task. Each of its
    network waits has its own timeout, so it is never restarted for hanging."""
    NAME = "mqtt"

    async def run(self):
        while True:  # first: the telegrams, the source and the web server settle in
            await self.pause(_MQTT_POLL_MS)
            if self.device.config["mqtt"]["enabled"]:
                break
        from p1gen import mqtt  # imported once MQTT is switched on

        await mqtt.run(self.device, _MQTT_POLL_MS)

    def hangs(self, now):
        return False
