"""The device's tasks, all in one asyncio loop. Only the telegram task has a deadline;
every other task does little between awaits so it never holds the loop for long."""
import asyncio
import gc

from p1gen import ticks
from p1gen.app import heap
from p1gen.app.aio import sleep_ms, wait_for_ms
from p1gen.app.wallclock import utc_ms, utc_now
from p1gen.app.output import Output
from p1gen.app.pacer import Pacer, backoff_ms

_LEAD_MS = 100  # compose a telegram this long before its deadline, write it on the deadline
_WATCHDOG_MS = 8000
_POLL_CAP_MS = 10000  # a source's own timeouts are shorter; this only catches a bug
_WIFI_WAIT_MS = 20000
_CLOCK_EVERY_MS = 6 * 3600 * 1000


def _ms_to_next_second():
    """ms until the next whole UTC second (+5 ms), so telegrams go out on the second;
    0 while the clock is not set."""
    now = utc_ms()
    return 0 if now is None else 1005 - now % 1000


def _utc_in(ms_ahead):
    now = utc_ms()
    return None if now is None else (now + ms_ahead) // 1000


async def telegrams(device, uart, energy_path=None):
    """One telegram every p1.interval_s, on the deadline, drift-free; feeds the watchdog."""
    board = device.board
    out = Output(device, energy_path)
    tg = device.telegram
    pacer = Pacer(device.config["p1"]["interval_s"] * 1000, ticks.ms(), _ms_to_next_second())
    clock_set = utc_now() is not None
    wdt = None
    while True:
        while pacer.wait_ms(ticks.ms(), _LEAD_MS) > 1000:  # p1.interval_s up to 10 s: feed on the way
            await sleep_ms(1000)
            if wdt is not None:
                wdt.feed()
        await sleep_ms(pacer.wait_ms(ticks.ms(), _LEAD_MS))
        p1 = device.config["p1"]
        device.data_request = board.data_request()
        send = device.data_request or not p1["require_data_request"]
        data, currents, error = _compose(out, pacer)
        await sleep_ms(pacer.wait_ms(ticks.ms()))
        now = ticks.ms()
        if data is not None and send:
            uart.write(data)
            tg["count"] += 1
            tg["sent_ms"] = now
        late = pacer.late_ms(now)
        tg["late_ms"] = late
        if late > tg["late_max_ms"]:
            tg["late_max_ms"] = late
        if data is not None:
            tg["data"] = data  # kept as bytes: decoded only when the status asks
            tg["reported_ma"] = currents
        if error is not None:
            tg["errors"] += 1
            if error != tg["last_error"]:
                print("p1gen telegram:", error)
            tg["last_error"] = error
        tg["dropped_bytes"] = getattr(uart, "dropped", 0)
        try:
            out.save_energy(now)
        except OSError as e:
            tg["last_error"] = "energy registers not saved: %s" % e
        if wdt is not None:
            wdt.feed()
        elif device.config["app"]["watchdog"] and ticks.diff(now, device.start_ms) >= \
                device.config["app"]["watchdog_grace_s"] * 1000:
            wdt = board.watchdog(_WATCHDOG_MS)
        gc.collect()  # now, right after the telegram, rather than when an allocation fails
        pacer.period_ms = p1["interval_s"] * 1000
        tg["skipped"] += pacer.advance(ticks.ms())
        if not clock_set and utc_now() is not None:  # NTP set the clock: go out on the second from now on
            clock_set = True
            pacer.due = ticks.add(ticks.ms(), _ms_to_next_second())


def _compose(out, pacer):
    """(data, currents, error); after a MemoryError, once more on a collected heap. When it
    still fails, this telegram is left out (chargers wait several seconds before their
    fallback) rather than sending one whose values or registers would not be true."""
    error = None
    for _ in (1, 2):
        try:
            return out.compose(pacer.due, _utc_in(pacer.wait_ms(ticks.ms())))
        except MemoryError as e:
            error = "telegram: MemoryError: %s" % e
            gc.collect()
        except Exception as e:
            return None, None, "telegram: %s: %s" % (type(e).__name__, e)
    return None, None, error


