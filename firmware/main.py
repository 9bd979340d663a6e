"""Boot: the p1gen app, unless safe mode is asked for.

Safe mode leaves the board at the REPL with nothing running, for maintenance:
hold the board's safe-mode pin to GND while it boots, or create a file named
``safemode`` next to this one (delete it and reset to run again).
"""
import os

import board  # pyright: ignore[reportMissingImports]  (boards/<board>/board.py, copied to /board.py)

SAFE_FLAG = "safemode"


def safe_mode_reason():
    try:
        os.stat(SAFE_FLAG)
        return "the file %s exists" % SAFE_FLAG
    except OSError:
        pass
    if board.safe_mode_requested():
        return "the safe-mode pin was held at boot"
    return None


reason = safe_mode_reason()
if reason:
    print("p1gen: safe mode (%s): the app is not started" % reason)
else:
    from p1gen.app import supervisor

    supervisor.run(board)
