"""A real serial path: telegrams written to a pty are read by dsmr_parser's SerialReader."""
import copy
import os
import threading
import time

from dsmr_parser import telegram_specifications
from dsmr_parser.clients import SerialReader
from dsmr_parser.clients.settings import SERIAL_SETTINGS_V5

from p1gen import telegram
from p1gen.reading import Reading


def test_serial_reader_reads_telegrams_from_a_pty():
    master, slave = os.openpty()
    reader = SerialReader(os.ttyname(slave), copy.deepcopy(SERIAL_SETTINGS_V5), telegram_specifications.V5)
    got = []

    def read():
        for parsed in reader.read():
            got.append(parsed)
            if len(got) == 3:
                return

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    time.sleep(0.3)
    sent = [Reading(current_ma=(6000 + 1000 * i, 0, 0), utc_s=1795250918 + i) for i in range(3)]
    try:
        os.write(master, b"\x00noise before the first header")  # a reader joining mid-stream
        for reading in sent:
            os.write(master, telegram.build(reading, "csp1"))
            time.sleep(0.2)
        thread.join(10)
    finally:
        os.close(master)
        os.close(slave)
    assert [str(p.INSTANTANEOUS_CURRENT_L1.value) for p in got] == ["6.0", "7.0", "8.0"]
