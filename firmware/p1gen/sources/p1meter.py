"""The real smart meter's own P1 port, read on a second UART (RX only).

A reader task takes bytes as they come, cuts them into telegrams at ``/`` and
``!XXXX`` and hands each to the core parser (p1gen.telegram.parse, which checks
the CRC). A telegram with a bad CRC is rejected; half a telegram (a new ``/``
before the ``!``, or the line going quiet) is dropped and the reader
resynchronises on the next ``/``. A poll returns the newest outcome, waiting up
to timeout_ms for one.
"""
import asyncio

from p1gen import context as q
from p1gen import ticks
from p1gen.options import Opt
from p1gen.sources import KIND, Source as _Source, net
from p1gen.telegram import parse

OPTIONS = (
    KIND,
    Opt("uart", int, 1, "UART the meter's data line is wired to (RX only)", lo=0, hi=1),
    Opt("rx_pin", int, 5, "GPIO of that UART's RX (UART1: 5, 9 or 21; UART0: 1, 13 or 17)", lo=0, hi=28),
    Opt("baud", int, 115200, "115200 for DSMR 4/5 and e-MUCS, 9600 (7E1) for DSMR 2.2/3", choices=(9600, 115200)),
    Opt("invert", bool, True, "the meter's line is inverted; false when an inverting stage sits in front"),
    Opt("timeout_ms", int, 5000, "error when no complete telegram arrives for this long, ms", lo=1000, hi=30000),
    Opt("poll_ms", int, 1000, "time between two reads in ms", lo=100, hi=60000),
    Opt("device", str, None, "MicroPython unix port only: read this pty path or fd:N instead of a UART"),
)

MAX_TELEGRAM = 3072
_TAIL = 7  # "!" + 4 hex digits + CRLF
_reserved = {}  # set aside once for every Source: "frame" and "chunk" buffers, the "input" of a "wiring"


def reserve(settings):
    """The heap plan (p1gen.app.heap) calls this while the heap is empty: the buffers and
    the meter's input (a UART's receive buffer is on the heap too) for every Source."""
    _reserved["frame"], _reserved["chunk"] = bytearray(MAX_TELEGRAM), bytearray(_input(settings)[1])


def _input(settings):
    """The meter's stream and read size, opened once per wiring."""
    wiring = (settings.get("device"), settings["uart"], settings["rx_pin"], settings["baud"], settings["invert"])
    if _reserved.get("wiring") != wiring:
        _reserved["input"], _reserved["wiring"] = _open(settings), wiring
    return _reserved["input"]


def _open(settings):
    """An asyncio stream of the meter's bytes and how many bytes to ask for at once."""
    device = settings.get("device")
    if device:
        if device.startswith("fd:"):  # a non-blocking fd handed over by the host tools
            return asyncio.StreamReader(open(int(device[3:]), "rb")), 256
        # a path opens blocking: ask for one byte per wake-up so a read never waits
        return asyncio.StreamReader(open(device, "rb")), 1
    from machine import UART, Pin

    seven_bit = settings["baud"] == 9600
    uart = UART(settings["uart"], baudrate=settings["baud"], bits=7 if seven_bit else 8,
                parity=0 if seven_bit else None, rx=Pin(settings["rx_pin"]), rxbuf=2048, timeout=0,
                invert=UART.INV_RX if settings["invert"] else 0)
    return asyncio.StreamReader(uart), 256


class Framer:
    """Cuts a byte stream into candidate telegrams; feed() returns a list of outcomes,
    each a bytes telegram (CRC not yet checked) or an error text.

    The bytes wait in one buffer allocated once, so a long-running board does not
    fragment its heap with a growing buffer.
    """

    def __init__(self, size=MAX_TELEGRAM, buf=None):
        self.buf = bytearray(size) if buf is None else buf
        self._mv = memoryview(self.buf)
        self.n = 0

    def _drop_first(self, count):
        left = self.n - count
        if left > 0:
            self._mv[0:left] = self._mv[count:self.n]
        self.n = left if left > 0 else 0

    def feed(self, data):
        out = []
        src = memoryview(data)
        while len(src):
            room = len(self.buf) - self.n
            if room == 0:
                out.append("no telegram end within %d bytes, dropped" % len(self.buf))
                self.n, room = 0, len(self.buf)
            take = len(src) if len(src) < room else room
            self._mv[self.n:self.n + take] = src[:take]
            self.n += take
            src = src[take:]
            self._cut(out)
        return out

    def _cut(self, out):
        buf = self.buf
        while True:
            start = buf.find(b"/", 0, self.n)
            if start < 0:
                self.n = 0
                return
            if start:
                self._drop_first(start)
            n = self.n
            bang = buf.find(b"!", 0, n)
            restart = buf.find(b"/", 1, n)
            if restart > 0 and (bang < 0 or restart < bang):
                out.append("half a telegram: a new one began before its end, resynchronised")
                self._drop_first(restart)
                continue
            if bang < 0 or n < bang + 5 or n == bang + 5 or (n == bang + 6 and buf[bang + 5] == 13):
                return  # the end, or the CRLF after the CRC, is still on its way
            end = bang + _TAIL if n >= bang + _TAIL and buf[bang + 5] == 13 and buf[bang + 6] == 10 else bang + 5
            out.append(bytes(self._mv[0:end]))
            self._drop_first(end)

    def drop(self):
        """Forget a partial telegram (the line went quiet); True if there was one."""
        had = self.n > 0
        self.n = 0
        return had


