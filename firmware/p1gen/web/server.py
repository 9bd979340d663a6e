"""The running web server: microdot's task and the sampler task (see p1gen.web.start)."""

import asyncio

from p1gen import ticks
from p1gen.web import settings


class Web:
    """The running server: ``app`` (microdot), ``auth``, ``history``; ``stop()`` ends both tasks."""

    def __init__(self, app, auth, history, tasks):
        self.app = app
        self.auth = auth
        self.history = history
        self.tasks = tasks

    def stop(self):
        try:
            self.app.shutdown()
        except Exception:  # not listening yet
            pass
        for task in self.tasks:
            task.cancel()

    def status(self):
        """The server's own health, for the device's status (no secret in it)."""
        out = self.auth.state()
        out["clients"] = self.app.clients
        out["refused"] = self.app.refused
        out["timeouts"] = self.app.timeouts
        out["bad_requests"] = self.app.bad
        out["out_of_memory"] = self.app.out_of_memory
        out["last_error"] = self.app.last_error
        return out


def start(device, host="0.0.0.0", port=None):
    """Serve ``device`` on ``port`` (default: config web.port); returns the ``Web``.

    The device's ``history`` is used when it has one, else a new one is attached to it.
    """
    import gc

    from p1gen.web.history import History

    history = getattr(device, "history", None)
    if history is None:  # first, while the heap is least fragmented
        gc.collect()
        history = History()
        device.history = history
    from p1gen.web import api
    from p1gen.web.auth import Auth

    web_settings = settings(device.config)
    auth = Auth(lambda: settings(device.config).get("password"), web_settings["session_minutes"] * 60000)
    app = api.make_app(device, auth, history)
    port = web_settings["port"] if port is None else port
    web = Web(app, auth, history, [asyncio.create_task(app.start_server(host=host, port=port))])
    web.tasks.append(asyncio.create_task(_sample_forever(device, web)))
    return web


async def _sample_forever(device, web):
    """Every history interval: a sample, idle logins aged out, the server's counters
    copied into the device's "web" status."""
    history = web.history
    interval_ms = history.interval_s * 1000
    due = ticks.add(ticks.ms(), interval_ms)
    while True:
        await asyncio.sleep(max(0, ticks.diff(due, ticks.ms())) / 1000)
        now = ticks.ms()
        due = ticks.add(due, interval_ms)
        if ticks.diff(now, due) > 0:  # fell behind (a long stall): restart the grid from now
            due = ticks.add(now, interval_ms)
        web.auth.expire(now)
        stats = getattr(device, "web", None)
        try:
            history.add(sample(device.status()), now)
            if type(stats) is dict:
                stats.update(web.status())
        except Exception as e:  # a status that cannot be sampled must not end the sampler
            history.add((), now)
            if type(stats) is dict:
                stats["error"] = "history: %s: %s" % (type(e).__name__, e)


def sample(status):
    """One history sample (grid_w, pv_w, report_ma, ev_ma) from the device's status():
    the car's current as measured, else as the controller estimates it."""
    ctx = status.get("context") or {}
    report = status.get("reported_ma")
    ev = _value(ctx, "ev_phase_ma")
    ev_ma = max(ev) if ev else (status.get("control") or {}).get("car_ma")
    return (_value(ctx, "grid_w"), _value(ctx, "pv_w"), max(report) if report else None, ev_ma)


def _value(ctx, name):
    entry = ctx.get(name)
    if type(entry) is dict:
        return entry.get("value")
    return entry
