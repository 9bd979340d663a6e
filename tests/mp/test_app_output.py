"""The telegram the device composes from the controller's report, checked by parsing it back
(CRC included): failsafe without data, never below the real import, energy that never decreases."""
import gc

from p1gen import telegram  # noqa: F401  the big one first, while the heap is unfragmented

gc.collect()
from p1gen import ticks  # noqa: E402
from p1gen.app.output import Output  # noqa: E402
from p1gen.context import Context, GRID_PHASE_MA, GRID_W, PV_W  # noqa: E402
from p1gen.control import Controller  # noqa: E402

TELEGRAM = {"profile": "csp1", "integer_amps": False, "utc_offset_min": 60, "eu_dst": True}


class Device:
    """What Output reads of the Device."""

    def __init__(self, control, profile="csp1"):
        self.controller = Controller(control)
        self.context = Context()
        self.config = {"telegram": dict(TELEGRAM, profile=profile), "control": self.controller.settings,
                       "app": {"energy_save_s": 10}}

    def stale_ms(self):
        return 10000


class Broken:
    def step(self, ctx, now):
        raise RuntimeError("bug")


def test_output_without_data_is_the_failsafe_report_and_parses_back():
    dev = Device({})
    out = Output(dev)
    data, currents, error = out.compose(ticks.ms(), 1795251605)
    assert error is None
    fuse = dev.config["control"]["fuse_a"] * 1000
    assert currents[0] >= fuse and currents == (currents[0],) * 3  # as if the fuse were full
    reading = telegram.parse(data)
    assert reading.current_ma == currents and reading.utc_s == 1795251605


def test_output_reports_at_least_the_real_import_and_counts_energy():
    dev = Device({"policy": "full"})
    out = Output(dev)
    t = ticks.ms()
    before = None
    for i in range(5):
        now = ticks.add(t, 1000 * i)
        dev.context.set(GRID_PHASE_MA, (12000, 9000, 15000), "test", now)
        dev.context.set(GRID_W, 8280, "test", now)
        dev.context.set(PV_W, 0, "test", now)
        data, currents, error = out.compose(now, None)
        assert error is None
        assert currents[0] >= 12000 and currents[1] >= 9000 and currents[2] >= 15000, currents
        reading = telegram.parse(data)
        total = reading.import_wh[0] + reading.import_wh[1]
        assert before is None or total >= before
        before = total
    assert out.energy.import_wh[1] >= 8  # ~8 kW for 4 s is ~9 Wh


def test_every_profile_parses_back():
    for profile in ("csp1", "dsmr5", "emucs"):
        dev = Device({}, profile)
        data, currents, error = Output(dev).compose(ticks.ms(), None)
        assert telegram.parse(data).current_ma[0] // 1000 == currents[0] // 1000, profile


def test_a_failing_controller_still_gives_a_failsafe_telegram():
    dev = Device({})
    dev.controller = Broken()
    data, currents, error = Output(dev).compose(ticks.ms(), None)
    assert error == "control: RuntimeError: bug"
    assert telegram.parse(data).current_ma == currents and currents[0] >= 250000


def test_energy_registers_continue_after_a_reset_and_never_go_back():
    import os

    path = "/tmp/p1gen-test-energy-%d.json" % ticks.ms()
    dev = Device({"policy": "full"})
    out = Output(dev, path)
    t = ticks.ms()
    shown = 0
    for i in range(12):  # 11 s at ~8.3 kW
        now = ticks.add(t, 1000 * i)
        dev.context.set(GRID_PHASE_MA, (12000, 12000, 12000), "test", now)
        data, _, _ = out.compose(now, None)
        wrote = out.save_energy(now)
        assert wrote == (i in (0, 10)), (i, wrote)  # at once, then every energy_save_s
        shown = telegram.parse(data).import_wh[1]
    assert shown >= 20
    after_reset = Output(dev, path)  # a reset 1 s after the last save
    data, _, _ = after_reset.compose(ticks.add(t, 13000), None)
    assert telegram.parse(data).import_wh[1] >= shown
    os.remove(path)
    assert Output(dev, path).energy.import_wh == [0, 0]  # no file: from zero


def test_emucs_shows_the_quarter_hour_demand_of_the_reported_load():
    dev = Device({"policy": "full"}, "emucs")
    out = Output(dev)
    t = ticks.ms()
    utc = 1795251600
    for i in range(6):
        now = ticks.add(t, 1000 * i)
        dev.context.set(GRID_PHASE_MA, (10000, 10000, 10000), "test", now)
        data, _, _ = out.compose(now, utc + i)
    reading = telegram.parse(data)
    assert abs(reading.avg_demand_w - reading.import_w()) <= 10, (reading.avg_demand_w, reading.import_w())
