"""The telegram task, the app's heartbeat: one telegram every p1.interval_s, on the deadline,
drift-free; it alone feeds the watchdog. Between two telegrams, once the last one has left
the UART, it runs the savers (self.savers): the one time flash is written (an erase stops
the CPU's interrupts, which would open gaps in a telegram still on the wire)."""
import asyncio
import gc

from p1gen import ticks
from p1gen.app.aio import const, sleep_ms
from p1gen.app.learned import PATH as LEARNED_PATH, Learned
from p1gen.app.output import Output
from p1gen.app.pacer import Pacer
from p1gen.app.task import Task
from p1gen.app.wallclock import utc_ms, utc_now

_LEAD_MS = const(100)  # compose a telegram this long before its deadline, write it on the deadline
_WATCHDOG_MS = const(8000)
_LATE_MS = const(300)  # no telegram this long after its deadline: the task hangs, the supervisor restarts it
_BITS_PER_CHAR = const(10)  # start + 8 data + stop (DSMR 5), start + 7 + parity + stop (DSMR 2.2/3)


def _ms_to_next_second():
    """ms until the next whole UTC second (+5 ms), so telegrams go out on the second;
    0 while the clock is not set."""
    now = utc_ms()
    return 0 if now is None else 1005 - now % 1000


def _utc_in(ms_ahead):
    now = utc_ms()
    return None if now is None else (now + ms_ahead) // 1000


class Telegrams(Task):
    NAME = "telegram"  # the heartbeat: after a failure it starts again at once (p1gen.app.recover)

    def __init__(self, device, uart, energy_path=None, supervisor=None):
        self.uart = uart
        self.out = Output(device, energy_path)
        self.stats = {"count": 0, "data": None, "reported_ma": None, "late_ms": 0, "late_max_ms": 0,
                      "skipped": 0, "errors": 0, "last_error": None, "sent_ms": None, "dropped_bytes": 0}
        self.first_sent = asyncio.Event()
        learned = Learned(energy_path and LEARNED_PATH)  # what the controller learned of the installation
        # save(now_ms), called between telegrams: see run()
        self.savers = [self.out.save_energy, lambda now: learned.keep(device.controller, now)]
        self.pacer = None
        self.wdt = getattr(device.board, "trial_wdt", None)  # main.py's, on a new firmware's trial boot
        if getattr(device.board, "on_trial", False):  # a new firmware confirms itself (p1gen.app.update)
            self.savers.append(self._confirmation)
        self.line_free_ms = None  # when the last telegram has left the UART
        self._clock_set = utc_now() is not None
        super().__init__(device, supervisor)

    def hangs(self, now):
        """Past its deadline and no sign of life for a while (a busy loop only makes it late)."""
        return self.pacer is not None and ticks.diff(now, self.pacer.due) > _LATE_MS and \
            ticks.diff(now, self.last_run_ms) > _LATE_MS

    async def run(self):
        device = self.device
        if self.pacer is None:
            self.pacer = Pacer(device.config["p1"]["interval_s"] * 1000, ticks.ms(), _ms_to_next_second())
        pacer = self.pacer
        tg = self.stats
        while True:
            while pacer.wait_ms(ticks.ms(), _LEAD_MS) > 1000:  # p1.interval_s up to 10 s: feed on the way
                await sleep_ms(1000)
                if self.wdt is not None:
                    self.wdt.feed()
            await sleep_ms(pacer.wait_ms(ticks.ms(), _LEAD_MS))
            self.last_run_ms = ticks.ms()
            p1 = device.config["p1"]
            device.data_request = device.board.data_request()
            device.controller.data_request = device.data_request  # a start unheard teaches no minimum
            send = device.data_request or not p1["require_data_request"]
            data, currents, error = self._compose(pacer)
            self.last_run_ms = ticks.ms()
            await sleep_ms(pacer.wait_ms(ticks.ms()))
            now = ticks.ms()
            if data is not None and send:
                self.uart.write(data)
                baud = p1["baud"]  # the line time of the telegram, rounded up, +1 ms:
                self.line_free_ms = ticks.add(now, (len(data) * _BITS_PER_CHAR * 1000 + baud - 1) // baud + 1)
                tg["count"] += 1
                tg["sent_ms"] = now
                self.first_sent.set()
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
            tg["dropped_bytes"] = getattr(self.uart, "dropped", 0)
            app = device.config["app"]
            if self.wdt is not None:
                self.wdt.feed()
            elif app["watchdog"] and ticks.diff(now, device.start_ms) >= app["watchdog_grace_s"] * 1000:
                self.wdt = device.board.watchdog(_WATCHDOG_MS)
            pacer.period_ms = p1["interval_s"] * 1000
            tg["skipped"] += pacer.advance(ticks.ms())
            if not self._clock_set and utc_now() is not None:  # NTP set the clock: on the second from now on
                self._clock_set = True
                pacer.due = ticks.add(ticks.ms(), _ms_to_next_second())
            # between telegrams: once this one has left the UART (its line time, then
            # uart.flush()) and well before the next, the savers write to flash (energy
            # registers; add other savers to self.savers), then a collection
            left = ticks.diff(self.line_free_ms, ticks.ms()) if self.line_free_ms is not None else 0
            await self.pause(left if left > 0 else 0)
            self.flush()
            for save in self.savers:
                try:
                    save(now)
                except OSError as e:
                    tg["last_error"] = "not saved: %s" % e
            gc.collect()  # now, between telegrams, rather than when an allocation fails

    def _confirmation(self, now):
        """Once the app is up (its web server started or failed): the confirmation of a new
        firmware takes this saver's place (imported only then: the heap is planned by then)."""
        web = self.device.web
        if web["running"] or web["error"]:
            from p1gen.app.update import Confirmation

            self.savers[-1] = Confirmation(self.device).save
            self.savers[-1](now)

    def flush(self):
        """Block until the UART has sent everything (at most one telegram's line time): call
        this before any flash write made outside between()."""
        flush = getattr(self.uart, "flush", None)
        if flush is not None:
            flush()

    def _compose(self, pacer):
        """(data, currents, error); after a MemoryError, once more on a collected heap. When it
        still fails, this telegram is left out (chargers wait several seconds before their
        fallback) rather than sending one whose values or registers would not be true."""
        error = None
        for _ in (1, 2):
            try:
                return self.out.compose(pacer.due, _utc_in(pacer.wait_ms(ticks.ms())))
            except MemoryError as e:
                error = "telegram: MemoryError: %s" % e
                gc.collect()
            except Exception as e:
                return None, None, "telegram: %s: %s" % (type(e).__name__, e)
        return None, None, error
