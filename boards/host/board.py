"""The MicroPython unix port as a board: the unmodified firmware runs on a PC.

UART: writes to ``P1GEN_UART`` - "fd:N" (an inherited, non-blocking pty fd from
p1host.runner) or a path (a pty another tool made, or a plain file).
Data Request: "1" or "0" read from the file named by ``P1GEN_DATA_REQUEST``
(missing variable: high, as with a charge point attached). Wi-Fi is taken as up,
the PC's clock is right (no NTP, no set_time), there is no watchdog, and the LED
is a variable the tests can read.
Safe mode: ``P1GEN_SAFE_MODE=1`` plays the pin held at boot.
"""
import os
import select

NAME = "host"
WATCHDOG_MAX_MS = None  # no watchdog on a PC
WEB_HOST = "127.0.0.1"  # tests and the demo serve on loopback only
WEB_PORT = int(os.getenv("P1GEN_WEB_PORT") or 0) or None  # set by p1host.runner; None: web.port
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
