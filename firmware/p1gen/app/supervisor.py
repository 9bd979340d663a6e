"""The firmware app: one asyncio loop running the device's tasks.

    from p1gen.app import supervisor
    supervisor.run(board)     # board: the board module (boards/<board>/board.py)

The telegram task is the app's heartbeat: if it ever ends, the app ends (and
the board resets); the watchdog is fed only from it.
"""
import asyncio
import sys

import p1gen
from p1gen.app import tasks
from p1gen.app.aio import sleep_ms
from p1gen.app.device import Device
from p1gen.app.output import ENERGY_PATH


def _print_exception(exc):
    if hasattr(sys, "print_exception"):
        sys.print_exception(exc)
    else:
        print(repr(exc))


def _log_task_error(loop, context):
    print("p1gen: task failed:", context.get("message"))
    exc = context.get("exception")
    if exc is not None:
        _print_exception(exc)


async def main(board, path="config.json"):
    device = Device(board, path)
    for error in device.config_errors:
        print("p1gen config:", error)
    asyncio.get_event_loop().set_exception_handler(_log_task_error)
    p1 = device.config["p1"]
    uart = board.uart(baud=p1["baud"], invert_tx=p1["invert_tx"], tx_pin=p1["tx_pin"])
    heartbeat = asyncio.create_task(tasks.telegrams(device, uart, ENERGY_PATH))
    # the first telegram is built before anything else takes heap: it must always fit
    waited = 0
    while device.telegram["count"] == 0 and device.telegram["errors"] == 0 and waited < 3000:
        await sleep_ms(20)
        waited += 20
    for task in (tasks.source, tasks.schedule, tasks.wifi, tasks.led):
        asyncio.create_task(task(device))
    if device.config["web"].get("enabled", True):
        _start_web(board, device)
    else:
        device.web["error"] = "off (web.enabled is false)"
    try:
        from p1gen import mqtt  # the settings only: its client is imported once mqtt.enabled is true

        asyncio.create_task(mqtt.run(device))
    except ImportError:
        pass
    print("p1gen %s running on %s" % (p1gen.VERSION, board.NAME))
    await heartbeat


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


def run(board, path="config.json"):
    """Run the app until the telegram task stops; then reset the board (the host exits)."""
    try:
        asyncio.run(main(board, path))
    except KeyboardInterrupt:
        raise
    except Exception as e:
        print("p1gen: stopped:")
        _print_exception(e)
    try:
        import machine

        machine.reset()
    except (ImportError, AttributeError):
        sys.exit(1)
