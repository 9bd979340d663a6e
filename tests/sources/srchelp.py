"""Helpers shared by the source tests (imported by plain name: pytest puts this folder on sys.path)."""
import socket

from p1host.sim.site import SiteState


def free_port(host="127.0.0.1"):
    """A TCP port nothing listens on right now at host."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


V = 2300  # 230 V on every phase of site_with


def site_with(grid_phase_w, pv_w=0, phases=3):
    """A site whose grid carries ``grid_phase_w`` (import > 0) at 230 V, PV spread evenly."""
    site = SiteState(phases)
    site.pv_w = pv_w
    share = pv_w // phases
    site.house_phase_w = [w + (share if i < phases else 0) for i, w in enumerate(grid_phase_w)]
    site.voltage_dv = [V, V, V]
    site.import_wh, site.export_wh = 1234567, 7654
    return site


def amps_w(*amps):
    return [a * V // 10 for a in amps]  # W per phase for these whole amps at 230 V


def sunny_site(battery=True):
    """A site exporting on two phases and importing on one, with a battery charging."""
    site = SiteState()
    site.pv_w = 4500
    site.house_phase_w = [400, 2600, 250]
    site.voltage_dv = [2291, 2304, 2317]
    if battery:
        site.battery_soc = 64
        site.battery_w = 700
    site.import_wh = 1234567
    site.export_wh = 765432
    return site


class Device:
    """What Output reads of the device: the controller, the context and the telegram settings."""

    def __init__(self, control=None, profile="dsmr5"):
        from p1gen.context import Context
        from p1gen.control import Controller

        self.controller = Controller(dict({"policy": "full"}, **(control or {})))
        self.context = Context()
        self.config = {"telegram": {"profile": profile, "integer_amps": False, "utc_offset_min": 60,
                                    "eu_dst": True},
                       "control": self.controller.settings, "app": {"energy_save_s": 10}}

    def stale_ms(self):
        return self.controller.settings["stale_s"] * 1000


SPEC = {"csp1": "V5", "dsmr5": "V5", "emucs": "BELGIUM_FLUVIUS"}


def parse_telegram(data, profile="dsmr5"):
    """The telegram as dsmr_parser reads it (CRC checked): (its object, currents in A per phase)."""
    from dsmr_parser import telegram_specifications
    from dsmr_parser.parsers import TelegramParser

    spec = getattr(telegram_specifications, SPEC[profile])
    parsed = TelegramParser(spec, apply_checksum_validation=True).parse(data.decode(), throw_ex=True)
    return parsed, [float(getattr(parsed, "INSTANTANEOUS_CURRENT_L%d" % i).value) for i in (1, 2, 3)]


class Chain:
    """A firmware source (on CPython's asyncio) feeding a device context, its controller and
    its telegram, as the board's tasks do: ``step()`` polls once and composes one telegram."""

    def __init__(self, settings, control=None, profile="dsmr5"):
        import asyncio

        from p1gen import sources
        from p1gen.app.output import Output

        self.loop = asyncio.new_event_loop()
        self.source = sources.make(settings)
        self.device = Device(control, profile)
        self.output = Output(self.device)
        self.profile = profile

    def step(self, fresh=False):
        """Poll now (ignoring poll_ms) and compose: {"error", "source_error", "currents" (mA),
        "amps" (what dsmr_parser reads), "status", "info"}. ``fresh``: forget what the source
        and the device knew before (every poll on its own)."""
        from p1gen import ticks
        from p1gen.context import Context

        if fresh:
            self.source.context = Context()
            self.device.context = Context()
        self.source._last = None
        ctx = self.loop.run_until_complete(self.source.poll())
        self.device.context.update(ctx)
        data, currents, error = self.output.compose(ticks.ms(), 1795251605)
        _, amps = parse_telegram(data, self.profile)
        return {"error": error, "source_error": ctx.error, "currents": currents, "amps": amps,
                "status": self.device.controller.status(), "info": dict(ctx.info)}

    def close(self):
        self.loop.run_until_complete(self.source.close())
        self.loop.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
