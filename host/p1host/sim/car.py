"""An electric car on the charge point: it follows the charge point's signalled limit after a
delay with a first-order lag and a ramp limit, wakes up slowly, tapers near full, and sometimes
draws less than offered."""

IEC_MIN_MA = 6000  # a PWM signal below 6 A means "do not charge" (IEC 61851)


class Car:
    def __init__(self, max_a=16, phases=3, capacity_wh=60000, soc=40, ramp_ma_s=3000, delay_s=1,
                 wake_s=5, taper_from_soc=80, self_limits=(), phase=0):
        """self_limits: (start_s, end_s, max_ma) windows where the car takes less than offered."""
        self.max_ma = max_a * 1000
        self.phases = phases
        self.phase = phase  # the phase a 1-phase car uses
        self.capacity_wh = capacity_wh
        self.ramp_ma_s = ramp_ma_s
        self.delay_s = delay_s
        self.wake_s = wake_s
        self.taper_from_soc = taper_from_soc
        self.self_limits = tuple(self_limits)
        self.ma = 0
        self._signals = [0] * delay_s
        self._awake_at = None
        self._energy_mws = capacity_wh * soc * 36000
        self.starts = 0

    @property
    def soc(self):
        return self._energy_mws * 100 // (self.capacity_wh * 3600000)

    def wants_ma(self, t):
        """The most the car takes now: its maximum, tapering near full, and its own limits."""
        top = self.max_ma
        soc = self.soc
        if soc >= 100:
            return 0
        if soc > self.taper_from_soc:
            top = top * (100 - soc) // (100 - self.taper_from_soc)
            top = max(top, 1000)
        for start, end, limit in self.self_limits:
            if start <= t < end and limit < top:
                top = limit
        return top

    def step(self, t, signal_ma, voltage_dv=2300):
        """Follow the charge point's signal (mA) for one second; returns the current per phase."""
        self._signals.append(signal_ma)
        signal = self._signals.pop(0)  # the signal of delay_s seconds ago
        target = min(signal, self.wants_ma(t)) if signal >= IEC_MIN_MA else 0
        if target <= 0:
            self.ma = 0
            self._awake_at = None
        else:
            if self.ma == 0:
                if self._awake_at is None:
                    self._awake_at = t + self.wake_s
                if t < self._awake_at:
                    return self.phase_ma()
                self.starts += 1
            # the on-board charger moves half way to its target each second (a first-order
            # lag of about 1.4 s), at most ramp_ma_s up; down as fast (IEC 61851: within 5 s)
            step = (target - self.ma + 1) // 2 if target > self.ma else -((self.ma - target + 1) // 2)
            if step > self.ramp_ma_s:
                step = self.ramp_ma_s
            self.ma += step
            if abs(target - self.ma) < 100:
                self.ma = target
        self._energy_mws += self.ma * voltage_dv * self.phases // 10
        return self.phase_ma()

    def phase_ma(self):
        if self.phases == 3:
            return [self.ma, self.ma, self.ma]
        out = [0, 0, 0]
        out[self.phase] = self.ma
        return out

    def power_w(self, voltage_dv=2300):
        return self.ma * voltage_dv * self.phases // 10000
