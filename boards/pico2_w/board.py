"""Raspberry Pi Pico 2 W (RP2350 + CYW43439): same pinout as the Pico W.

P1 data: UART TX on GP0 (p1.tx_pin) through a 6N137 opto, LED sinking into TX ->
UART(invert=UART.INV_TX) (p1.invert_tx true); an NPN stage or an opto LED sourced
from TX inverts by itself: p1.invert_tx false.
Data Request: GP22 through an opto (pulled up; the opto pulls it low while the
charge point raises Data Request). Safe mode: GP15 held to GND at boot.
"""
from p1gen.app import rp2

NAME = "pico2_w"
WATCHDOG_MAX_MS = 8388  # the rp2040 limit; the RP2350 allows more, the firmware needs no more
DATA_REQUEST_PIN = 22
DATA_REQUEST_ACTIVE_LOW = True
SAFE_MODE_PIN = 15

uart = rp2.uart
led = rp2.led
set_time = rp2.set_time
reset = rp2.reset
reset_cause = rp2.reset_cause
feed_watchdog_for = rp2.feed_watchdog_for
wifi = rp2.Wifi()


def data_request(pin=DATA_REQUEST_PIN):
    return rp2.data_request(pin, DATA_REQUEST_ACTIVE_LOW)


def watchdog(timeout_ms):
    return rp2.watchdog(timeout_ms, WATCHDOG_MAX_MS)


def safe_mode_requested():
    return rp2.safe_mode_requested(SAFE_MODE_PIN)
