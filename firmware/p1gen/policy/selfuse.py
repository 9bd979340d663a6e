"""``self``: maximise self-consumption: the car takes PV surplus and what the home battery
can give, and never grid import.

Above ``battery_soc_min`` the battery may discharge into the car up to ``battery_max_w``
(and its charging power goes to the car instead); below it the battery is left alone.
"""
from p1gen.policy import BATTERY_MAX_W, BATTERY_SOC_MIN, MARGIN_W, STOP, TARGET_SOC, car_full

NAME = "self"
OPTIONS = (MARGIN_W, BATTERY_SOC_MIN, BATTERY_MAX_W, TARGET_SOC)


def budget(now, settings):
    if car_full(now, settings):
        return STOP
    w = now.car_w() - now.grid_w - settings.get("margin_w", 100)
    bat = now.battery_w
    if bat is not None:
        soc = now.battery_soc
        if soc is not None and soc > settings.get("battery_soc_min", 20):
            w += bat + settings.get("battery_max_w", 3000)
        elif bat < 0:
            w += bat
    return now.w_to_car_ma(w)
