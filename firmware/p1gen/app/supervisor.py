"""The firmware app: one asyncio loop running the device's tasks under a supervisor.

    from p1gen.app import supervisor
    supervisor.run(board)     # board: the board module (boards/<board>/board.py)

Every task (p1gen.app.task) is started again after a failure, with a back-off, and after a
hang (no sign of life for its HANG_MS). A task that fails FAILURES times within WINDOW_MS
makes the supervisor reset the board, its reason saved to flash (RESET_PATH) and shown after
the boot, with the board's own reset cause. After MAX_RESETS such resets within an hour of
each other, the supervisor stops that task instead (no reset loop); the telegram task is
never stopped. The watchdog (fed only by the telegram task) resets a board whose loop stalls.
"""
import asyncio
import json
import os
import sys

import p1gen
from p1gen import ticks
from p1gen.app.aio import sleep_ms, wait_for_ms
from p1gen.app.device import Device
from p1gen.app import files
from p1gen.app.output import ENERGY_PATH

RESET_PATH = "reset.json"
FAILURES = 5  # failures of one task ...
WINDOW_MS = 600000  # ... within 10 min: the board resets
MAX_RESETS = 3  # supervisor resets in a row (each within an hour of boot) before a task is stopped instead
_STEADY_S = 3600
_WATCH_MS = 100  # how often the supervisor looks for a hanging task
_FIRST_TELEGRAM_MS = 3000
REPL_FEED_MS = 30 * 60000  # after Ctrl-C, a timer feeds the watchdog this long, then it resets the board


def _print_exception(exc):
    if hasattr(sys, "print_exception"):
        sys.print_exception(exc)
    else:
        print(repr(exc))


class Supervisor:
    def __init__(self, device, previous=None):
        self.device = device
        self.tasks = device.tasks
        self.previous = previous or {}  # the reset record of the last boot, if the supervisor made it
        self.reset_reason = None
        self.must_reset = asyncio.Event()
        self._failed_ms = {}  # task name: ticks of its failures within the window

    def start(self, task):
        self.tasks[task.NAME] = task
        return task

    def failed(self, task, error):
        """A task failed (Task.failed calls this): reset the board when it fails too often."""
        now = ticks.ms()
        times = [t for t in self._failed_ms.get(task.NAME, ()) if ticks.diff(now, t) < WINDOW_MS]
        times.append(now)
        self._failed_ms[task.NAME] = times
        if len(times) < FAILURES or self.must_reset.is_set():
            return
        why = "%s failed %d times in %d min: %s" % (task.NAME, len(times), WINDOW_MS // 60000, error)
        if task.NAME != "telegram" and self._resets() > MAX_RESETS:
            task.deinit()
            task.ended = True
            task.last_error = "stopped by the supervisor (it reset the board %d times already): %s" % (
                MAX_RESETS, why)
            print("p1gen:", task.last_error)
            return
        self.reset_reason = why
        self.must_reset.set()

    def _resets(self):
        """How many supervisor resets in a row this one would be."""
        steady = ticks.diff(ticks.ms(), self.device.start_ms) > _STEADY_S * 1000
        return (0 if steady else self.previous.get("resets", 0)) + 1

    async def watch(self):
        """Restart the tasks that hang, until a reset is due."""
        while not self.must_reset.is_set():
            now = ticks.ms()
            for task in self.tasks.values():
                if task.hangs(now):
                    task.restart("no sign of life for %d ms" % ticks.diff(now, task.last_run_ms))
            await sleep_ms(_WATCH_MS)

    def save_reason(self):
        """Write the reset record (between telegrams: the P1 line idle first)."""
        self.device.quiet_line()
        try:
            files.write_atomic(RESET_PATH, json.dumps({"reason": "reset by the supervisor: %s" % self.reset_reason,
                                                 "resets": self._resets()}))
        except OSError as e:
            print("p1gen: reset reason not saved:", e)


def boot_record(board):
    """Why the board last reset: the supervisor's saved reason (read once, then removed) and
    the cause the board reports."""
    record = {}
    try:
        with open(RESET_PATH) as f:
            record = json.loads(f.read())
        os.remove(RESET_PATH)
    except (OSError, ValueError):
        pass
    cause = board.reset_cause() if hasattr(board, "reset_cause") else None
    return {"reset_cause": cause, "reason": record.get("reason"), "resets": record.get("resets", 0)}


async def main(board, path="config.json"):
    from p1gen.app.telegrams import Telegrams
    from p1gen.app import tasks

    files.on_write = getattr(board, "flash_write", None)
    device = Device(board, path)
    device.boot = boot_record(board)
    if device.boot["reason"]:
        print("p1gen: last reset: %s (reset cause: %s)" % (device.boot["reason"], device.boot["reset_cause"]))
    for error in device.config_errors:
        print("p1gen config:", error)
    sup = _state["supervisor"] = Supervisor(device, device.boot)
    p1 = device.config["p1"]
    uart = board.uart(baud=p1["baud"], invert_tx=p1["invert_tx"], tx_pin=p1["tx_pin"])
    telegrams = sup.start(Telegrams(device, uart, ENERGY_PATH, sup))
    # the first telegram is built before anything else takes heap: it must always fit
    try:
        await wait_for_ms(telegrams.first_sent.wait(), _FIRST_TELEGRAM_MS)
    except asyncio.TimeoutError:
        pass
    for task in (tasks.Source, tasks.Schedule, tasks.Wifi, tasks.Led):
        sup.start(task(device, sup))
    web = device.config.get("web")  # None: a firmware built without the web server
    if web is None or web["enabled"]:
        _start_web(board, device)
    else:
        device.web["error"] = "off (web.enabled is false)"
    print("p1gen %s running on %s" % (p1gen.VERSION, board.NAME))
    await sup.watch()
    sup.save_reason()
    raise RuntimeError("reset by the supervisor: %s" % sup.reset_reason)


def _start_web(board, device):
    """The web server, if this firmware has one; its failure never stops the telegrams."""
    try:
        from p1gen import web
    except ImportError:
        device.web["error"] = "this firmware has no web server"
        return
    try:
        device.web_server = web.start(device, host=getattr(board, "WEB_HOST", "0.0.0.0"),
                                      port=getattr(board, "WEB_PORT", None))
        device.web["running"] = True
    except Exception as e:
        device.web["error"] = "%s: %s" % (type(e).__name__, e)
        print("p1gen web:", device.web["error"])


_state = {"supervisor": None}


def _keep_watchdog_fed(board):
    """Ctrl-C stopped the app (the REPL follows): if the watchdog runs, a timer feeds it for
    REPL_FEED_MS, after which it resets the board, which runs the app again."""
    sup = _state["supervisor"]
    telegrams = sup and sup.tasks.get("telegram")
    wdt = telegrams and telegrams.wdt
    if wdt is None or not hasattr(board, "feed_watchdog_for"):
        return
    board.feed_watchdog_for(wdt, REPL_FEED_MS)
    print("p1gen: stopped by Ctrl-C; the watchdog is fed for %d min, then it resets the board "
          "(Ctrl-D or machine.reset() runs the app sooner)" % (REPL_FEED_MS // 60000))


def run(board, path="config.json"):
    """Run the app until the supervisor resets the board (Ctrl-C: leave it at the REPL)."""
    try:
        asyncio.run(main(board, path))
    except KeyboardInterrupt:
        _keep_watchdog_fed(board)
        raise
    except Exception as e:
        print("p1gen: stopped:")
        _print_exception(e)
    board.reset()
