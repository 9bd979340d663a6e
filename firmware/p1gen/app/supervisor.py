"""The firmware app: one asyncio loop running the device's tasks under a supervisor.

    from p1gen.app import supervisor
    supervisor.run(board)     # board: the board module (boards/<board>/board.py)

Every task (p1gen.app.task) is started again after a failure, with a back-off, and after a
hang (no sign of life for its HANG_MS). A task that fails _FAILURES times within _WINDOW_MS
makes the supervisor reset the board, its reason saved to flash (reset.json) and shown after
the boot, with the board's own reset cause. After _MAX_RESETS such resets within an hour of
each other, the supervisor stops that task instead (no reset loop); the telegram task is
never stopped. The watchdog (fed only by the telegram task) resets a board whose loop stalls.
"""
import asyncio
import sys

import p1gen
from p1gen import ticks
from p1gen.app import files, tasks
from p1gen.app.aio import const, sleep_ms, wait_for_ms
from p1gen.app.device import Device
from p1gen.app.output import ENERGY_PATH
from p1gen.app.telegrams import Telegrams

_FAILURES = const(5)  # failures of one task ...
_WINDOW_MS = const(600000)  # ... within 10 min: the board resets
_MAX_RESETS = const(3)  # supervisor resets in a row (each within an hour of boot) before a task is stopped instead
_STEADY_MS = const(3600000)
_WATCH_MS = const(100)  # how often the supervisor looks for a hanging task
_FIRST_TELEGRAM_MS = const(3000)
_REPL_FEED_MS = const(1800000)  # after Ctrl-C, a timer feeds the watchdog 30 min, then it resets the board


def _print_exception(exc):
    if hasattr(sys, "print_exception"):
        sys.print_exception(exc)
    else:
        print(repr(exc))


class Supervisor:
    def __init__(self, device):
        self.device = device
        self.tasks = device.tasks
        self.reason = None  # why the board must reset, once it must
        self._failed_ms = {}  # task name: ticks of its failures within the window

    def start(self, task):
        self.tasks[task.NAME] = task
        return task

    def failed(self, task, error):
        """A task failed (Task.failed calls this): reset the board when it fails too often.
        Returns its failures within the window (they set its back-off)."""
        now = ticks.ms()
        times = [t for t in self._failed_ms.get(task.NAME, ()) if ticks.diff(now, t) < _WINDOW_MS]
        times.append(now)
        self._failed_ms[task.NAME] = times
        if len(times) >= _FAILURES and self.reason is None:
            why = "%s failed %d times in %d min: %s" % (task.NAME, len(times), _WINDOW_MS // 60000, error)
            if task.NAME != "telegram" and self.resets() > _MAX_RESETS:
                task.deinit()
                task.done = True
                task.last_error = "stopped by the supervisor (it reset the board %d times already): %s" % (
                    _MAX_RESETS, why)
                print("p1gen:", task.last_error)
            else:
                self.reason = why
        return len(times)

    def resets(self):
        """How many supervisor resets in a row a reset now would be."""
        steady = ticks.diff(ticks.ms(), self.device.start_ms) > _STEADY_MS
        return (0 if steady else self.device.boot["resets"]) + 1

    async def run(self):
        """Restart the tasks that hang, until the board must reset; then save why (the P1
        line idle first) and return it."""
        while self.reason is None:
            now = ticks.ms()
            for task in self.tasks.values():
                if task.hangs(now):
                    task.restart("no sign of life for %d ms" % ticks.diff(now, task.last_run_ms))
            await sleep_ms(_WATCH_MS)
        from p1gen.app import resetlog

        reason = "reset by the supervisor: %s" % self.reason
        self.device.quiet_line()
        resetlog.save(reason, self.resets())
        return reason


def _boot_record(board):
    """Why the board last reset (p1gen.app.resetlog, dropped again after the boot)."""
    from p1gen.app import resetlog

    record = resetlog.read(board)
    _forget("p1gen.app.resetlog")
    return record


def _forget(module):
    """Drop a module used once, so its code is collected."""
    sys.modules.pop(module, None)
    package, name = module.rsplit(".", 1)
    if hasattr(sys.modules[package], name):
        delattr(sys.modules[package], name)


async def main(board, path="config.json"):
    files.on_write = getattr(board, "flash_write", None)
    device = Device(board, path)
    device.boot = _boot_record(board)
    if device.boot["reason"]:
        print("p1gen: last reset: %s (reset cause: %s)" % (device.boot["reason"], device.boot["reset_cause"]))
    for error in device.config_errors:
        print("p1gen config:", error)
    sup = Supervisor(device)
    _running[:] = [sup]
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
    raise RuntimeError(await sup.run())


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


_running = []  # the Supervisor, for run() after Ctrl-C


def _keep_watchdog_fed(board):
    """Ctrl-C stopped the app (the REPL follows): if the watchdog runs, a timer feeds it for
    30 min, after which it resets the board, which runs the app again."""
    telegrams = _running[0].tasks.get("telegram") if _running else None
    if telegrams and telegrams.wdt is not None and hasattr(board, "feed_watchdog_for"):
        board.feed_watchdog_for(telegrams.wdt, _REPL_FEED_MS)
        print("p1gen: stopped by Ctrl-C; the watchdog is fed for %d min, then it resets the board "
              "(Ctrl-D or machine.reset() runs the app sooner)" % (_REPL_FEED_MS // 60000))


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