async def source(device):
    """Poll the configured energy source into device.context; restart it when its settings change."""
    state = device.source
    generation = None
    src = None
    while True:
        if generation != device.source_generation:
            generation = device.source_generation
            if src is not None:
                try:
                    await src.close()
                except Exception as e:
                    print("p1gen source: close:", e)
                src = None
            settings = device.source_settings()
            state["kind"], state["name"], state["last_error"], state["last_ok_ms"] = settings["kind"], None, None, None
            if settings["kind"] != "none":
                from p1gen import sources

                try:
                    src = heap.attempt("source " + settings["kind"], sources.make, dict(settings))
                    state["name"] = src.name
                except Exception as e:
                    state["last_error"] = "source: %s" % e
        if src is None:
            await sleep_ms(500)
            continue
        started = ticks.ms()
        polls = src.polls
        error = None
        try:
            ctx = await wait_for_ms(src.poll(), _POLL_CAP_MS)
            device.context.update(ctx)
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
        spent = ticks.diff(ticks.ms(), started)
        await sleep_ms(max(50, src.interval_ms - spent))


async def schedule(device):
    """Once a minute: run the policy the schedule asks for, when that changes."""
    try:
        from p1gen.app import schedule as weekly
    except ImportError:
        return
    from p1gen.app import config as configfile
    from p1gen.telegram import clock

    last = None
    while True:
        entries = device.config["schedule"]
        utc = utc_now()
        want = None
        wait_s = 60
        if entries and utc is not None:
            settings = device.config["telegram"]
            y, m, d, hh, mi, ss, _ = clock.local_fields(utc, settings["utc_offset_min"], settings["eu_dst"])
            weekday = (clock.days_from_civil(2000 + y, m, d) + 3) % 7  # 1970-01-01 was a Thursday
            want = weekly.active(entries, weekday, hh * 60 + mi)
            wait_s = 60 - ss
        if want is not None:
            name, given = want
            merged = dict(configfile.policy_settings(device.config, name))
            merged.update(given)
            want = (name, merged)
        if want != last:
            last = want
            device.schedule_active = want
            device.run_policy(*device.running_policy())
        await asyncio.sleep(wait_s)


async def wifi(device, wait_ms=_WIFI_WAIT_MS, first_backoff_ms=2000, max_backoff_ms=120000):
    """Keep the station connected: connect, wait, back off on failure, reconnect when dropped;
    set the clock by NTP after each connect and every few hours."""
    board = device.board
    settings = device.config["wifi"]
    state = device.wifi
    if not settings["ssid"] and not board.wifi.isconnected():
        state["state"] = "not configured (wifi.ssid is empty)"
        return
    failures = 0
    connected_before = False
    clock_due = ticks.ms()
    while True:
        if board.wifi.isconnected():
            state["state"], state["address"] = "connected", board.wifi.address()
            failures = 0
            connected_before = True
            if ticks.diff(ticks.ms(), clock_due) >= 0:
                await set_clock(device)
                clock_due = ticks.add(ticks.ms(), _CLOCK_EVERY_MS if device.wifi.get("clock") == "set" else 60000)
            await sleep_ms(min(5000, wait_ms))
            continue
        state["state"], state["address"] = "connecting", None
        if connected_before:
            state["reconnects"] += 1
            connected_before = False
            clock_due = ticks.ms()
        try:
            board.wifi.connect(settings["ssid"], settings["password"], settings["hostname"], settings["country"])
            waited = 0
            while waited < wait_ms and not board.wifi.isconnected():
                await sleep_ms(50)
                waited += 50
        except Exception as e:
            state["state"] = "error: %s" % e
        if board.wifi.isconnected():
            continue
        failures += 1
        state["failures"] = state.get("failures", 0) + 1
        state["state"] = "%s; retry %d" % (board.wifi.state(), failures)
        await sleep_ms(backoff_ms(failures, first_backoff_ms, max_backoff_ms))


async def set_clock(device):
    """The clock from wifi.ntp, on boards that have a settable clock (the unix port's is right)."""
    server = device.config["wifi"]["ntp"]
    board = device.board
    set_time = getattr(board, "set_time", None)
    if not server or set_time is None:
        return
    if server == "gateway":
        server = board.wifi.gateway()
    from p1gen.app import sntp

    try:
        set_time(await sntp.query(server))
        device.wifi["clock"] = "set"
    except Exception as e:
        device.wifi["clock"] = "not set: %s" % e


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


async def led(device):
    board = device.board
    while True:
        pattern = led_pattern(device)
        for slot in range(8):
            board.led(pattern & (0x80 >> slot))
            await sleep_ms(125)
