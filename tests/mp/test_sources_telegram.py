"""Issue 13 item 1 (CPython and MicroPython): a telegram goes out whatever voltages the
source gave, every phase with a mains voltage, the report never under the real import."""
import gc

from p1gen import telegram  # the big one first, while the heap is unfragmented

gc.collect()
from p1gen import context as q  # noqa: E402
from p1gen import ticks  # noqa: E402
from p1gen.app.output import Output  # noqa: E402

NAN = float("nan")


class _Device:
    def __init__(self):
        from p1gen.control import Controller

        self.controller = Controller({"policy": "full"})
        self.context = q.Context()
        self.config = {"telegram": {"profile": "dsmr5", "integer_amps": False, "utc_offset_min": 60,
                                    "eu_dst": True}, "control": self.controller.settings,
                       "app": {"energy_save_s": 10}}

    def stale_ms(self):
        return 10000


def test_a_telegram_whatever_the_voltages_say():
    dev = _Device()
    out = Output(dev)
    now = ticks.ms()
    for volts in ((2300, 2300, 0), (0, 0, 0), (0.05, 0.05, 0.05), (NAN, 99999, -2300)):
        dev.context.set(q.VOLTAGE_DV, volts, "test", now)
        dev.context.set(q.GRID_PHASE_MA, (12000, 3000, 7000), "test", now)
        dev.context.set(q.GRID_W, 5060, "test", now)
        data, currents, error = out.compose(now, None)
        assert error is None, error
        reading = telegram.parse(data)
        assert reading.current_ma[0] >= 12000 and reading.current_ma[2] >= 7000, reading
        for dv in reading.voltage_dv:
            assert 1000 <= dv <= 3000


class _BadVolts(q.Context):
    def mains_dv(self, now_ms, max_age_ms):
        return (2300, -1, 2300)  # what a bug upstream could hand over


def test_a_reading_refused_still_gives_the_failsafe_telegram():
    dev = _Device()
    dev.context = _BadVolts()
    data, currents, error = Output(dev).compose(ticks.ms(), None)
    assert error.startswith("telegram: voltage L2"), error
    assert telegram.parse(data).current_ma == currents and min(currents) >= 250000