class Source(_Source):
    KIND = "p1"
    DISCOVERABLE = False

    def __init__(self, settings, stream=None, chunk=256):
        _Source.__init__(self, settings)
        self.name = "p1 meter"
        self._stream = stream
        self._chunk = chunk
        self._task = None
        self._framer = Framer(buf=_reserved.get("frame"))
        self._event = asyncio.Event()
        self._seq = self._seen = 0
        self._reading = self._reading_t = self._problem = None
        self.telegrams = 0  # good telegrams read
        self.rejected = 0  # bad CRC, half or unreadable

    def _outcome(self, reading, problem):
        if reading is not None:
            self._reading, self._reading_t = reading, ticks.ms()
            self.telegrams += 1
        else:
            self.rejected += 1
        self._problem = problem
        self._seq += 1
        self._event.set()

    async def _run(self, stream):
        framer = self._framer
        # read into one kept buffer where the stream can (MicroPython's), not a new bytes a read
        readinto = getattr(stream, "readinto", None)
        buf = _reserved.get("chunk")
        chunk = memoryview(buf if buf and len(buf) >= self._chunk else bytearray(self._chunk))[:self._chunk]
        while True:
            try:
                if readinto is None:
                    data = await stream.read(self._chunk)
                else:
                    n = await readinto(chunk)
                    data = chunk[:n] if n else None
            except Exception as e:
                self._outcome(None, "reading the P1 input failed: %s" % net.describe(e))
                await net.sleep_ms(1000)
                continue
            if not data:  # end of file: a closed pty, nothing will come
                await net.sleep_ms(100)
                continue
            for item in framer.feed(data):
                if type(item) is str:
                    self._outcome(None, item)
                    continue
                try:
                    self._outcome(parse(item), None)
                except ValueError as e:  # TelegramError, or a value the Reading refuses
                    self._outcome(None, "telegram rejected: %s" % e)

    async def _read(self, context, now):
        if self._task is None:
            stream = self._stream
            if stream is None:
                stream, self._chunk = _input(self.settings)
                self._stream = stream
            self._task = asyncio.create_task(self._run(stream))
        if self._seq == self._seen:
            self._event.clear()
            try:
                await net.within(self._event.wait(), self.settings["timeout_ms"])
            except asyncio.TimeoutError:
                if self._framer.drop():
                    self.rejected += 1
                    raise ValueError("half a telegram: the line went quiet before its end")
                raise ValueError("no telegram from the meter for %d ms: is the P1 input wired and the "
                                 "meter's P1 port enabled?" % self.settings["timeout_ms"])
        self._seen = self._seq
        r, t = self._reading, self._reading_t
        if self._problem or r is None:
            raise ValueError(self._problem)
        origin = self.name
        context.set(q.GRID_PHASE_MA, r.current_ma, origin, t)
        context.set(q.GRID_PHASE_W, r.phase_w, origin, t)
        context.set(q.GRID_W, r.phase_w[0] + r.phase_w[1] + r.phase_w[2], origin, t)
        context.set(q.VOLTAGE_DV, r.voltage_dv, origin, t)
        context.set(q.GRID_IMPORT_WH, r.import_wh[0] + r.import_wh[1], origin, t)
        context.set(q.GRID_EXPORT_WH, r.export_wh[0] + r.export_wh[1], origin, t)

    async def close(self):
        if self._task is not None:
            self._task.cancel()
            self._task = None
