"""One supervised task: an object that owns its state and its asyncio task (the pattern of
Peter Hinch's micropython-async primitives: the task starts in __init__, deinit() stops it).

A subclass writes ``async def run(self)`` and waits with ``await self.pause(ms)`` (or
``self.alive()`` before any other bounded wait), which says it still runs. When run() raises,
the task starts again after a back-off; a task that shows no sign of life for HANG_MS is
cancelled and started again. Each failure is reported to the supervisor, which resets the
board when one task fails too often (p1gen.app.supervisor).

Fault injection for the tests: a board that has ``fault(task_name)`` (only boards/host does)
is asked at every pause; "raise" makes the task raise there, "hang" makes it wait forever.
"""
import asyncio

from p1gen import ticks
from p1gen.app.aio import sleep_ms, wait_for_ms
from p1gen.app.pacer import backoff_ms


class Task:
    NAME = "task"
    HANG_MS = 15000  # no sign of life for this long: the task is restarted (pauses are <= 5 s)
    FIRST_BACKOFF_MS = 1000
    MAX_BACKOFF_MS = 60000
    _STEADY_MS = 60000  # running this long after a restart clears the back-off

    def __init__(self, device, supervisor=None):
        self.device = device
        self.board = device.board
        self.supervisor = supervisor
        self.restarts = 0
        self.last_error = None
        self.last_error_ms = None
        self.last_run_ms = ticks.ms()
        self.ended = False  # run() returned: the task has nothing (more) to do
        self._failures = 0  # since it last ran steadily: sets the back-off
        self._started_ms = self.last_run_ms
        self._fault = getattr(self.board, "fault", None)
        self._task = asyncio.create_task(self._supervised(0))

    def deinit(self):
        self._task.cancel()

    async def _supervised(self, delay_ms):
        if delay_ms:
            await sleep_ms(delay_ms)
        while True:
            self._started_ms = self.last_run_ms = ticks.ms()
            try:
                await self.run()
                self.ended = True
                return
            except asyncio.CancelledError:  # deinit(), or restart() after a hang
                raise
            except Exception as e:
                await sleep_ms(self.failed("%s: %s" % (type(e).__name__, e)))

    def failed(self, error):
        """Record a failure; return the back-off before the next start."""
        now = ticks.ms()
        if self._failures and ticks.diff(now, self._started_ms) > self._STEADY_MS:
            self._failures = 0
        self._failures += 1
        self.restarts += 1
        self.last_error, self.last_error_ms = error, now
        print("p1gen %s: %s; restart %d" % (self.NAME, error, self.restarts))
        if self.supervisor is not None:
            self.supervisor.failed(self, error)
        delay = backoff_ms(self._failures, self.FIRST_BACKOFF_MS, self.MAX_BACKOFF_MS) if self.FIRST_BACKOFF_MS else 0
        self.last_run_ms = ticks.add(now, delay)  # no hang while it waits to start again
        return delay

    def restart(self, error):
        """Cancel a task that hangs and start it again after its back-off."""
        self._task.cancel()
        self._task = asyncio.create_task(self._supervised(self.failed(error)))

    def hangs(self, now):
        return not self.ended and ticks.diff(now, self.last_run_ms) > self.HANG_MS

    def alive(self):
        self.last_run_ms = ticks.ms()

    async def pause(self, ms):
        """Sleep ms (a sign of life first; a test board may inject a fault here)."""
        self.alive()
        if self._fault is not None:
            await self.injected()
        await sleep_ms(ms)

    async def wait_event(self, event, ms):
        """Wait up to ms for event (a sign of life every second); True when it is set."""
        end = ticks.add(ticks.ms(), ms)
        while not event.is_set():
            left = ticks.diff(end, ticks.ms())
            if left <= 0:
                return False
            self.alive()
            if self._fault is not None:
                await self.injected()
            try:
                await wait_for_ms(event.wait(), min(left, 1000))
            except asyncio.TimeoutError:
                pass
        return True

    async def injected(self):
        how = self._fault(self.NAME)
        if how == "raise":
            raise RuntimeError("fault injected by the test board")
        if how == "hang":
            await asyncio.Event().wait()

    def status(self, now):
        return {"restarts": self.restarts, "last_error": self.last_error,
                "last_error_age_ms": None if self.last_error_ms is None else ticks.diff(now, self.last_error_ms),
                "last_run_age_ms": ticks.diff(now, self.last_run_ms), "running": not self.ended}
