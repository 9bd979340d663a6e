"""The physical state of the simulated installation at one instant.

Every simulator reads one SiteState: the source simulators (SMA, SolarEdge,
HomeWizard, P1 meter) publish it in their own protocol, and the closed-loop
models (PV data, house, battery, charge point, car) write it. Integers in the
firmware's units: W, mA, 0.1 V, %, Wh.
"""
import threading


class SiteState:
    def __init__(self, phases=3):
        self.lock = threading.Lock()
        self.phases = phases
        self.pv_w = 0  # AC production, spread evenly over the inverter's phases
        self.house_phase_w = [0, 0, 0]  # house consumption per phase, car excluded
        self.battery_w = 0  # home battery, charging > 0
        self.battery_soc = None  # %, None: no battery
        self.ev_phase_ma = [0, 0, 0]  # what the car draws now, per phase
        self.voltage_dv = [2300, 2300, 2300]
        self.rated_w = 5000  # inverter rated AC power
        self.import_wh = 0  # grid energy counters, advanced by advance()
        self.export_wh = 0
        self._residue_mws = 0  # energy below 1 Wh carried as integer W*ms

    def grid_phase_w(self):
        """Grid power per phase, import > 0: house + car + battery - PV."""
        pv_share = self.pv_w // self.phases
        battery_share = self.battery_w // self.phases
        out = []
        for i in range(3):
            ev_w = self.ev_phase_ma[i] * self.voltage_dv[i] // 10000
            pv = pv_share if i < self.phases else 0
            bat = battery_share if i < self.phases else 0
            out.append(self.house_phase_w[i] + ev_w + bat - pv)
        return out

    def grid_w(self):
        return sum(self.grid_phase_w())

    def grid_phase_ma(self):
        """Signed grid current per phase, import > 0."""
        return [w * 10000 // v if v else 0 for w, v in zip(self.grid_phase_w(), self.voltage_dv)]

    def advance(self, dt_ms):
        """Integrate the grid energy counters over dt_ms at the present power."""
        self._residue_mws += self.grid_w() * dt_ms
        whole = int(self._residue_mws / 3600000)
        if whole:
            self._residue_mws -= whole * 3600000
            if whole > 0:
                self.import_wh += whole
            else:
                self.export_wh -= whole
