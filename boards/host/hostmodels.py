"""Test models of the host board: boards/host/board.py calls install(globals()) with
P1GEN_MODELS=1 (p1host.runner's ``models=True`` sets it up). Nothing here is on a real board.

- The line time: a telegram occupies the UART for its bytes at the baud rate (10 bits a
  byte), and its ``flush()`` waits for that, as the rp2's does.
- A flash erase: each save (p1gen.app.files) holds the CPU for ``P1GEN_FLASH_ERASE_MS``
  (default 45, as measured on the rp2, where interrupts are off meanwhile); a save while a
  telegram is still on the line is said on the console (on the board it opens a gap in it).
- ``P1GEN_LINE_LOG`` names a file that gets one line per transmission and per save:
  "tx|flash start_ms end_ms [path]".
- Faults: ``P1GEN_FAULTS`` names a JSON file {task name: "raise" | "hang", or "raise:<n>" |
  "hang:<n>" for once}, read at each of the task's pauses (p1gen.app.task).
- A watchdog (``P1GEN_WATCHDOG=1``): a thread that ends the process when it is not fed in
  time, and ``feed_watchdog_for`` (what the rp2 boards do with a timer after Ctrl-C).
"""
import json
import os
import time

_ERASE_MS = int(os.getenv("P1GEN_FLASH_ERASE_MS") or 45)
_fired = []
_uart = []  # the P1 UART, once made


def install(board):
    """Add the models to the board module's globals."""
    cls = board["_Uart"]
    write, make = cls.write, board["uart"]

    def timed_write(self, data):
        now = time.ticks_ms()
        self.busy_until = time.ticks_add(now, (len(data) * 10 * 1000 + self.baud - 1) // self.baud)
        log_line("tx", now, self.busy_until)
        return write(self, data)

    def flush(self):
        left = time.ticks_diff(self.busy_until, time.ticks_ms())
        if left > 0:
            time.sleep_ms(left)

    def uart(*args, **kwargs):
        u = make(*args, **kwargs)
        u.baud = kwargs.get("baud", args[0] if args else 115200)
        u.busy_until = time.ticks_ms()
        _uart[:] = [u]
        return u

    cls.write, cls.flush = timed_write, flush
    board.update(uart=uart, fault=fault, flash_write=flash_write, feed_watchdog_for=feed_watchdog_for)
    if os.getenv("P1GEN_WATCHDOG") == "1":
        board["watchdog"] = Watchdog


def log_line(kind, start, end, what=""):
    path = os.getenv("P1GEN_LINE_LOG")
    if path:
        with open(path, "a") as f:
            f.write("%s %d %d %s\n" % (kind, start, end, what))


def flash_write(path, nbytes):
    start = time.ticks_ms()
    if _uart and time.ticks_diff(_uart[0].busy_until, start) > 0:
        print("host board: flash write of %s while the UART sends a telegram" % path)
    time.sleep_ms(_ERASE_MS)
    log_line("flash", start, time.ticks_ms(), path)


async def fault(task):
    """Awaited at each of the task's pauses: raises, or never returns, as the test asks."""
    try:
        with open(os.getenv("P1GEN_FAULTS") or "") as f:
            how = json.loads(f.read()).get(task)
    except (OSError, ValueError):
        return
    if how is not None and ":" in how:  # "raise:<n>", "hang:<n>": the first time it is seen only
        if how in _fired:
            return
        _fired.append(how)
        how = how.split(":")[0]
    if how == "raise":
        raise RuntimeError("fault injected by the test board")
    if how == "hang":
        import asyncio

        await asyncio.Event().wait()


class Watchdog:
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


def feed_watchdog_for(wdt, ms):
    """Feed wdt from a thread (the REPL runs) for ms, as the rp2 boards do from a timer."""
    import _thread

    def feed():
        deadline = time.ticks_add(time.ticks_ms(), ms)
        while time.ticks_diff(deadline, time.ticks_ms()) > 0:
            wdt.feed()
            time.sleep_ms(1000)

    _thread.start_new_thread(feed, ())
