"""One telegram from the device's state: the controller's currents as a Reading
whose every field tells the same story, with energy counters that never decrease.

The counters are saved to flash every app.energy_save_s and continue from there
after a reset, plus what the last saved power could have added since the save,
so a reader never sees them go back.
"""
import json

from p1gen import telegram, ticks
from p1gen.telegram import clock
from p1gen.app.demand import Demand
from p1gen.app.files import write_atomic
from p1gen.reading import EnergyCounter, Reading, MAX_MA

# what to report when the controller itself fails: far over any fuse, so every
# charger drops to its minimum or pauses (it may only ever charge less)
FAILSAFE_MA = (MAX_MA, MAX_MA, MAX_MA)


ENERGY_PATH = "energy.json"


class Output:
    def __init__(self, device, energy_path=None):
        self.device = device
        self.energy_path = energy_path
        self.energy = EnergyCounter()
        self.demand = Demand()  # e-MUCS 1-0:1.4.0 and 1-0:1.6.0 of the reported load
        self._last_ms = None
        self._saved_ms = None
        self._power = (0, 0)
        if energy_path:
            self._restore()

    def _restore(self):
        try:
            with open(self.energy_path) as f:
                saved = json.loads(f.read())
            save_s = self.device.config["app"]["energy_save_s"]
            extra_import = saved["import_w"] * save_s // 3600 + 1
            extra_export = saved["export_w"] * save_s // 3600 + 1
            imp, exp = saved["import_wh"], saved["export_wh"]
            self.energy = EnergyCounter((imp[0], imp[1] + extra_import), (exp[0], exp[1] + extra_export))
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            pass  # no file yet, or a broken one: the counters start at 0

    def save_energy(self, now_ms):
        """Save the counters when app.energy_save_s has passed; True when it wrote."""
        if not self.energy_path:
            return False
        if self._saved_ms is not None and \
                ticks.diff(now_ms, self._saved_ms) < self.device.config["app"]["energy_save_s"] * 1000:
            return False
        self._saved_ms = now_ms
        e = self.energy
        write_atomic(self.energy_path, json.dumps({
            "import_wh": e.import_wh, "export_wh": e.export_wh, "import_w": self._power[0], "export_w": self._power[1]}))
        return True

    def currents(self, now_ms):
        """The controller's report, or the failsafe report (and the error) if it fails."""
        device = self.device
        try:
            currents = device.controller.step(device.context, now_ms)
            return (int(currents[0]), int(currents[1]), int(currents[2])), None
        except Exception as e:
            return FAILSAFE_MA, "control: %s: %s" % (type(e).__name__, e)

    def compose(self, now_ms, utc_s):
        """(telegram bytes, reported currents, error or None) for the telegram due at now_ms."""
        currents, error = self.currents(now_ms)
        device = self.device
        volts = device.context.mains_dv(now_ms, device.stale_ms())  # every phase a mains voltage
        settings = device.config["telegram"]
        demand = self.demand
        try:
            reading = Reading(currents, voltage_dv=volts, import_wh=self.energy.import_wh,
                              export_wh=self.energy.export_wh, utc_s=utc_s, avg_demand_w=demand.avg_w,
                              peak_demand_w=demand.peak_w, peak_utc_s=demand.peak_utc_s)
        except (ValueError, TypeError) as e:  # a bug upstream: still a telegram, the failsafe one
            currents, error = FAILSAFE_MA, "telegram: %s" % e
            reading = Reading(currents, import_wh=self.energy.import_wh, export_wh=self.energy.export_wh)
        self._power = (reading.import_w(), reading.export_w())
        if self._last_ms is not None:
            dt_ms = ticks.diff(now_ms, self._last_ms)
            self.energy.add(self._power[0], self._power[1], dt_ms, False)
            month = None if utc_s is None else \
                clock.local_fields(utc_s, settings["utc_offset_min"], settings["eu_dst"])[1]
            demand.add(self._power[0], dt_ms, now_ms, utc_s, month)
        self._last_ms = now_ms
        data = telegram.build(reading, settings["profile"], integer_amps=settings["integer_amps"],
                              utc_offset_min=settings["utc_offset_min"], eu_dst=settings["eu_dst"])
        return data, currents, error

