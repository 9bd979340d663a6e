"""A tiny standalone scenario for running a source simulator on its own: a sun curve,
a house load with a few appliances, and a home battery that soaks up surplus.

The closed-loop models of the control simulation drive the same SiteState
instead; this is only for ``p1gen sim-source`` and the benchmarks.
"""
import math
import random
import threading
import time

SCENARIOS = ("sunny", "cloudy", "night", "static")


class Scenario:
    def __init__(self, site, name="sunny", start_hour=12.0, speed=1.0, seed=1):
        if name not in SCENARIOS:
            raise ValueError("scenario %r is not one of %s" % (name, ", ".join(SCENARIOS)))
        self.site = site
        self.name = name
        self.start_hour = start_hour
        self.speed = speed
        self._rng = random.Random(seed)
        self._cloud = 1.0
        self._battery_mwh = None
        self._stop = threading.Event()
        self._thread = None

    def hour(self, t_s):
        return (self.start_hour + t_s * self.speed / 3600) % 24

    def pv_w(self, t_s):
        if self.name == "night":
            return 0
        if self.name == "static":
            return self.site.rated_w // 2
        h = self.hour(t_s)
        sun = math.sin(math.pi * (h - 6) / 14) if 6 < h < 20 else 0.0
        if self.name == "cloudy":
            # a cloud edge now and then: the output drops to a quarter within seconds
            if self._rng.random() < 0.02 * self.speed ** 0.5:
                self._cloud = 0.25 if self._cloud > 0.5 else 1.0
            sun *= self._cloud
        return int(self.site.rated_w * 0.85 * sun)

    def house_phase_w(self, t_s):
        base = [250, 180, 120]
        if self.name == "static":
            return base
        minute = int(t_s * self.speed / 60)
        if minute % 17 < 3:
            base[0] += 2000  # kettle or oven
        if minute % 31 < 10:
            base[1] += 800  # washing machine
        return base

    def step(self, t_s, dt_s):
        site = self.site
        with site.lock:
            site.pv_w = self.pv_w(t_s)
            site.house_phase_w = self.house_phase_w(t_s)
            if site.battery_soc is not None:
                surplus = site.pv_w - sum(site.house_phase_w)
                power = max(-2500, min(2500, surplus))
                if (power > 0 and site.battery_soc >= 100) or (power < 0 and site.battery_soc <= 5):
                    power = 0
                site.battery_w = power
                if self._battery_mwh is None:
                    self._battery_mwh = site.battery_soc * 100000  # a 10 kWh battery
                self._battery_mwh += int(power * dt_s * self.speed * 1000 / 3600)
                site.battery_soc = max(0, min(100, self._battery_mwh // 100000))
            site.advance(int(dt_s * self.speed * 1000))

    def start(self, interval_s=1.0):
        """Advance the site every interval_s in a thread until stop()."""
        def run():
            t0 = time.monotonic()
            last = t0
            while not self._stop.wait(interval_s):
                now = time.monotonic()
                self.step(now - t0, now - last)
                last = now

        self.step(0, 0)
        self._thread = threading.Thread(target=run, name="scenario", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
