"""The boot record of updates over Wi-Fi (docs/update.md): what the status says of them, the
confirmation of a new firmware on trial, and the turns an update takes to write to flash.

main.py moves an update's files in and counts the boots of the new firmware on trial
(state "trial" in /fw/boot.json); it confirms itself here once it has sent telegrams with
its web server up for the record's confirm_s, and the files it replaced are deleted. Only
main.py, this module and p1gen.web.update write the record, each with a temporary file
renamed over it.
"""
import json
import os

from p1gen import ticks
from p1gen.app.aio import const, sleep_ms
from p1gen.app.files import write_atomic

BOOT = "fw/boot.json"  # paths relative to the flash's root, the current folder (as config.json)
SWITCH = "fw/switch.txt"
NEW = "fw/new"
OLD = "fw/old"
CONFIRM_S = 60
_GRACE_MS = const(120000)  # on trial and still not confirmed this long after confirm_s: reset
_GUARD_MS = const(150)  # no flash write this close to a telegram's deadline (its composing, an erase)

_record = []  # the boot record, read once


def record():
    """The boot record: {"state": "ok" | "switch" | "trial" | "rollback", "version",
    "previous_version", "tries", "confirm_s", "result", "error"}; {} before the first update."""
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
        os.mkdir("fw")
    except OSError:
        pass
    write_atomic(BOOT, json.dumps(rec))
    _record[:] = [rec]


def live(path):
    """Where a firmware file (board.py, p1gen/..., microdot/...) lives on the board."""
    return path if path == "board.py" else "lib/" + path


def status():
    """The update part of the device's status."""
    import p1gen

    rec = record()
    state = rec.get("state", "ok")
    return {"running": p1gen.__version__, "previous": rec.get("previous_version"), "state": state,
            "confirmed": state == "ok", "tries": rec.get("tries", 0) if state == "trial" else 0,
            "last_result": rec.get("result")}


def remove_tree(path):
    """Delete a folder and all in it (a generator: it yields before each delete)."""
    try:
        entries = list(os.ilistdir(path))
    except OSError:
        return
    for entry in entries:
        p = path + "/" + entry[0]
        if entry[1] & 0x4000:
            yield from remove_tree(p)
        else:
            yield p
            os.remove(p)
    yield path
    os.rmdir(path)


class Confirmation:
    """A saver (p1gen.app.telegrams) on a boot on trial: marks the firmware good once it has
    sent telegrams with its web server up for confirm_s; resets the board when it cannot."""

    def __init__(self, device):
        self.device = device
        self.done = False
        self.cleanup = None  # the old files' deletion, one file a call

    def save(self, now):
        if self.cleanup is not None:
            if next(self.cleanup, None) is None:
                self.cleanup = None
            return
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
            rec.update(state="ok", tries=0, error=None, result="updated from %s to %s; confirmed after %d s" % (
                rec.get("previous_version"), rec.get("version"), up_ms // 1000))
            save(rec)
            self.done = True
            self.cleanup = remove_tree(OLD)
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
    the next is not due within _GUARD_MS. ``nbytes`` None: a delete (no erase modelled)."""
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

    if files.on_write is not None and nbytes is not None:
        files.on_write(path, nbytes)
