"""`p1gen provision --host`: update a running board over Wi-Fi (docs/update.md).

The same image as over USB (board_image), the same plan (board_sync.Plan: only files whose
SHA-256 differs from the running firmware's are sent), the same config check (the board's
config must be valid for the new firmware). The board stages the files in /fw/new, checks
each, and switches with one boot record: its main.py moves them in at the reset; the new
firmware is on trial until it has run ``confirm_s`` with telegrams and its web server up,
else main.py moves the old files back.
"""
import time

from p1host import board_http
from p1host.board_sync import Plan
from p1host.errors import CommandError

POLL_S = 1


def update(base, password, image, version, board_name=None, confirm_s=60, dry_run=False, wait=120, log=print,
           send_all=False):
    """Update the board at ``base`` to ``image`` ({board path: bytes}); return a summary dict
    (seconds in all and until the switch, bytes sent, files sent, the result). ``send_all``:
    every file, changed or not (the board keeps only those that differ)."""
    start = time.monotonic()
    board = board_http.BoardHttp(base, password)
    state = board.call("/api/status")
    if board_name and state.get("board") != board_name:
        raise CommandError("the board at %s is a %s, not a %s: use --board %s" % (
            base, state.get("board"), board_name, state.get("board")))
    _check_config(board.call("/api/config"))
    files = board_http.firmware_files(image)
    on_board = board.running_files()
    plan = Plan(files, on_board, board_http.FIRMWARE_DIRS)
    log("p1gen %s for %s; the board runs p1gen %s" % (version, state.get("board"), state.get("version")))
    log(plan.summary())
    summary = {"seconds": 0.0, "sent_s": 0.0, "sent_bytes": 0, "result": None,
               "files_sent": len(files) if send_all else len(plan.writes)}
    if dry_run:
        for path in plan.writes:
            log("  would send %s" % path)
        for path in plan.removals:
            log("  would remove %s" % path)
        return summary
    if not plan.writes and not plan.removals and state.get("version") == version and not send_all:
        summary["result"] = "nothing to update: the board runs p1gen %s with these very files" % version
        log(summary["result"])
        return summary
    board_http.send(board, files, files if send_all else plan.writes, plan.writes, plan.removals, version,
                    confirm_s)
    summary["sent_bytes"] = board.sent
    summary["sent_s"] = time.monotonic() - start
    log("sent and switched (%d KB sent); the board resets into p1gen %s" % ((board.sent + 1023) // 1024, version))
    if wait > 0:
        summary["result"] = wait_confirmed(base, version, confirm_s + wait, password)
        log(summary["result"])
    summary["seconds"] = time.monotonic() - start
    return summary


def wait_confirmed(base, version, timeout, password=None):
    """Poll the status until the new firmware has confirmed itself (or was rolled back)."""
    from p1host import status

    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        time.sleep(POLL_S)
        try:
            state = status.fetch_status(base, 3, password)
        except CommandError as e:
            last = str(e)
            continue
        upd = state.get("update") or {}
        if (upd.get("last_result") or "").startswith("rolled back"):
            raise CommandError("the new firmware was rolled back: %s; the board runs p1gen %s again" % (
                upd["last_result"], upd.get("running")))
        if upd.get("running") == version and upd.get("confirmed"):
            return "the board runs p1gen %s, confirmed: %s" % (version, upd.get("last_result"))
        last = "p1gen %s, %s" % (upd.get("running"), "confirmed" if upd.get("confirmed") else
                                 "on trial (boot %s)" % upd.get("tries"))
    raise CommandError("the new firmware did not confirm itself within %g s (last seen: %s)" % (timeout, last))


def _check_config(values):
    """The board's config (its secrets left out) must be valid for the new firmware."""
    from p1gen.app import config as board_config

    _, errors = board_config.validate(values)
    if errors:
        raise CommandError("the board's config is not valid for the new firmware (change it first, in the page "
                           "or over USB): %s; nothing was written" % "; ".join(errors))
