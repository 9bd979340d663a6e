"""The device's tasks on a test board: telegrams on a drift-free one-second grid, the watchdog
started after the boot grace and fed only while the telegram task lives."""
import asyncio

from p1gen import control, telegram, ticks
from p1gen.app.telegrams import Telegrams
from p1gen.app.config import APP, P1
from p1gen.context import Context
from p1gen.options import defaults

TELEGRAM = {"profile": "csp1", "integer_amps": False, "utc_offset_min": 60, "eu_dst": True}


class Device:
    """What the telegram task reads and writes of the Device (p1gen.app.device)."""

    def __init__(self, board, p1=None, app=None):
        self.board = board
        self.controller = control.Controller({})
        self.context = Context()
        self.config = {"p1": defaults(P1), "app": defaults(APP), "telegram": TELEGRAM}
        self.config["p1"].update(p1 or {})
        self.config["app"].update(app or {})
        self.start_ms = ticks.ms()
        self.data_request = None

    def stale_ms(self):
        return 10000


class Uart:
    def __init__(self):
        self.writes = []  # (tick, bytes)

    def write(self, data):
        self.writes.append((ticks.ms(), data))
        return len(data)


class Watchdog:
    def __init__(self, timeout_ms):
        self.timeout_ms = timeout_ms
        self.started_ms = ticks.ms()
        self.feeds = 0

    def feed(self):
        self.feeds += 1


class Wifi:
    def isconnected(self):
        return True


class Board:
    NAME = "test"
    wifi = Wifi()

    def __init__(self):
        self.wdt = None
        self.request = True

    def data_request(self):
        return self.request

    def watchdog(self, timeout_ms):
        self.wdt = Watchdog(timeout_ms)
        return self.wdt

    def led(self, on):
        pass


def test_telegrams_every_second_and_the_watchdog_after_the_grace():
    dev = Device(Board(), app={"watchdog_grace_s": 5})
    uart = Uart()

    async def scenario():
        task = Telegrams(dev, uart)
        await asyncio.sleep(7.8)
        feeds_alive = dev.board.wdt.feeds if dev.board.wdt else None
        task.deinit()
        await asyncio.sleep(1.5)
        return feeds_alive, task.stats

    feeds_alive, stats = asyncio.run(scenario())
    times = [t for t, _ in uart.writes]
    assert 7 <= len(times) <= 9, len(times)
    gaps = [ticks.diff(b, a) for a, b in zip(times, times[1:])]
    assert all(800 <= g <= 1200 for g in gaps), gaps  # a shared, busy machine: tolerant
    # drift-free: every write sits on the grid of the first one
    assert all(abs((ticks.diff(t, times[0]) + 500) % 1000 - 500) < 150 for t in times), times
    for _, data in uart.writes:
        assert telegram.parse(data).current_ma[0] >= 25000  # no data yet: the failsafe report
    wdt = dev.board.wdt
    assert wdt is not None and wdt.timeout_ms <= 8388
    assert ticks.diff(wdt.started_ms, dev.start_ms) >= 5000
    assert feeds_alive >= 1
    assert wdt.feeds == feeds_alive  # the telegram task is gone: nobody feeds it, the board resets
    assert stats["count"] == len(times) and stats["late_max_ms"] < 200


def test_no_data_request_no_telegram_when_required():
    dev = Device(Board(), p1={"require_data_request": True}, app={"watchdog": False})
    dev.board.request = False
    uart = Uart()

    async def scenario():
        task = Telegrams(dev, uart)
        await asyncio.sleep(2.3)
        dev.board.request = True
        await asyncio.sleep(2)
        task.deinit()

    asyncio.run(scenario())
    assert 1 <= len(uart.writes) <= 3, len(uart.writes)
    assert dev.data_request is True and dev.board.wdt is None


def test_long_intervals_still_feed_the_watchdog_in_time():
    dev = Device(Board(), p1={"interval_s": 3}, app={"watchdog_grace_s": 5})
    uart = Uart()

    async def scenario():
        task = Telegrams(dev, uart)
        await asyncio.sleep(9.5)
        task.deinit()

    asyncio.run(scenario())
    assert 3 <= len(uart.writes) <= 4, len(uart.writes)  # at ~0-1, 3-4, 6-7 (and 9-10) s
    wdt = dev.board.wdt
    assert wdt is not None and wdt.feeds >= 2  # fed every second between telegrams, not every 3 s
