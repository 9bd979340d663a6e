"""Boot: choose the firmware to run, then run the p1gen app in it, unless safe mode is asked for.

This file is the fixed bootloader: an update over Wi-Fi never changes it (docs/update.md).
It imports nothing from a firmware before it has chosen one. The firmware lives in a slot:
"lib" (/lib/p1gen, /lib/microdot and /board.py, as `p1gen provision` installs them over
USB) or an update's /fw/<slot> (p1gen/, microdot/, board.py). /fw/boot.json (the boot
record, written temp-file-and-rename) names the slot; a new firmware is on trial until it
confirms itself (p1gen.app.update): each boot on trial is counted here, and after TRIES of
them the previous firmware runs again. No record: "lib".

Safe mode leaves the board at the REPL with nothing running, for maintenance:
hold the board's safe-mode pin to GND while it boots, or create a file named
``safemode`` next to this one (delete it and reset to run again).
"""
import json
import os
import sys

SAFE_FLAG = "safemode"
BOOT = "/fw/boot.json"
TRIES = 3  # boots a new firmware gets to confirm itself
TRIAL_WATCHDOG_MS = 8000  # a firmware on trial that hangs, even while importing, is reset


def read_record():
    try:
        with open(BOOT) as f:
            record = json.load(f)
        return record if type(record) is dict else {}
    except (OSError, ValueError):
        return {}


def write_record(record):
    with open(BOOT + ".tmp", "w") as f:
        json.dump(record, f)
    os.rename(BOOT + ".tmp", BOOT)


def choose_slot(record):
    """The slot to run; counts a boot on trial, and rolls back after TRIES of them."""
    if record.get("confirmed", True):
        return record.get("slot") or "lib"
    tries = record.get("tries", 0)
    if tries >= TRIES:
        record.update(slot=record.get("previous") or "lib", previous=record.get("slot"), confirmed=True, tries=0,
                      version=record.get("previous_version"), previous_version=record.get("version"),
                      result="rolled back: %s did not confirm itself within %d boots (last error: %s)" % (
                          record.get("version"), TRIES, record.get("error") or "none; it hung or reset"))
    else:
        record["tries"] = tries + 1
    write_record(record)
    return record["slot"]


def reset():
    import machine

    if hasattr(machine, "reset"):
        machine.reset()
    sys.exit(75)  # the unix port (tests): the emulated board's reset


def safe_mode_reason(board):
    try:
        os.stat(SAFE_FLAG)
        return "the file %s exists" % SAFE_FLAG
    except OSError:
        pass
    if board.safe_mode_requested():
        return "the safe-mode pin was held at boot"
    return None


def boot():
    record = read_record()
    try:
        os.stat(SAFE_FLAG)  # safe mode: a boot on trial is not counted
        slot = record.get("slot") or "lib"
    except OSError:
        slot = choose_slot(record)
    trial = not record.get("confirmed", True)
    if slot != "lib":
        sys.path.insert(0, "/fw/" + slot)
    try:
        import board  # pyright: ignore[reportMissingImports]  (the slot's board.py, or /board.py)

        reason = safe_mode_reason(board)
        if reason:
            print("p1gen: safe mode (%s): the app is not started" % reason)
            return
        if trial:
            board.on_trial = True
            board.trial_wdt = board.watchdog(TRIAL_WATCHDOG_MS)  # fed by the telegram task
        from p1gen.app import supervisor

        supervisor.run(board)
    except Exception as e:
        if not trial:
            raise
        sys.print_exception(e)  # pyright: ignore[reportAttributeAccessIssue]
        record["error"] = "%s: %s" % (type(e).__name__, e)
        write_record(record)
        reset()


boot()
