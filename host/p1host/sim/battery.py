"""A home battery with its own zero-grid controller: charges from export, discharges to
cover import, within its power and state-of-charge limits, answering with a lag."""


class Battery:
    def __init__(self, capacity_wh=10000, max_w=3000, soc=50, min_soc=10, lag_s=3):
        self.capacity_wh = capacity_wh
        self.max_w = max_w
        self.min_soc = min_soc
        self.lag_s = lag_s
        self.w = 0  # charging > 0
        self._energy_mws = capacity_wh * soc * 36000  # W*ms: Wh x 3600000 x soc / 100

    @property
    def soc(self):
        return self._energy_mws // (self.capacity_wh * 36000)

    def step(self, grid_w_without_battery, dt_s=1):
        """Answer the grid power the rest of the house makes (import > 0); returns battery W."""
        target = -grid_w_without_battery
        target = max(-self.max_w, min(self.max_w, target))
        soc = self.soc
        if target > 0 and soc >= 100:
            target = 0
        if target < 0 and soc <= self.min_soc:
            target = 0
        self.w += (target - self.w) // (self.lag_s + 1) if self.lag_s else target - self.w
        full_mws = self.capacity_wh * 3600000
        self._energy_mws = max(0, min(full_mws, self._energy_mws + self.w * dt_s * 1000))
        return self.w
