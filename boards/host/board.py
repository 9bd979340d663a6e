"""The MicroPython unix port as a board: the unmodified firmware runs on a PC.

UART: writes to ``P1GEN_UART`` - "fd:N" (an inherited, non-blocking pty fd from
p1host.runner) or a path (a pty another tool made, or a plain file).
Data Request: "1" or "0" read from the file named by ``P1GEN_DATA_REQUEST``
(missing variable: high, as with a charge point attached). Wi-Fi is taken as up,
the PC's clock is right (no NTP, no set_time), there is no watchdog, and the LED
is a variable the tests can read.
Safe mode: ``P1GEN_SAFE_MODE=1`` plays the pin held at boot.

What the tests model with it (none of this exists on a real board):
- the line time: a telegram occupies the UART for its bytes at the baud rate, and
  ``flush()`` waits for that, as the rp2's does;
- with ``P1GEN_MODELS=1`` (p1host.runner's ``models=True``), hostmodels.py: flash erases,
  a log of transmissions and saves, fault injection (see there);
- a reset ends the process with RESET_EXIT (p1host.runner starts it again with
  ``P1GEN_RESET_CAUSE``, "power on" when unset); ``P1GEN_WATCHDOG=1`` runs a watchdog in a
  thread that ends the process when it is not fed in time.
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
led_state = False
_models = None
if os.getenv("P1GEN_MODELS") == "1":
    import hostmodels as _models  # pyright: ignore[reportMissingImports]

    fault = _models.fault
    flash_write = _models.flash_write


class _Uart:
    """A P1 line that never blocks: what the reader does not take in time is dropped,
    as a real UART sends whether or not anyone listens."""

    def __init__(self, target, baud):
        if target.startswith("fd:"):
            self._f = open(int(target[3:]), "wb")
        else:
            self._f = open(target, "wb")
        self._poll = select.poll()
        self._poll.register(self._f, select.POLLOUT)
        self.dropped = 0
        self.baud = baud
        self.busy_until = time.ticks_ms()

    def flush(self):
        """Wait until the last write has left the line (its line time), as the rp2's flush()."""
        left = time.ticks_diff(self.busy_until, time.ticks_ms())
        if left > 0:
            time.sleep_ms(left)

    def write(self, data):
        now = time.ticks_ms()
        self.busy_until = time.ticks_add(now, (len(data) * 10 * 1000 + self.baud - 1) // self.baud)
        if _models is not None:
            _models.log_line("tx", now, self.busy_until)
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


_uart = []


def uart(baud=115200, invert_tx=True, tx_pin=0, **_):
    target = os.getenv("P1GEN_UART")
    if not target:
        raise OSError("host board: set P1GEN_UART to a pty, a file or fd:N")
    _uart[:] = [_Uart(target, baud)]
    return _uart[0]


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


class _Watchdog:
    """Ends the process (a reset) when not fed within timeout_ms; watched from a thread."""

    def __init__(self, timeout_ms):
        import _thread

        self.timeout_ms = timeout_ms
        self.fed = time.ticks_ms()
        _thread.start_new_thread(self._watch, ())

    def feed(self):
        self.fed = time.ticks_ms()

    def _watch(self):
        while time.ticks_diff(time.ticks_ms(), self.fed) <= self.timeout_ms:
            time.sleep_ms(50)
        print("host board: watchdog reset")
        os.system("kill -9 $PPID")  # the unix port has no os.kill: the shell's parent is this process


def watchdog(timeout_ms):
    return _Watchdog(timeout_ms) if os.getenv("P1GEN_WATCHDOG") == "1" else None


def feed_watchdog_for(wdt, ms):
    """Feed wdt from a thread (the REPL runs) for ms, as the rp2 boards do from a timer."""
    import _thread

    def feed():
        deadline = time.ticks_add(time.ticks_ms(), ms)
        while time.ticks_diff(deadline, time.ticks_ms()) > 0:
            wdt.feed()
            time.sleep_ms(1000)

    _thread.start_new_thread(feed, ())


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
