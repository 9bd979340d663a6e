"""``capacity``: charge as fast as the grid import stays under a limit (Belgian capacity tariff).

The limit applies to the instantaneous total import, so the 15-minute average
demand (1-0:1.4.0) stays under it too.
"""
from p1gen.options import Opt
from p1gen.policy import STOP, TARGET_SOC, car_full

NAME = "capacity"
OPTIONS = (
    Opt("limit_w", int, 2500, "the grid import the house and the car may reach together, W", lo=500, hi=100000),
    TARGET_SOC,
)


def budget(now, settings):
    if car_full(now, settings):
        return STOP
    return now.w_to_car_ma(now.car_w() + settings.get("limit_w", 2500) - now.grid_w)
