"""What the supervisor (p1gen.app.supervisor) does when a task fails or hangs, and when the
board must reset. Imported at the first failure: a board that runs without one never loads
this code (its heap is short).

A failed task starts again after a back-off: 1 s, doubling with each failure within the
window, at most 60 s (the telegram task at once). A task that fails _FAILURES times within
_WINDOW_MS makes the supervisor reset the board; after _MAX_RESETS such resets in a row,
each within an hour of the boot before, the task is stopped instead (the telegram task never).
"""
import asyncio

from p1gen import ticks
from p1gen.app.aio import const
from p1gen.app.pacer import backoff_ms

_FAILURES = const(5)  # failures of one task ...
_WINDOW_MS = const(600000)  # ... within 10 min: the board resets
_MAX_RESETS = const(3)
_STEADY_MS = const(3600000)
_MAX_BACKOFF_MS = const(60000)
_REPL_FEED_MS = const(1800000)  # after Ctrl-C, a timer feeds the watchdog 30 min, then it resets the board


def failed(task, error):
    """Record a failure of task; return the back-off before it starts again."""
    now = ticks.ms()
    task.restarts += 1
    task.last_error = error
    print("p1gen %s: %s; restart %d" % (task.NAME, error, task.restarts))
    sup = task.supervisor
    failures = task.restarts if sup is None else _count(sup, task, error, now)
    # the telegram task at once, on its grid of deadlines; the others after a back-off
    ms = 0 if task.NAME == "telegram" else backoff_ms(failures, 1000, _MAX_BACKOFF_MS)
    task.last_run_ms = ticks.add(now, ms)  # no hang while it waits to start again
    return ms


def restart(task, now):
    """Cancel a task that hangs and start it again after its back-off."""
    task.task.cancel()
    delay = failed(task, "no sign of life for %d ms" % ticks.diff(now, task.last_run_ms))
    task.task = asyncio.create_task(task.supervised(delay))


def _count(sup, task, error, now):
    """The task's failures within the window; sets sup.reason when the board must reset."""
    times = [t for t in sup.failed_ms.get(task.NAME, ()) if ticks.diff(now, t) < _WINDOW_MS]
    times.append(now)
    sup.failed_ms[task.NAME] = times
    if len(times) >= _FAILURES and sup.reason is None:
        why = "%s failed %d times in %d min: %s" % (task.NAME, len(times), _WINDOW_MS // 60000, error)
        if task.NAME != "telegram" and resets(sup) > _MAX_RESETS:
            task.deinit()
            task.done = True
            task.last_error = "stopped by the supervisor (it reset the board %d times already): %s" % (
                _MAX_RESETS, why)
            print("p1gen:", task.last_error)
        else:
            sup.reason = why
    return len(times)


def resets(sup):
    """How many supervisor resets in a row a reset now would be."""
    steady = ticks.diff(ticks.ms(), sup.device.start_ms) > _STEADY_MS
    return (0 if steady else sup.device.boot["resets"]) + 1


def save_reason(sup):
    """The reset record (the P1 line idle first); the reason."""
    from p1gen.app import resetlog

    reason = "reset by the supervisor: %s" % sup.reason
    sup.device.quiet_line()
    resetlog.save(reason, resets(sup))
    return reason


def keep_watchdog_fed(board, sup):
    """Ctrl-C stopped the app (the REPL follows): if the watchdog runs, a timer feeds it for
    30 min, after which it resets the board, which runs the app again."""
    telegrams = sup.tasks.get("telegram")
    if telegrams and telegrams.wdt is not None and hasattr(board, "feed_watchdog_for"):
        board.feed_watchdog_for(telegrams.wdt, _REPL_FEED_MS)
        print("p1gen: stopped by Ctrl-C; the watchdog is fed for %d min, then it resets the board "
              "(Ctrl-D or machine.reset() runs the app sooner)" % (_REPL_FEED_MS // 60000))
