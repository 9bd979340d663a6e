"""One supervised task: an object that owns its state and its asyncio task (the pattern of
Peter Hinch's micropython-async primitives: the task starts in __init__, deinit() stops it).

A subclass writes ``async def run(self)`` and waits with ``await self.pause(ms)`` or
``await self.wait_event(event, ms)``, which say it still runs. When run() raises, the task
starts again after a back-off (1 s, doubling with each failure within the supervisor's
window, at most 60 s); a task that shows no sign of life for HANG_MS is cancelled and started
again. Each failure is reported to the supervisor, which resets the board when one task
fails too often (p1gen.app.supervisor).

Fault injection for the tests: a board that has ``fault(task_name)`` (only boards/host with
its test models) is asked at every pause; "raise" makes the task raise there, "hang" makes it
wait forever.
"""
import asyncio

from p1gen import ticks
from p1gen.app.aio import const, sleep_ms
from p1gen.app.pacer import backoff_ms

_MAX_BACKOFF_MS = const(60000)
_LOOK_MS = const(250)


class Task:
    NAME = "task"
    HANG_MS = 15000  # no sign of life for this long: the task is restarted (pauses are <= 5 s)
    FIRST_BACKOFF_MS = 1000

    def __init__(self, device, supervisor=None):
        self.device = device
        self.supervisor = supervisor
        self.restarts = 0
        self.last_error = None
        self.last_error_ms = None
        self.last_run_ms = ticks.ms()
        self.done = False  # run() returned: the task has nothing (more) to do
        self.fault = getattr(device.board, "fault", None)
        self.task = asyncio.create_task(self._supervised(0))

    def deinit(self):
        self.task.cancel()

    async def run(self):
        raise NotImplementedError

    async def _supervised(self, ms):
        await sleep_ms(ms)
        while True:
            self.last_run_ms = ticks.ms()
            try:
                await self.run()
                self.done = True
                return
            except asyncio.CancelledError:  # deinit(), or restart() after a hang
                raise
            except Exception as e:
                await sleep_ms(self.failed("%s: %s" % (type(e).__name__, e)))

    def failed(self, error):
        """Record a failure; return the back-off before the next start."""
        now = ticks.ms()
        self.restarts += 1
        self.last_error, self.last_error_ms = error, now
        print("p1gen %s: %s; restart %d" % (self.NAME, error, self.restarts))
        failures = self.restarts if self.supervisor is None else self.supervisor.failed(self, error)
        ms = backoff_ms(failures, self.FIRST_BACKOFF_MS, _MAX_BACKOFF_MS)
        self.last_run_ms = ticks.add(now, ms)  # no hang while it waits to start again
        return ms

    def restart(self, error):
        """Cancel a task that hangs and start it again after its back-off."""
        self.task.cancel()
        self.task = asyncio.create_task(self._supervised(self.failed(error)))

    def hangs(self, now):
        return not self.done and ticks.diff(now, self.last_run_ms) > self.HANG_MS

    async def pause(self, ms):
        """Sleep ms (a sign of life first; a test board may inject a fault here)."""
        self.last_run_ms = ticks.ms()
        if self.fault is not None:
            await self.injected()
        await sleep_ms(ms)

    async def wait_event(self, event, ms):
        """Wait up to ms for event; True when it is set. It looks every 250 ms (a sign of life
        each time): Event.wait() with a timeout needs wait_for(), whose new task on every call
        scatters small live objects over the heap and fragments it (the web server then
        fails to find 512 contiguous bytes); sleep_ms() allocates nothing."""
        end = ticks.add(ticks.ms(), ms)
        while not event.is_set():
            left = ticks.diff(end, ticks.ms())
            if left <= 0:
                return False
            await self.pause(min(left, _LOOK_MS))
        return True

    async def injected(self):
        how = self.fault and self.fault(self.NAME)
        if how == "raise":
            raise RuntimeError("fault injected by the test board")
        if how == "hang":
            await asyncio.Event().wait()

    def status(self, now):
        return {"restarts": self.restarts, "last_error": self.last_error,
                "last_error_age_ms": None if self.last_error_ms is None else ticks.diff(now, self.last_error_ms),
                "last_run_age_ms": ticks.diff(now, self.last_run_ms), "running": not self.done}
