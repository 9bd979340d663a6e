"""`p1gen monitor` on a real serial port (a pty) fed by p1gen.telegram.build and by the
firmware itself under the MicroPython unix port."""
import os
import subprocess
import sys
import threading
import time
import tty

from hostcli import one_line_error, p1gen

from p1gen import telegram
from p1gen.reading import Reading
from p1gen.telegram import crc
from p1host import runner


class Feeder:
    """A pty whose master side gets ``chunks`` written ``period`` s apart, from a thread."""

    def __init__(self, chunks, period):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.port = os.ttyname(self.slave)
        self.chunks = chunks
        self.period = period
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        for chunk in self.chunks:
            os.write(self.master, chunk)
            time.sleep(self.period)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.thread.join(30)
        os.close(self.master)
        os.close(self.slave)


def monitor_run(port, *argv):
    """Start `p1gen monitor` and wait for its table header: from then on it reads the port."""
    proc = subprocess.Popen([sys.executable, "-m", "p1host", "monitor", "--port", port] + [str(a) for a in argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.header = proc.stdout.readline()
    assert proc.header.startswith("time "), proc.header + proc.stderr.read()
    return proc


def finish(proc, timeout=60):
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.header + out, err)


def rows(stdout):
    return [line.split() for line in stdout.splitlines() if line[:2].isdigit() and line[2] == ":"]


def test_rows_crc_failures_cadence_and_the_recording(tmp_path):
    readings = [Reading(current_ma=(16000 + 100 * i, 2000, 3000)) for i in range(12)]
    data = [telegram.build(r, "csp1") for r in readings]
    data[3] = data[3].replace(b"1-0:31.7.0(016.3*A)", b"1-0:31.7.0(019.3*A)")  # damaged on the line: CRC fails
    record = tmp_path / "line.bin"
    feeder = Feeder(data, 0.25)
    proc = monitor_run(feeder.port, "--count", 12, "--record", record, "--duration", 30)
    with feeder:
        result = finish(proc)

    assert result.returncode == 0, result.stdout + result.stderr
    table = rows(result.stdout)
    assert len(table) == 12, result.stdout
    assert [row[3] for row in table] == ["ok", "ok", "ok", "CRC"] + ["ok"] * 8
    assert "so far: 10 telegrams, 1 CRC failures" in result.stdout
    assert table[0][4:7] == ["16.0", "2.0", "3.0"] and table[7][4] == "16.7"
    assert table[0][1] == "-"
    gaps = sorted(int(row[1]) for row in table[1:])
    # fed 250 ms apart; a busy machine may delay the reader and bunch two telegrams together
    assert 150 <= gaps[len(gaps) // 2] <= 1000 and 1800 <= sum(gaps) <= 9000, gaps
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("12 telegrams, 1 CRC failures, 0 unreadable, %d bytes" % sum(map(len, data))), summary
    assert "gap p50 " in summary and "0 late" in summary
    assert record.read_bytes() == b"".join(data)


def test_export_shows_as_a_negative_current_and_emucs_decodes():
    reading = Reading(current_ma=(-12000, 1000, 0))
    feeder = Feeder([telegram.build(reading, "emucs")] * 2, 0.3)
    proc = monitor_run(feeder.port, "--profile", "emucs", "--count", 2, "--duration", 30)
    with feeder:
        result = finish(proc)
    assert result.returncode == 0, result.stderr
    table = rows(result.stdout)
    assert table[0][3] == "ok" and table[0][4:7] == ["-12.00", "1.00", "0.00"], result.stdout


def test_a_telegram_with_a_good_crc_but_a_bad_value_is_counted_and_the_watch_goes_on():
    good = telegram.build(Reading(current_ma=(5000, 5000, 5000)), "dsmr5")
    body = good[:good.index(b"!") + 1].replace(b"1-0:51.7.0(005*A)", b"1-0:51.7.0(0x5*A)")
    assert body != good[:good.index(b"!") + 1]
    bad = body + b"%04X\r\n" % crc.crc16(body)
    feeder = Feeder([good, bad, good], 0.3)
    proc = monitor_run(feeder.port, "--profile", "dsmr5", "--count", 3, "--duration", 30)
    with feeder:
        result = finish(proc)
    assert result.returncode == 0, result.stderr
    assert [row[3] for row in rows(result.stdout)] == ["ok", "UNREADABLE", "ok"], result.stdout
    assert "3 telegrams, 0 CRC failures, 1 unreadable" in result.stdout


def test_an_uninverted_line_is_explained():
    good = telegram.build(Reading(current_ma=(5000, 5000, 5000)), "dsmr5")
    feeder = Feeder([bytes(b ^ 0xFF for b in good)] * 3, 0.3)  # what a non-inverting adapter reads
    proc = monitor_run(feeder.port, "--duration", 6)
    with feeder:
        result = finish(proc)
    line = one_line_error(result, "monitor")
    assert "no telegram read" in line and "not inverted" in line and "--baud 9600" in line
    assert "warning: bytes arrive but no telegram starts" in result.stdout


def test_a_silent_line_is_explained():
    feeder = Feeder([], 0)
    with feeder:
        result = finish(monitor_run(feeder.port, "--duration", 2))
    assert "nothing on the line" in one_line_error(result, "monitor")


def test_a_missing_port_is_one_line():
    assert "cannot open /dev/ttyUSB7: No such file or directory" in one_line_error(
        p1gen("monitor", "--port", "/dev/ttyUSB7"), "monitor")


def test_the_help_explains_the_inverted_signal():
    proc = p1gen("monitor", "--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert "logically inverted" in text and "transistor stage" in text and "Invert RXD" in text


def test_the_real_firmware_under_micropython_passes_the_monitor():
    with runner.start({"telegram": {"profile": "csp1"}, "web": {"enabled": False}}) as fw:
        result = p1gen("monitor", "--port", fw.uart_path, "--count", 4, "--duration", 40, timeout=90)
    assert result.returncode == 0, result.stdout + result.stderr + fw.log()
    table = rows(result.stdout)
    assert [row[3] for row in table] == ["ok"] * 4, result.stdout
    gaps = sorted(int(row[1]) for row in table[1:])
    assert 800 <= gaps[len(gaps) // 2] <= 1200, gaps  # one telegram a second
    assert "4 telegrams, 0 CRC failures, 0 unreadable" in result.stdout
