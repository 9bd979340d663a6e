"""The link to a board on USB: finding its port, its raw REPL (mpremote's serial transport),
what it says it is, its safe mode and its reset."""
import ast
import collections
import os

from p1host.errors import CommandError

RP2_USB_VID = 0x2E8A  # Raspberry Pi: every rp2 MicroPython board
MICROPYTHON_USB_PID = 0x0005  # MicroPython's rp2 port (a Debug Probe, 0x000C, has the same vendor)
# sys.implementation._machine of each board; "host" is the MicroPython unix port
BOARD_MACHINES = (("pico2_w", "Pico 2 W"), ("pico_w", "Pico W"))
BOARDS = ("pico_w", "pico2_w", "host")
WATCHDOG_MAX_MS = 8388
MICROPYTHON_DOWNLOAD = "https://micropython.org/download/RPI_PICO_W/"

# what a board says it is: sys.platform, sys.implementation._machine, the MicroPython version
# tuple, its .mpy word (sys.implementation._mpy), os.statvfs('/') and the p1gen version in its
# /lib (None: no p1gen there)
BoardInfo = collections.namedtuple("BoardInfo", "platform machine micropython mpy statvfs firmware")

# also frees the heap an interrupted app left behind (its modules stay imported)
_IDENTIFY = """
import sys, os, gc
def _p1_forget():
    for m in list(sys.modules):
        if m.split('.')[0] in ('p1gen', 'microdot', 'board', 'main'):
            del sys.modules[m]
    gc.collect()
_p1_forget()
try:
    import p1gen
    _p1_v = getattr(p1gen, '__version__', None)
except Exception:
    _p1_v = None
_p1_forget()
_p1_i = sys.implementation
print(repr((sys.platform, getattr(_p1_i, '_machine', ''), tuple(_p1_i.version[:3]),
            getattr(_p1_i, '_mpy', 0), os.statvfs('/'), _p1_v)))
"""

# rp2: the app we just interrupted may have armed the watchdog, which cannot be
# stopped and would reset the board mid-copy; feed it from a timer until our reset.
_KEEP_WATCHDOG_FED = """
import sys
if sys.platform == 'rp2':
    from machine import WDT, Timer
    _p1_wdt = WDT(timeout=%d)
    _p1_timer = Timer(period=1000, callback=lambda t: _p1_wdt.feed())
""" % WATCHDOG_MAX_MS

_RESET = {
    "pico_w": "import machine\nmachine.reset()",
    "pico2_w": "import machine\nmachine.reset()",
    # the unix port's soft_reset ends the process; the emulated board's launcher restarts it
    "host": "import machine\nmachine.soft_reset()",
}

_SAFE_MODE = """
import os
try:
    os.stat('/safemode')
    print('file')
except OSError:
    import board
    print('pin' if board.safe_mode_requested() else '')
"""


def find_port(port):
    """The serial port to use; ``auto`` picks the first Raspberry Pi USB device."""
    if port != "auto":
        if "://" not in port and not os.path.exists(port) and not port.upper().startswith("COM"):
            raise CommandError("no board found at %s: the port does not exist (plug the board in "
                               "with a data USB cable, or check the --port name)" % port)
        return port
    from serial.tools import list_ports

    found = sorted(p.device for p in list_ports.comports() if p.vid == RP2_USB_VID)
    micropython = sorted(p.device for p in list_ports.comports()
                         if p.vid == RP2_USB_VID and p.pid == MICROPYTHON_USB_PID)
    if len(micropython) > 1 or (not micropython and len(found) > 1):
        raise CommandError("several boards found (%s): give --port" % ", ".join(micropython or found))
    if micropython or found:
        return (micropython or found)[0]
    raise CommandError("no board found: no Raspberry Pi USB serial device is connected (plug the Pico W in "
                       "with a data USB cable and flash MicroPython first, or give --port)")


class Board:
    """The raw REPL of a board, with errors turned into CommandError."""

    def __init__(self, transport, port):
        self.transport = transport
        self.port = port

    def exec(self, code, timeout=10):
        from mpremote.transport import TransportError, TransportExecError

        try:
            out, err = self.transport.exec_raw(code, timeout=timeout)
        except TransportError as e:
            raise CommandError("the board at %s stopped answering: %s" % (self.port, e))
        if err:
            raise TransportExecError(out, err.decode(errors="replace"))
        return out.decode(errors="replace")

    def write_file(self, path, data):
        self.transport.fs_writefile(path, data, chunk_size=1024)


class open_board:
    """Context manager: the board at ``port`` in raw REPL (a running app is interrupted and
    the watchdog it may have armed is fed until the reset)."""

    def __init__(self, port):
        self.port = port
        self.transport = None

    def __enter__(self):
        from mpremote.transport import TransportError
        from mpremote.transport_serial import SerialTransport

        try:
            # a read timeout, or mpremote waits forever on a pty where nothing answers
            self.transport = SerialTransport(self.port, baudrate=115200, timeout=1)
        except TransportError as e:
            raise CommandError("cannot open %s: %s (is another program such as Thonny or `p1gen repl` "
                               "using it?)" % (self.port, e))
        try:
            self.transport.enter_raw_repl(soft_reset=False, timeout_overall=10)
        except TransportError:
            self.transport.close()
            raise CommandError("the device at %s does not answer like MicroPython: flash MicroPython "
                               "first (%s)" % (self.port, MICROPYTHON_DOWNLOAD))
        board = Board(self.transport, self.port)
        try:
            board.exec(_KEEP_WATCHDOG_FED)
        except BaseException:
            self.__exit__()
            raise
        return board

    def __exit__(self, *exc):
        import serial

        try:
            if self.transport.in_raw_repl:
                self.transport.exit_raw_repl()
            self.transport.close()
        except (OSError, serial.SerialException):
            pass  # a board that reset has already left
        return False


def identify(board):
    """The BoardInfo the board reports."""
    try:
        return BoardInfo(*ast.literal_eval(board.exec(_IDENTIFY).strip()))
    except Exception as e:
        raise CommandError("the board did not say what it is: %s" % str(e).strip().splitlines()[-1])


def choose_board(wanted, info):
    """The board file for what the board reports; ``wanted`` (or auto) must agree."""
    if info.platform == "rp2":
        found = next((name for name, text in BOARD_MACHINES if text in info.machine), None)
    elif info.platform == "linux":
        found = "host"
    else:
        found = None
    if found is None:
        raise CommandError("this is not a Pico W: the board reports %r (%s); p1gen runs on pico_w, "
                           "pico2_w" % (info.machine, info.platform))
    if wanted not in ("auto", found):
        raise CommandError("--board %s, but the board reports %r: use --board %s" % (wanted, info.machine, found))
    return found


def safe_mode_reason(board):
    """(why, what to do) when firmware/main.py will skip the app at the next boot, else None."""
    from mpremote.transport import TransportExecError

    try:
        answer = board.exec(_SAFE_MODE).strip()
    except TransportExecError:
        return None  # an old board.py without safe mode: main.py will say so itself
    if answer == "file":
        return "the file /safemode exists", "remove it with `mpremote fs rm :safemode` and reset the board"
    if answer == "pin":
        return "the safe-mode pin is held", "remove the jumper from GP15 and reset the board"
    return None


def reset(board, board_name):
    """Reset the board without waiting for an answer (it will not give one)."""
    board.transport.exec_raw_no_follow(_RESET[board_name])
    board.transport.in_raw_repl = False
