"""Why the board reset: the supervisor saves its reason to flash before it resets the board,
and the next boot reads it once (then removes it). Imported only then: the supervisor drops
this module after the boot to give its heap back."""
import json
import os

from p1gen.app.files import write_atomic

PATH = "reset.json"


def read(board):
    """{"reason": the supervisor's, or None; "resets": supervisor resets in a row before this
    boot; "reset_cause": what the board says reset it}."""
    record = {}
    try:
        with open(PATH) as f:
            record = json.loads(f.read())
        os.remove(PATH)
    except (OSError, ValueError):
        pass
    cause = board.reset_cause() if hasattr(board, "reset_cause") else None
    return {"reset_cause": cause, "reason": record.get("reason"), "resets": record.get("resets", 0)}


def save(reason, resets):
    try:
        write_atomic(PATH, json.dumps({"reason": reason, "resets": resets}))
    except OSError as e:
        print("p1gen: reset reason not saved:", e)
