"""`p1gen monitor`: watch the telegrams on a P1 line, as the charge point sees them.

It reads the line with pyserial, cuts it into telegrams and decodes each with
dsmr_parser (the parser Home Assistant and dsmr-reader use) with the CRC
check on; prints one row per telegram and the line's statistics: CRC
failures, telegrams dsmr_parser could not read, and the cadence (the time
between telegrams, p50 and max).

Reading a P1 line with a PC: the P1 data line is open collector and logically
inverted (idle = pulled LOW). A plain USB-serial adapter sees garbage or
nothing. Use one that can invert its RX (an FTDI FT232R with "Invert RXD" set
in its EEPROM, or a ready-made "P1 cable", which has the inverter inside), or
put the transistor stage of docs/hardware.md in front of a 3.3 V adapter:
the P1 data pin (RJ12 pin 5) to the base/gate side, 10 kOhm pull-up on the
collector to the adapter's 3.3 V, collector to RX, the grounds (pin 3) joined.
The data line needs a pull-up to 5 V: the charge point has one; without it,
add 4.7 kOhm from pin 5 to 5 V. A real meter sends only while Data Request
(pin 2) is held at 5 V.
"""
import argparse
import bisect
import os
import time

from p1host.errors import CommandError

PROFILES = ("csp1", "dsmr5", "emucs")
EXPECTED_PERIOD_S = 1.0  # DSMR 5, CSP1 and e-MUCS send every second
STATS_EVERY = 10  # telegrams between two statistics lines of the live table
INVERTED_HINT = ("bytes arrive but no telegram starts with '/': the signal is probably not inverted (P1 is "
                 "logically inverted: use an adapter that inverts RX or the transistor stage, see `p1gen monitor "
                 "--help` and docs/hardware.md) or the speed is wrong (DSMR 2.2/3 meters: --baud 9600)")
SILENT_HINT = ("nothing on the line: check the wiring (data on RJ12 pin 5, ground pin 3) and, for a real meter, "
               "that Data Request (pin 2) is raised")


def add_arguments(parser):
    parser.description = __doc__.split("\n\n", 1)[1].strip()
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--port", required=True,
                        help="the serial port of the P1 reader, e.g. /dev/ttyUSB0 or COM4")
    parser.add_argument("--profile", choices=PROFILES, default="csp1",
                        help="telegram layout to decode (emucs: the Belgian objects); default csp1")
    parser.add_argument("--baud", type=int, choices=(115200, 9600), default=115200,
                        help="115200 8N1 (DSMR 4/5, the default) or 9600 7E1 (DSMR 2.2/3)")
    parser.add_argument("--record", metavar="FILE",
                        help="also append every byte read, unchanged, to FILE (to replay or attach to a report)")
    parser.add_argument("--count", type=int, metavar="N", help="stop after N telegrams")
    parser.add_argument("--duration", type=float, metavar="SECONDS", help="stop after this many seconds")


def run(args):
    import serial

    if args.baud == 9600:
        settings = dict(baudrate=9600, bytesize=serial.SEVENBITS, parity=serial.PARITY_EVEN)
    else:
        settings = dict(baudrate=115200, bytesize=serial.EIGHTBITS, parity=serial.PARITY_NONE)
    try:
        line = serial.serial_for_url(args.port, timeout=0.2, stopbits=serial.STOPBITS_ONE, **settings)
    except (serial.SerialException, OSError) as e:
        raise CommandError("cannot open %s: %s" % (args.port, _why(e)))
    record = None
    try:
        if args.record:
            try:
                record = open(args.record, "ab")
            except OSError as e:
                raise CommandError("cannot write %s: %s" % (args.record, e.strerror or e))
        watcher = Watcher(args.profile)
        print(watcher.header())
        try:
            watch(line, watcher, record, args.count, args.duration)
        finally:
            print(watcher.summary())
    finally:
        line.close()
        if record is not None:
            record.close()
    if watcher.telegrams == 0:
        raise CommandError("no telegram read from %s: %s" % (args.port, watcher.hint()))
    return 0


def watch(line, watcher, record=None, count=None, duration=None):
    """Read ``line`` into ``watcher`` until ``count`` telegrams, ``duration`` s, or Ctrl-C."""
    import serial

    start = time.monotonic()
    warned = False
    try:
        while True:
            now = time.monotonic()
            if duration is not None and now - start >= duration:
                return
            if count is not None and watcher.telegrams >= count:
                return
            try:
                data = line.read(max(1, line.in_waiting))
            except (serial.SerialException, OSError) as e:
                raise CommandError("reading %s failed: %s" % (line.port, _why(e)))
            if data:
                if record is not None:
                    record.write(data)
                    record.flush()
                for row in watcher.feed(data, time.monotonic()):
                    print(row, flush=True)
                    if watcher.telegrams % STATS_EVERY == 0:
                        print("so far: " + watcher.summary(), flush=True)
            if not warned and watcher.telegrams == 0 and now - start > 5:
                print("warning: " + watcher.hint(), flush=True)
                warned = True
    except KeyboardInterrupt:
        return


