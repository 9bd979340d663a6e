"""The status LED's pattern says what is wrong (on a real Device)."""
import asyncio

from appdevice import device

from p1gen import ticks
from p1gen.app import tasks


def source_task(dev):
    """The device's Source task, stopped: a test sets its state."""
    async def make():
        task = tasks.Source(dev)
        task.deinit()
        return task

    dev.tasks["source"] = asyncio.run(make())
    return dev.tasks["source"]


def test_led_pattern_says_what_is_wrong():
    dev = device({"source": {"kind": "sma", "host": "127.0.0.1"}})
    dev.config_errors = []
    dev.board.wifi.up = False
    assert tasks.led_pattern(dev) == 0b11111110  # no Wi-Fi: almost steady
    dev.board.wifi.up = True
    assert tasks.led_pattern(dev) == 0b10100000  # no source: failsafe, two blinks
    source_task(dev).state.update({"kind": "sma", "last_ok_ms": ticks.ms(), "last_error": None})
    assert tasks.led_pattern(dev) == 0b10000000  # fresh data: one blink a second
    dev.config_errors = ["control.fuse_a: must be a whole number"]
    assert tasks.led_pattern(dev) == 0b10101010  # config errors: fast blink
