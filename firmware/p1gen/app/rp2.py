"""What the rp2 boards (Pico W, Pico 2 W) share: UART, pins, LED, watchdog, Wi-Fi.

Each board file names its pins and imports these; only the board file is
different between boards.
"""
import time

import machine
import network
from machine import Pin, UART

# seconds from 1970 to the port's epoch (2000 on ports whose gmtime(0) says 2000)
_EPOCH_OFFSET = 946684800 if time.gmtime(0)[0] == 2000 else 0
# GPIO that can carry a UART TX on the rp2, and the UART it belongs to
TX_PINS = {0: 0, 12: 0, 16: 0, 28: 0, 4: 1, 8: 1, 20: 1}
# one telegram is under 1024 bytes; the default txbuf of 256 would make write() busy-wait
_TXBUF = 2048


def uart(baud=115200, invert_tx=True, tx_pin=0):
    """The P1 data line. invert_tx=True: the reference wiring, an opto LED sinking into TX
    (TX low lights the LED and pulls the line low, so TX must idle low); False: an NPN
    stage or an opto LED sourced from TX, which inverts by itself."""
    uart_id = TX_PINS.get(tx_pin)
    if uart_id is None:
        raise ValueError("p1.tx_pin: GP%d cannot carry a UART TX (allowed: %s)" % (
            tx_pin, ", ".join(str(p) for p in sorted(TX_PINS))))
    # DSMR 5 is 115200 8N1; DSMR 2.2/3 is 9600 7E1
    bits, parity = (8, None) if baud == 115200 else (7, 0)
    return UART(uart_id, baudrate=baud, bits=bits, parity=parity, stop=1, tx=Pin(tx_pin),
                txbuf=_TXBUF, invert=UART.INV_TX if invert_tx else 0)


_inputs = {}


def pin_value(pin, pull):
    p = _inputs.get(pin)
    if p is None:
        p = _inputs[pin] = Pin(pin, Pin.IN, pull)
    return p.value()


def data_request(pin, active_low):
    """True while the charge point raises Data Request (sensed through an opto or a divider)."""
    value = pin_value(pin, Pin.PULL_UP if active_low else Pin.PULL_DOWN)
    return value == (0 if active_low else 1)


def safe_mode_requested(pin):
    """True when the pin is held to GND at boot."""
    return pin_value(pin, Pin.PULL_UP) == 0


_led = None


def led(on):
    global _led
    if _led is None:
        _led = Pin("LED", Pin.OUT)
    _led.value(1 if on else 0)


def set_time(utc_s):
    """Set the RTC (time.time() follows it) to unix time utc_s."""
    t = time.gmtime(utc_s - _EPOCH_OFFSET)
    machine.RTC().datetime((t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0))


def watchdog(timeout_ms, max_ms):
    return machine.WDT(timeout=min(timeout_ms, max_ms))


_repl_timer = None


def feed_watchdog_for(wdt, ms):
    """Feed wdt from a timer (the app is stopped: the REPL runs) for ms, then stop feeding:
    the watchdog resets the board, which runs the app again."""
    global _repl_timer
    deadline = time.ticks_add(time.ticks_ms(), ms)

    def feed(timer):
        if time.ticks_diff(deadline, time.ticks_ms()) > 0:
            wdt.feed()
        else:
            timer.deinit()

    _repl_timer = machine.Timer(-1, mode=machine.Timer.PERIODIC, period=1000, callback=feed)


def reset():
    machine.reset()


def reset_cause():
    """What the chip says reset it (machine.reset() shows as the watchdog on the rp2)."""
    names = (("PWRON_RESET", "power on"), ("WDT_RESET", "watchdog"), ("HARD_RESET", "reset pin"),
             ("SOFT_RESET", "soft reset"), ("DEEPSLEEP_RESET", "deep sleep"))
    cause = machine.reset_cause()
    for name, text in names:
        if getattr(machine, name, None) == cause:
            return text
    return "cause %d" % cause


class Wifi:
    """Station mode with power saving off (it delays replies by up to a beacon interval);
    connect() returns at once, the supervisor polls isconnected()."""

    def __init__(self):
        self._wlan = None

    def connect(self, ssid, password, hostname, country):
        try:
            network.hostname(hostname)  # answered as <hostname>.local by the mDNS responder
            network.country(country)
        except AttributeError:
            pass
        if self._wlan is None:
            self._wlan = network.WLAN(network.STA_IF)
        wlan = self._wlan
        wlan.active(True)
        wlan.config(pm=getattr(network.WLAN, "PM_NONE", 0xA11140))
        wlan.disconnect()
        wlan.connect(ssid, password)

    def isconnected(self):
        return self._wlan is not None and self._wlan.isconnected()

    def address(self):
        wlan = self._wlan
        return wlan.ifconfig()[0] if wlan is not None and wlan.isconnected() else None

    def gateway(self):
        wlan = self._wlan
        return wlan.ifconfig()[2] if wlan is not None and wlan.isconnected() else None

    def state(self):
        if self._wlan is None:
            return "off"
        status = self._wlan.status()
        names = {network.STAT_IDLE: "idle", network.STAT_CONNECTING: "connecting",
                 network.STAT_WRONG_PASSWORD: "wrong password", network.STAT_NO_AP_FOUND: "network not found",
                 network.STAT_CONNECT_FAIL: "connect failed", network.STAT_GOT_IP: "connected"}
        return names.get(status, "status %d" % status)