class Watcher:
    """Cuts bytes into telegrams, decodes them and keeps the line's statistics."""

    def __init__(self, profile):
        from dsmr_parser import telegram_specifications
        from dsmr_parser.clients.telegram_buffer import TelegramBuffer
        from dsmr_parser.parsers import TelegramParser

        spec = telegram_specifications.BELGIUM_FLUVIUS if profile == "emucs" else telegram_specifications.V5
        self.parser = TelegramParser(spec, apply_checksum_validation=True)
        self.buffer = TelegramBuffer()
        self.bytes = 0
        self.saw_start = False
        self.telegrams = 0
        self.crc_failures = 0
        self.unreadable = 0
        self.last_end = None
        self.gaps_ms = []  # sorted, for the percentiles

    def feed(self, data, now):
        """Rows of the table for the telegrams completed by ``data`` (received at ``now``, monotonic s)."""
        from dsmr_parser.exceptions import InvalidChecksumError

        self.bytes += len(data)
        text = data.decode("latin-1")
        self.saw_start = self.saw_start or "/" in text
        self.buffer.append(text)
        rows = []
        for telegram in self.buffer.get_all():
            self.telegrams += 1
            gap = None
            if self.last_end is not None:
                gap = int(round((now - self.last_end) * 1000))
                bisect.insort(self.gaps_ms, gap)
            self.last_end = now
            try:
                parsed = self.parser.parse(telegram, throw_ex=True)
            except InvalidChecksumError:
                self.crc_failures += 1
                rows.append(self._row(gap, len(telegram), "CRC BAD", None))
                continue
            except Exception as e:  # dsmr_parser lets decimal and value errors through as they are
                self.unreadable += 1
                why = (str(e).splitlines() or [type(e).__name__])[0][:60]
                rows.append(self._row(gap, len(telegram), "UNREADABLE", None) + "  " + why)
                continue
            rows.append(self._row(gap, len(telegram), "ok", parsed))
        return rows

    @staticmethod
    def header():
        return "%-8s %7s %5s %-10s %7s %7s %7s %8s %8s" % (
            "time", "gap ms", "bytes", "crc", "L1 A", "L2 A", "L3 A", "in kW", "out kW")

    def _row(self, gap, size, verdict, parsed):
        values = ("", "", "", "", "")
        if parsed is not None:
            values = tuple(_signed_current(parsed, phase) for phase in (1, 2, 3)) + (
                _value(parsed, "CURRENT_ELECTRICITY_USAGE"), _value(parsed, "CURRENT_ELECTRICITY_DELIVERY"))
        return "%-8s %7s %5d %-10s %7s %7s %7s %8s %8s" % ((
            time.strftime("%H:%M:%S"), "-" if gap is None else gap, size, verdict) + values)

    def percentile(self, q):
        if not self.gaps_ms:
            return None
        return self.gaps_ms[min(len(self.gaps_ms) - 1, int(q * len(self.gaps_ms)))]

    def late(self):
        """Gaps longer than 1.5 periods: a charger may count them as a missing telegram."""
        return len(self.gaps_ms) - bisect.bisect_right(self.gaps_ms, int(EXPECTED_PERIOD_S * 1500))

    def summary(self):
        if not self.gaps_ms:
            cadence = "no cadence yet"
        else:
            cadence = "gap p50 %d ms, max %d ms, min %d ms, %d late (> %d ms)" % (
                self.percentile(0.5), self.gaps_ms[-1], self.gaps_ms[0], self.late(), EXPECTED_PERIOD_S * 1500)
        return "%d telegrams, %d CRC failures, %d unreadable, %d bytes; %s" % (
            self.telegrams, self.crc_failures, self.unreadable, self.bytes, cadence)

    def hint(self):
        if self.bytes == 0:
            return SILENT_HINT
        if not self.saw_start:
            return INVERTED_HINT
        return "telegrams start but never end with !CRC: check the speed (--baud) and the profile"


def _value(parsed, name):
    obj = getattr(parsed, name, None)
    return "" if obj is None or obj.value is None else str(obj.value)


def _signed_current(parsed, phase):
    """The phase current, negative when the phase exports (P1 currents have no sign)."""
    amps = _value(parsed, "INSTANTANEOUS_CURRENT_L%d" % phase)
    if not amps:
        return ""
    out = getattr(parsed, "INSTANTANEOUS_ACTIVE_POWER_L%d_NEGATIVE" % phase, None)
    into = getattr(parsed, "INSTANTANEOUS_ACTIVE_POWER_L%d_POSITIVE" % phase, None)
    if out is not None and into is not None and out.value and out.value > into.value:
        return "-" + amps
    return amps


def _why(e):
    """pyserial's error in a few words."""
    if getattr(e, "errno", None):
        return os.strerror(e.errno)
    text = str(e)
    if "returned no data" in text:
        return "the port went away (adapter unplugged, or the program behind the pty ended)"
    return text

