"""One supervised task: an object that owns its state and its asyncio task (the pattern of
Peter Hinch's micropython-async primitives: the task starts in __init__, deinit() stops it).

A subclass writes ``async def run(self)`` and waits with ``await self.pause(ms)`` or
``await self.wait_event(event, ms)``, which say it still runs. When run() raises, the task
starts again after a back-off; a task that shows no sign of life for HANG_MS is cancelled
and started again (p1gen.app.recover, loaded at the first failure).

Fault injection for the tests: a board that has ``async fault(task_name)`` (only boards/host
with its test models) is awaited at every pause: it raises, or waits forever, as a test asks.
"""
import asyncio

from p1gen import ticks
from p1gen.app.aio import const, sleep_ms

_LOOK_MS = const(250)


class Task:
    NAME = "task"
    HANG_MS = 15000  # no sign of life for this long: the task is restarted (pauses are <= 5 s)
    # until a task fails or ends, these class values stand for its own (fewer attributes each)
    restarts = 0
    last_error = None
    done = False  # run() returned: the task has nothing (more) to do

    def __init__(self, device, supervisor=None):
        self.device = device
        self.supervisor = supervisor
        self.last_run_ms = ticks.ms()
        self.fault = getattr(device.board, "fault", None)
        self.task = asyncio.create_task(self.supervised(0))

    def deinit(self):
        self.task.cancel()

    async def run(self):
        raise NotImplementedError

    async def supervised(self, ms):
        await sleep_ms(ms)
        while True:
            self.last_run_ms = ticks.ms()
            try:
                await self.run()
                self.done = True
                return
            except asyncio.CancelledError:  # deinit(), or a restart after a hang
                raise
            except Exception as e:
                from p1gen.app import recover

                await sleep_ms(recover.failed(self, "%s: %s" % (type(e).__name__, e)))

    def hangs(self, now):
        return not self.done and ticks.diff(now, self.last_run_ms) > self.HANG_MS

    def pause(self, ms):
        """``await self.pause(ms)``: sleep ms, a sign of life first. Not a coroutine: it hands
        back sleep_ms()'s own awaitable, so a pause allocates nothing (a coroutine would leave
        a small object to collect each time, many times a second, and fragment the heap)."""
        self.last_run_ms = ticks.ms()
        if self.fault is not None:
            return self._fault_then_sleep(ms)
        return sleep_ms(ms)

    async def _fault_then_sleep(self, ms):
        await self.fault(self.NAME)  # pyright: ignore  (a test board: it may raise, or never return)
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

    def status(self, now):
        """restarts, last error, ms since it last ran (None: it ended; it has nothing to do)."""
        return {"restarts": self.restarts, "last_error": self.last_error,
                "last_run_age_ms": None if self.done else ticks.diff(now, self.last_run_ms)}
