"""A house's own load per phase, seeded: a base load, a fridge cycling, and appliances
switching on and off in steps (kettle, washing machine, oven, dryer, dishwasher, heat pump)."""
import random

# name, W, minutes on, how many times a day (on average), phase (None: random)
APPLIANCES = (
    ("kettle", 2000, 3, 4, None),
    ("washing machine", 2100, 20, 0.7, None),
    ("dishwasher", 1900, 25, 0.7, None),
    ("oven", 2800, 40, 0.4, 0),
    ("dryer", 2400, 45, 0.4, None),
    ("heat pump", 1500, 30, 2, 1),
    ("microwave", 1100, 4, 2, None),
)


class House:
    def __init__(self, seed, phases=3, base_w=250, start_s=6 * 3600, end_s=22 * 3600, extra=(), appliances=True):
        """A seeded day of load; ``extra`` adds (start_s, seconds, phase, W) steps (a test's own step)."""
        rng = random.Random(seed)
        self.phases = phases
        self.base_w = base_w
        events = list(extra)
        span = end_s - start_s
        for _name, watts, minutes, per_day, phase in (APPLIANCES if appliances else ()):
            count = int(per_day) + (1 if rng.random() < per_day - int(per_day) else 0)
            for _ in range(count):
                at = start_s + rng.randrange(max(1, span - minutes * 60))
                p = phase if phase is not None else rng.randrange(3)
                events.append((at, minutes * 60, p if p < phases else 0, watts))
        self.events = sorted(events)
        # per-second steps: (time, phase, delta W), consumed in order by phase_w()
        steps = []
        for at, seconds, phase, watts in self.events:
            steps.append((at, phase, watts))
            steps.append((at + seconds, phase, -watts))
        steps.sort()
        self._steps = steps
        self._next = 0
        self._now = [0, 0, 0]
        self._t = None

    def phase_w(self, t):
        """Load per phase (W) at second ``t``; call with increasing t."""
        if self._t is not None and t < self._t:
            self._next = 0
            self._now = [0, 0, 0]
        self._t = t
        steps = self._steps
        while self._next < len(steps) and steps[self._next][0] <= t:
            _, phase, delta = steps[self._next]
            self._now[phase] += delta
            self._next += 1
        fridge = 90 if (t // 600) % 3 == 0 else 0
        base = self.base_w // self.phases
        out = [0, 0, 0]
        for i in range(self.phases):
            out[i] = base + self._now[i]
        out[0] += fridge
        return out
