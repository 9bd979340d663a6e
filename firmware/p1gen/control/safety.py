"""The safety invariant and the stale-data failsafe: every report passes through ``guard``.

On every phase, whenever a fresh real grid measurement exists, the reported
current is at least the real import current, so the charge point can only be
made to charge less than with the original meter, never more. Without a fresh
measurement the report is the failsafe. Every output is an int in 0..999 A.
"""
from p1gen.reading import MAX_MA


def _bounded(ma):
    if ma < 0:
        return 0
    if ma > MAX_MA:
        return MAX_MA
    return ma


def guard(wanted, grid_ma, failsafe_ma):
    """The currents to report, (l1, l2, l3) in mA.

    wanted: what the control law asks for per phase (entries that are not ints
    count as "report the real load"); grid_ma: the fresh real grid current per
    phase (signed, import > 0) or None when there is none; failsafe_ma: the
    report for stale data, one value for every phase.
    """
    if grid_ma is None:
        safe = _bounded(failsafe_ma)
        return (safe, safe, safe)
    out = []
    for i in range(3):
        real = grid_ma[i]
        want = wanted[i] if wanted is not None and type(wanted[i]) is int else real
        out.append(_bounded(want if want > real else real))
    return (out[0], out[1], out[2])
