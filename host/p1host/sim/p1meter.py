"""A smart meter's P1 port: telegrams of a SiteState written to a pty every second.

The telegrams are built by the firmware's own p1gen.telegram.build (the DSMR 5
profile, as a Dutch meter sends). A reader opens ``slave_path`` (or takes the
non-blocking fd ``reader_fd()`` gives). Fault injection for the tests: see FAULTS.
"""
import os
import pty
import threading
import time
import tty

from p1gen import telegram
from p1gen.reading import Reading

FAULTS = {
    None: "send good telegrams",
    "crc": "send telegrams with a wrong CRC",
    "half": "send the first half of each telegram, then the next one",
    "silent": "send nothing",
}


def reading(site):
    """The Reading a meter at the grid connection of ``site`` shows now."""
    phase_w = site.grid_phase_w()
    return Reading(current_ma=site.grid_phase_ma(), voltage_dv=list(site.voltage_dv), phase_w=phase_w,
                   import_wh=(0, site.import_wh), export_wh=(0, site.export_wh), utc_s=int(time.time()))


def corrupt_crc(data):
    """The same telegram with its CRC changed (still 4 hex digits)."""
    bang = data.rindex(b"!")
    crc = int(data[bang + 1:bang + 5], 16) ^ 0x1111
    return data[:bang + 1] + b"%04X" % crc + data[bang + 5:]


class P1MeterSim:
    def __init__(self, site, interval_s=1.0, profile="dsmr5"):
        self.site = site
        self.interval_s = interval_s
        self.profile = profile
        self.fault = None
        self.sent = 0
        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)  # with no reader, telegrams are dropped, not queued
        self.slave_path = os.ttyname(self.slave)
        self._stop = threading.Event()
        self._thread = None

    def reader_fd(self):
        """A non-blocking fd of the slave side, to hand to a MicroPython child as "fd:N"."""
        fd = os.open(self.slave_path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        return fd

    def telegram(self):
        with self.site.lock:
            r = reading(self.site)
        return telegram.build(r, self.profile)

    def send_once(self):
        data = self.telegram()
        if self.fault == "silent":
            return
        if self.fault == "crc":
            data = corrupt_crc(data)
        elif self.fault == "half":
            data = data[:len(data) // 2]
        os.write(self.master, data)
        self.sent += 1

    def _run(self):
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.send_once()
            except OSError:
                pass
            self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - started)))

    def start(self):
        self._thread = threading.Thread(target=self._run, name="p1meter-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def simulator(site, interval_s=1.0, profile="dsmr5"):
    return P1MeterSim(site, interval_s, profile)
