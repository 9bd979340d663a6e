"""Drift-free deadlines for a task that must act every period, on the tick.

Deadlines are fixed points ``start + n * period`` computed with p1gen.ticks, so
a late wake-up never shifts the ones after it, and the arithmetic holds across
the board's ticks wrap. After a stall longer than a period the missed deadlines
are skipped (counted), never sent in a burst.
"""
from p1gen import ticks


class Pacer:
    def __init__(self, period_ms, now_ms, first_ms=None):
        self.period_ms = period_ms
        self.due = now_ms if first_ms is None else ticks.add(now_ms, first_ms)
        self.skipped = 0

    def wait_ms(self, now_ms, lead_ms=0):
        """How long to sleep from now_ms until lead_ms before the deadline (0 when past)."""
        left = ticks.diff(self.due, now_ms) - lead_ms
        return left if left > 0 else 0

    def late_ms(self, now_ms):
        return ticks.diff(now_ms, self.due)

    def advance(self, now_ms):
        """Move to the next deadline after now_ms; return how many were missed."""
        late = ticks.diff(now_ms, self.due)
        missed = late // self.period_ms if late >= 0 else 0
        self.due = ticks.add(self.due, (missed + 1) * self.period_ms)
        self.skipped += missed
        return missed


def backoff_ms(failures, first_ms, max_ms):
    """Exponential back-off: first_ms after one failure, doubling, at most max_ms."""
    delay = first_ms
    for _ in range(failures - 1):
        delay *= 2
        if delay >= max_ms:
            return max_ms
    return delay
