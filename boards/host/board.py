"""The MicroPython unix port as a board: the unmodified firmware runs on a PC.

UART: writes to ``P1GEN_UART`` - "fd:N" (an inherited, non-blocking pty fd from
p1host.runner) or a path (a pty another tool made, or a plain file).
Data Request: "1" or "0" read from the file named by ``P1GEN_DATA_REQUEST``
(missing variable: high, as with a charge point attached). Wi-Fi is taken as up,
the PC's clock is right (no NTP, no set_time), there is no watchdog, and the LED
is a variable the tests can read.
Safe mode: ``P1GEN_SAFE_MODE=1`` plays the pin held at boot.

What the tests model with it (none of this exists on a real board):
- with ``P1GEN_MODELS=1`` (p1host.runner's ``models=True``), hostmodels.py next to this
  file adds to this module: the line time (``flush()`` waits for it, as the rp2's does),
  flash erases, a log of transmissions and saves, fault injection, and with
  ``P1GEN_WATCHDOG=1`` a watchdog (see there);
- a reset ends the process with RESET_EXIT (p1host.runner starts it again with
  ``P1GEN_RESET_CAUSE``, "power on" when unset).
"""
import os
import select
import sys
import time

NAME = "host"
WATCHDOG_MAX_MS = None  # no watchdog on a PC
WEB_HOST = "127.0.0.1"  # tests and the demo serve on loopback only
WEB_PORT = int(os.getenv("P1GEN_WEB_PORT") or 0) or None  # set by p1host.runner; None: web.port
RESET_EXIT = 75  # the exit status that says "reset me" to p1host.runner
HEAP_REPORT_S = int(os.getenv("P1GEN_HEAP_REPORT_S") or 0) or None  # heap reports on the log (bench runtime)
led_state = False


class _Uart:
    """A P1 line that never blocks: what the reader does not take in time is dropped,
    as a real UART sends whether or not anyone listens."""

    def __init__(self, target):
        if target.startswith("fd:"):
            self._f = open(int(target[3:]), "wb")
        else:
            self._f = open(target, "wb")
        self._poll = select.poll()
        self._poll.register(self._f, select.POLLOUT)
        self.dropped = 0

    def write(self, data):
        if not self._poll.poll(0):
            self.dropped += len(data)
            return 0
        n = self._f.write(data) or 0
        if n < len(data):
            self.dropped += len(data) - n
        try:
            self._f.flush()
        except OSError:
            pass
        return n


def uart(baud=115200, invert_tx=True, tx_pin=0, **_):
    target = os.getenv("P1GEN_UART")
    if not target:
        raise OSError("host board: set P1GEN_UART to a pty, a file or fd:N")
    return _Uart(target)


def reset():
    sys.exit(RESET_EXIT)


def reset_cause():
    return os.getenv("P1GEN_RESET_CAUSE") or "power on"


def data_request(pin=None):
    path = os.getenv("P1GEN_DATA_REQUEST")
    if not path:
        return True
    try:
        with open(path) as f:
            return f.read(1) == "1"
    except OSError:
        return None


def led(on):
    global led_state
    led_state = bool(on)


def watchdog(timeout_ms):
    return None


def safe_mode_requested():
    return os.getenv("P1GEN_SAFE_MODE") == "1"


class _Wifi:
    """The PC's own network: always up."""

    def connect(self, ssid, password, hostname, country):
        pass

    def isconnected(self):
        return True

    def address(self):
        return "127.0.0.1"

    def gateway(self):
        return "127.0.0.1"

    def state(self):
        return "host network"


wifi = _Wifi()


if os.getenv("P1GEN_MODELS") == "1":  # p1host.runner's test models: they add to this module
    import hostmodels  # pyright: ignore[reportMissingImports]

    hostmodels.install(globals())
