"""The source task: a source that fails to be made (the board's MemoryError at start-up) is made
again after a back-off, and new source settings restart it at once (device.source_changed)."""
import asyncio

from appdevice import cleanup, device_with

from p1gen import sources
from p1gen.app import tasks
from p1gen.context import Context, GRID_W


class FakeSource:
    interval_ms = 100

    def __init__(self, settings):
        self.name = "fake %s" % settings["host"]
        self.polls = 0
        self.closed = False

    async def poll(self):
        self.polls += 1
        ctx = Context()
        ctx.set(GRID_W, 1234, self.name, 0)
        return ctx

    async def close(self):
        self.closed = True


def test_a_failed_make_is_retried_and_a_settings_change_restarts_the_source():
    dev, path = device_with({"source": {"kind": "sma", "host": "127.0.0.1"}})
    assert dev.config_errors == [], dev.config_errors
    made = []
    real_make = sources.make

    def flaky_make(settings):
        made.append(settings["host"])
        if len(made) <= 2:  # the first try and heap.attempt's own retry after a collection
            raise MemoryError("memory allocation failed, allocating 3072 bytes")
        return FakeSource(settings)

    async def until(condition, timeout_s):
        """Wait for condition() (a loaded test machine is slow), at most timeout_s."""
        waited = 0
        while not condition() and waited < timeout_s:
            await asyncio.sleep(0.05)
            waited += 0.05

    async def scenario():
        task = tasks.Source(dev)
        dev.tasks["source"] = task
        await until(lambda: task.state["last_error"] is not None, 3)
        first = (dev.source_health(), task.state["last_error"])
        await until(lambda: task.state["polls"] >= 1, 5)  # the back-off after one failure is 1 s
        second = (dev.source_health(), task.state["name"], task.state["polls"])
        old = task.src
        assert dev.apply_config({"source": {"kind": "sma", "host": "127.0.0.2"}}) == []
        await until(lambda: task.state["name"] == "fake 127.0.0.2", 3)
        third = (task.state["name"], old.closed, dev.status()["source"]["name"])
        task.deinit()
        return first, second, third

    sources.make = flaky_make
    try:
        first, second, third = asyncio.run(scenario())
    finally:
        sources.make = real_make
        cleanup(path)
    assert first[0] == "error" and first[1].startswith("source: source sma: does not fit in memory") and \
        first[1].endswith("(try 1)"), first
    assert second[0] == "ok" and second[1] == "fake 127.0.0.1" and second[2] >= 1, second
    assert third == ("fake 127.0.0.2", True, "fake 127.0.0.2"), third
    assert made == ["127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.2"], made
    assert dev.context.get(GRID_W) == 1234
