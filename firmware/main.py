"""Boot: finish or undo an update over Wi-Fi, then run the p1gen app, unless safe mode is asked for.

This file is the fixed bootloader: an update over Wi-Fi never changes it (docs/update.md), and
it imports nothing from the firmware before the firmware is whole. The firmware lives in
/lib/p1gen, /lib/microdot and /board.py, as `p1gen provision` installs it over USB. An update
stages the files that change in /fw/new, lists them in /fw/switch.txt ("replace", "add" or
"remove" and the path) and sets the boot record /fw/boot.json (written temp-file-and-rename)
to "switch". Here each file is then moved in by renames that are safe to repeat after a power
cut, the replaced ones kept in /fw/old, and the new firmware runs on trial: its boots are
counted until it confirms itself (p1gen.app.update); after TRIES of them the old files are
moved back. No record, or state "ok": the firmware runs as it is.

Safe mode leaves the board at the REPL with nothing running, for maintenance:
hold the board's safe-mode pin to GND while it boots, or create a file named
``safemode`` next to this one (delete it and reset to run again).
"""
import json
import os
import sys

SAFE_FLAG = "safemode"
BOOT = "fw/boot.json"  # paths relative to the flash's root, the current folder (as config.json)
SWITCH = "fw/switch.txt"
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


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def live(path):
    return path if path == "board.py" else "lib/" + path


def move(src, dst):
    parts = dst.split("/")
    for i in range(1, len(parts)):
        try:
            os.mkdir("/".join(parts[:i]))
        except OSError:
            pass
    os.rename(src, dst)  # littlefs: atomic, and it replaces dst


def each_switched():
    with open(SWITCH) as f:
        for line in f:
            kind, path = line.split()
            yield kind, path, live(path), "fw/old/" + path, "fw/new/" + path


def switch():
    """Move the staged files in, the replaced and removed ones to /fw/old (repeatable)."""
    for kind, path, cur, old, new in each_switched():
        if kind != "add" and exists(cur) and not exists(old):
            move(cur, old)
        if kind != "remove" and exists(new):
            move(new, cur)


def roll_back():
    """Move the old files back and the added ones out (repeatable)."""
    for kind, path, cur, old, new in each_switched():
        if kind == "add":
            if exists(cur):
                os.remove(cur)
        elif exists(old):
            move(old, cur)


def prepare(record):
    """Finish a switch, count a boot on trial, roll back after TRIES of them; True: on trial."""
    state = record.get("state", "ok")
    if state == "switch":
        switch()
        record.update(state="trial", tries=0)
    if record.get("state") == "trial":
        if record.get("tries", 0) < TRIES:
            record["tries"] = record.get("tries", 0) + 1
            write_record(record)
            return True
        record.update(state="rollback", result="rolled back: %s did not confirm itself within %d boots (last "
                      "error: %s)" % (record.get("version"), TRIES, record.get("error") or "none; it hung or reset"))
        write_record(record)
    if record.get("state") == "rollback":
        roll_back()
        record.update(state="ok", tries=0, version=record.get("previous_version"),
                      previous_version=record.get("version"))
        write_record(record)
    return False


def reset():
    import machine

    if hasattr(machine, "reset"):
        machine.reset()
    sys.exit(75)  # the unix port (tests): the emulated board's reset


def safe_mode_reason(board):
    if exists(SAFE_FLAG):
        return "the file %s exists" % SAFE_FLAG
    if board.safe_mode_requested():
        return "the safe-mode pin was held at boot"
    return None


def boot():
    record = read_record()
    try:
        trial = False if exists(SAFE_FLAG) else prepare(record)  # safe mode: nothing moves, nothing counts
    except Exception as e:  # a record or a list that cannot be read or acted on: run what is there
        print("p1gen boot: update not finished: %r" % e)
        trial = False
    try:
        import board  # pyright: ignore[reportMissingImports]  (boards/<board>/board.py, copied to /board.py)

        reason = safe_mode_reason(board)
        if reason:
            print("p1gen: safe mode (%s): the app is not started" % reason)
            return
        if trial:
            board.on_trial = True
            board.trial_wdt = board.watchdog(TRIAL_WATCHDOG_MS)  # fed by the telegram task
        import gc

        gc.collect()  # the app starts on a heap free of this file's garbage
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
