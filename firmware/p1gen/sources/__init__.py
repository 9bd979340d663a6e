"""Where the energy data comes from: one small module per kind behind one interface.

    source = sources.make({"kind": "sma", "host": "192.168.1.20"})
    context = await source.poll()   # never raises: a failure sets context.error
    await source.close()

A kind's module (``p1gen/sources/<kind>.py``) holds ``OPTIONS`` and a ``Source``
subclass that implements ``_read(context, now_ms)``; docs/sources.md says how to
add one. ``sources.sma``, ``sources.p1``, ... (or ``module(kind)``) give a kind's
module: a lazy registry (a module ``__getattr__``, as micropython-async's
primitives do), so the board only imports the one it runs.
"""
import asyncio

from p1gen import ticks
from p1gen.context import Context, RATED_W
from p1gen.options import Opt, validate as _validate

_RESCAN_MS = 300000
_TICK_SLACK_MS = 2  # a caller that sleeps poll_ms between polls may land a tick early

KINDS = ("sma", "solaredge", "homewizard", "p1")
_MODULES = {"sma": "sma", "solaredge": "solaredge", "homewizard": "homewizard", "p1": "p1meter"}
_HELPERS = ("discover", "modbus", "net", "p1meter")

KIND = Opt("kind", str, None, "where the energy data comes from: sma, solaredge (Modbus/TCP), "
           "homewizard (P1 dongle), p1 (the smart meter's own P1 port)", choices=KINDS, required=True)


def network_options(port, poll_ms, min_poll_ms):
    """The settings every network source has."""
    return (
        KIND,
        Opt("host", str, None, "IPv4 address of the device; leave empty to find it by a scan of the local network"),
        Opt("port", int, port, "TCP port", lo=1, hi=65535),
        Opt("timeout_ms", int, 2000, "connect and answer timeout in ms", lo=100, hi=2000),
        Opt("poll_ms", int, poll_ms, "time between two reads in ms", lo=min_poll_ms, hi=60000),
    )


def __getattr__(name):
    """A kind's module (``sources.p1``) or a helper module (``sources.net``), imported on first use.
    (MicroPython's ``from p1gen.sources import net`` comes here too while net is not loaded.)"""
    module = _MODULES.get(name) or (name if name in _HELPERS else None)
    if module is None:
        raise AttributeError(name)
    return __import__("p1gen.sources." + module, None, None, ("Source",))


def module(kind):
    if kind not in _MODULES:
        raise ValueError("source kind %r is not one of %s" % (kind, ", ".join(KINDS)))
    return __getattr__(kind)


def validate(values, where="source"):
    """(settings, errors) for a source's settings dict, checked against its kind's OPTIONS."""
    kind = values.get("kind") if type(values) is dict else None
    if kind not in KINDS:
        return {}, ["%s.kind: must be one of %s, got %r" % (where, ", ".join(KINDS), kind)]
    settings, errors = _validate(module(kind).OPTIONS, values, where)
    from p1gen.sources.net import is_ipv4

    host = settings.get("host")
    if host and not is_ipv4(host):
        errors.append("%s.host: must be an IPv4 address like 192.168.1.20, got %r" % (where, host))
    return settings, errors


def make(settings):
    """The Source for a settings dict; ValueError with every problem when the settings are wrong."""
    settings, errors = validate(settings)
    if errors:
        raise ValueError("; ".join(errors))
    return module(settings["kind"]).Source(settings)


class Source:
    """Polls one device into one Context that it keeps between polls.

    Values keep the tick they were measured at, so a failed poll leaves them to
    age (``Context.fresh`` then refuses them) and sets ``context.error``.
    """

    KIND = None
    DISCOVERABLE = True  # a network device a scan can find

    def __init__(self, settings):
        self.settings = settings
        self.context = Context()
        self.interval_ms = settings.get("poll_ms", 1000)
        self._last = None
        self._scan_at = None
        self._scan_task = None
        self.polls = 0
        host = settings.get("host")
        self.name = self.KIND if not host else "%s %s" % (self.KIND, host)

    async def poll(self):
        """Read the device unless the last read is younger than poll_ms; the Context."""
        now = ticks.ms()
        if self._last is not None and ticks.diff(now, self._last) < self.interval_ms - _TICK_SLACK_MS:
            return self.context
        self._last = now
        self.polls += 1
        try:
            if await self._ready():
                await self._read(self.context, now)
                self.context.error = None
        except Exception as e:
            self.context.error = "%s: %s" % (self.name, _text(e))
        return self.context

    async def _ready(self):
        """True when the source can be read. A network source without a host scans the
        local /24 for its kind in a task of its own, so no poll waits for the scan."""
        if not self.DISCOVERABLE or self.settings.get("host"):
            return True
        if self._scan_task is None:
            now = ticks.ms()
            if self._scan_at is None or ticks.diff(now, self._scan_at) >= _RESCAN_MS:
                self._scan_at = now
                self._scan_task = asyncio.create_task(self._scan())
                self.context.error = "%s: no address set, scanning the local network for one" % self.KIND
        return False

    async def _scan(self):
        from p1gen.sources import discover

        try:
            found = await discover.find(self.KIND, self.settings)
        except Exception as e:  # a scan must never end the source
            found = None
            self.context.info["scan_error"] = str(e)
        self._scan_task = None
        if not found:
            prefix = discover.local_prefix()
            where = "the board's network address is unknown" if prefix is None else "none found on %s.0/24" % prefix
            self.context.error = "%s: no address set and %s (next scan in %d s)" % (
                self.KIND, where, _RESCAN_MS // 1000)
            return
        self.settings["host"] = found["host"]
        self.settings["port"] = found["port"]
        self.name = "%s %s" % (self.KIND, found["host"])
        self.context.info["discovered"] = "%s:%d" % (found["host"], found["port"])
        self._last = None  # read it at the next poll

    async def _read(self, context, now):
        raise NotImplementedError

    def rated(self, context, now, rated_w):
        """Record the inverter's rated power, read once at start, as a current fact."""
        if rated_w:
            context.set(RATED_W, rated_w, self.name, now)
            context.info["rated_w"] = rated_w

    async def close(self):
        if self._scan_task is not None:
            self._scan_task.cancel()
            self._scan_task = None


def _text(exc):
    text = str(exc)
    return text if text else type(exc).__name__
