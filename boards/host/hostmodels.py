"""Test models of the host board (boards/host/board.py imports this with P1GEN_MODELS=1;
p1host.runner's ``models=True`` sets it up). Nothing here exists on a real board.

- A flash erase: each save (p1gen.app.files) holds the CPU for ``P1GEN_FLASH_ERASE_MS``
  (default 45, as measured on the rp2, where interrupts are off meanwhile); a save while a
  telegram is still on the line is said on the console (on the board it opens a gap in it).
- ``P1GEN_LINE_LOG`` names a file that gets one line per transmission and per save:
  "tx|flash start_ms end_ms [path]".
- Faults: ``P1GEN_FAULTS`` names a JSON file {task name: "raise" | "once:<n>" | "hang"}, read
  at each of the task's pauses (p1gen.app.task); "once:<n>" raises the first time it is seen.
"""
import json
import os
import time

_ERASE_MS = int(os.getenv("P1GEN_FLASH_ERASE_MS") or 45)
_fired = []


def log_line(kind, start, end, what=""):
    path = os.getenv("P1GEN_LINE_LOG")
    if path:
        with open(path, "a") as f:
            f.write("%s %d %d %s\n" % (kind, start, end, what))


def flash_write(path, nbytes):
    import board  # pyright: ignore[reportMissingImports]

    start = time.ticks_ms()
    if board._uart and time.ticks_diff(board._uart[0].busy_until, start) > 0:
        print("host board: flash write of %s while the UART sends a telegram" % path)
    time.sleep_ms(_ERASE_MS)
    log_line("flash", start, time.ticks_ms(), path)


def fault(task):
    """The fault a test injects into the task, or None."""
    try:
        with open(os.getenv("P1GEN_FAULTS") or "") as f:
            faults = json.loads(f.read())
    except (OSError, ValueError):
        return None
    how = faults.get(task)
    if how is not None and how.startswith("once"):
        if how in _fired:
            return None
        _fired.append(how)
        return "raise"
    return how
