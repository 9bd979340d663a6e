"""The firmware app: one asyncio loop running the device's tasks under a supervisor.

    from p1gen.app import supervisor
    supervisor.run(board)     # board: the board module (boards/<board>/board.py)

Every task (p1gen.app.task) is started again after a failure, with a back-off, and after a
hang (no sign of life for its HANG_MS). A task that fails 5 times within 10 min makes the
supervisor reset the board, its reason saved to flash (p1gen.app.resetlog) and shown after
the boot, with the board's own reset cause; after 3 such resets in a row it stops the task
instead (the rules: p1gen.app.recover). The watchdog (fed only by the telegram task) resets
a board whose loop stalls.
"""
import asyncio
import sys

import p1gen
from p1gen import ticks
from p1gen.app import files, heap, tasks
from p1gen.app.aio import const, sleep_ms, wait_for_ms
from p1gen.app.device import Device
from p1gen.app.output import ENERGY_PATH
from p1gen.app.telegrams import Telegrams

_WATCH_MS = const(100)  # how often the supervisor looks for a hanging task
_FIRST_TELEGRAM_MS = const(3000)


def _print_exception(exc):
    if hasattr(sys, "print_exception"):
        sys.print_exception(exc)
    else:
        print(repr(exc))


def _log_task_error(loop, context):
    """A task outside the supervisor (the web server's) failed: say so on the console."""
    print("p1gen: task failed:", context.get("message"))
    exc = context.get("exception")
    if exc is not None:
        _print_exception(exc)


class Supervisor:
    def __init__(self, device):
        self.device = device
        self.tasks = device.tasks
        self.watched = []  # the tasks as a list: looking through it allocates nothing
        self.reason = None  # why the board must reset, once it must (p1gen.app.recover)
        self.failed_ms = {}  # task name: ticks of its failures within the window

    def start(self, task):
        self.tasks[task.NAME] = task
        self.watched.append(task)
        return task

    async def run(self):
        """Restart the tasks that hang, until the board must reset; then save why and return it."""
        while self.reason is None:
            now = ticks.ms()
            for task in self.watched:
                if task.hangs(now):
                    from p1gen.app import recover

                    recover.restart(task, now)
            await sleep_ms(_WATCH_MS)
        from p1gen.app import recover

        return recover.save_reason(self)


def _boot_record(board):
    """Why the board last reset (p1gen.app.resetlog, a module used once: dropped again so
    that its code is collected)."""
    from p1gen.app import resetlog

    record = resetlog.read(board)
    heap.unload("p1gen.app.resetlog")
    return record


async def main(board, path="config.json"):
    files.on_write = getattr(board, "flash_write", None)
    device = Device(board, path)
    device.boot = _boot_record(board)
    if device.boot["reason"]:
        print("p1gen: last reset: %s (reset cause: %s)" % (device.boot["reason"], device.boot["reset_cause"]))
    for error in device.config_errors:
        print("p1gen config:", error)
    asyncio.get_event_loop().set_exception_handler(_log_task_error)
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
    heap.plan(device)  # the long-lived buffers, before the features import (docs/heap.md)
    for task in (tasks.Source, tasks.Schedule, tasks.Wifi, tasks.Led):
        sup.start(task(device, sup))
    asyncio.create_task(heap.watch(every_s=getattr(board, "HEAP_REPORT_S", None)))
    web = device.config.get("web")  # None: a firmware built without the web server
    if web is None or web["enabled"]:
        _start_web(board, device)
    else:
        device.web["error"] = "off (web.enabled is false)"
    if "mqtt" in device.config:  # a firmware built with MQTT; its client is imported once mqtt.enabled is true
        sup.start(tasks.Mqtt(device, sup))
    print("p1gen %s running on %s" % (p1gen.__version__, board.NAME))
    raise RuntimeError(await sup.run())


def _start_web(board, device):
    """The web server, if this firmware has one; its failure never stops the telegrams."""
    try:
        from p1gen import web
    except ImportError:
        device.web["error"] = "this firmware has no web server"
        return
    try:
        device.web_server = heap.attempt("web server", lambda: web.start(
            device, host=getattr(board, "WEB_HOST", "0.0.0.0"), port=getattr(board, "WEB_PORT", None)))
        device.web["running"] = True
    except Exception as e:
        device.web["error"] = "%s: %s" % (type(e).__name__, e)
        print("p1gen web:", device.web["error"])


_running = []  # the Supervisor, for run() after Ctrl-C


def run(board, path="config.json"):
    """Run the app until the supervisor resets the board (Ctrl-C: leave it at the REPL)."""
    try:
        asyncio.run(main(board, path))
    except KeyboardInterrupt:
        if _running:
            from p1gen.app import recover

            recover.keep_watchdog_fed(board, _running[0])
        raise
    except Exception as e:
        print("p1gen: stopped:")
        _print_exception(e)
    board.reset()
