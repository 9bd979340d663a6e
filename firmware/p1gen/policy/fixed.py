"""``fixed``: a fixed current, as long as the fuse allows it."""
from p1gen.options import Opt
from p1gen.policy import STOP, TARGET_SOC, car_full

NAME = "fixed"
OPTIONS = (
    Opt("current_a", int, 10, "the current the car may draw on each of its phases, A", lo=1, hi=80),
    TARGET_SOC,
)


def budget(now, settings):
    if car_full(now, settings):
        return STOP
    return settings.get("current_a", 10) * 1000
