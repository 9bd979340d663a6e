"""``minsolar``: the charger's minimum current always, PV surplus on top.

The floor is the budget the controller needs to start (the minimum plus its start margin).

Once the car reports ``target_soc`` the minimum is dropped and only surplus charges.
"""
from p1gen.policy import BATTERY_FIRST_SOC, MARGIN_W, TARGET_SOC, car_full, surplus_w

NAME = "minsolar"
OPTIONS = (MARGIN_W, BATTERY_FIRST_SOC, TARGET_SOC)


def budget(now, settings):
    surplus = now.w_to_car_ma(surplus_w(now, settings))
    if car_full(now, settings):
        return surplus
    return max(now.start_ma, surplus)
