"""Firmware slots and the boot record (docs/update.md): what the status says of updates, the
confirmation of a new firmware on trial, and the turns an update takes to write to flash.

A slot is "lib" (/lib/p1gen, /lib/microdot, /board.py: what `p1gen provision` installs over
USB) or "a" / "b" (/fw/<slot>/p1gen, microdot, board.py: an update over Wi-Fi). main.py
reads /fw/boot.json to choose one and counts the boots of a firmware on trial; the running
firmware confirms itself here once it has sent telegrams with its web server up for the
record's confirm_s. Only main.py, this module and p1gen.web.update write the record, each
with a temporary file renamed over it.
"""
import json
import os

from p1gen import ticks
from p1gen.app.aio import const, sleep_ms
from p1gen.app.files import write_atomic

BOOT = "/fw/boot.json"
CONFIRM_S = 60
_GRACE_MS = const(120000)  # on trial and still not confirmed this long after confirm_s: reset
_GUARD_MS = const(150)  # no flash write this close to a telegram's deadline (its composing, an erase)

_record = []  # the boot record, read once


def record():
    """The boot record: {"slot", "previous", "version", "previous_version", "confirmed",
    "tries", "confirm_s", "result", "error"}; {} before the first update."""
    if not _record:
        try:
            with open(BOOT) as f:
                value = json.loads(f.read())
        except (OSError, ValueError):
            value = None
        _record.append(value if type(value) is dict else {})
    return _record[0]


def save(rec):
    try:
        os.mkdir("/fw")
    except OSError:
        pass
    write_atomic(BOOT, json.dumps(rec))
    _record[:] = [rec]


def running_slot():
    """The slot this firmware was imported from."""
    import p1gen

    path = getattr(p1gen, "__file__", "") or ""
    if path.startswith("/fw/"):
        return path.split("/")[2]
    return "lib"


def slot_dir(slot):
    return "/lib" if slot == "lib" else "/fw/" + slot


def status():
    """The update part of the device's status."""
    import p1gen

    rec = record()
    slot = running_slot()
    same = rec.get("slot", "lib") == slot
    return {"running": p1gen.__version__, "slot": slot,
            "previous": rec.get("previous_version") if same else None,
            "confirmed": rec.get("confirmed", True) if same else True,
            "tries": rec.get("tries", 0) if same else 0,
            "last_result": rec.get("result")}


class Confirmation:
    """A saver (p1gen.app.telegrams) on a boot on trial: marks the firmware good once it has
    sent telegrams with its web server up for confirm_s; resets the board when it cannot."""

    def __init__(self, device):
        self.device = device
        self.done = False

    def save(self, now):
        if self.done:
            return
        device = self.device
        rec = record()
        after_ms = rec.get("confirm_s", CONFIRM_S) * 1000
        up_ms = ticks.diff(now, device.start_ms)
        if up_ms < after_ms:
            return
        sent = device.tasks["telegram"].stats["count"]
        web = device.web
        if sent and web.get("running"):
            rec.update(confirmed=True, tries=0, error=None, result="updated from %s to %s; confirmed after %d s" % (
                rec.get("previous_version"), rec.get("version"), up_ms // 1000))
            save(rec)
            self.done = True
            print("p1gen update:", rec["result"])
        elif up_ms > after_ms + _GRACE_MS:
            why = "no telegram sent" if not sent else "web server not running: %s" % web.get("error")
            rec["error"] = why
            save(rec)
            self.done = True
            sup = device.tasks["telegram"].supervisor
            if sup is not None:
                sup.reason = "the new firmware could not confirm itself: %s" % why


async def flash_turn(device, path, nbytes):
    """Wait until a flash write cannot stall a telegram: the last one has left the UART and
    the next is not due within _GUARD_MS."""
    tg = device.tasks.get("telegram")
    while tg is not None and tg.pacer is not None:
        now = ticks.ms()
        wait = ticks.diff(tg.line_free_ms, now) if tg.line_free_ms is not None else 0
        if wait <= 0:
            due = ticks.diff(tg.pacer.due, now)
            if due > _GUARD_MS or due < -_GUARD_MS:  # far enough, or the telegram task is stuck
                break
            wait = due + 5  # it is about to go out: after it
        await sleep_ms(wait)
    from p1gen.app import files

    if files.on_write is not None:
        files.on_write(path, nbytes)
