"""``solar``: charge from PV surplus only: the surplus the home battery does not take,
starting only when PV produces at least ``start_pv_w``."""
from p1gen.options import Opt
from p1gen.policy import BATTERY_FIRST_SOC, MARGIN_W, STOP, TARGET_SOC, car_full, surplus_w

NAME = "solar"
OPTIONS = (
    MARGIN_W,
    Opt("start_pv_w", int, 0, "start charging only when PV produces at least this, W (0: any)", lo=0, hi=100000),
    BATTERY_FIRST_SOC,
    TARGET_SOC,
)


def budget(now, settings):
    if car_full(now, settings):
        return STOP
    if not now.charging:
        start_pv = settings.get("start_pv_w", 0)
        if start_pv and (now.pv_w is None or now.pv_w < start_pv):
            return 0
    return now.w_to_car_ma(surplus_w(now, settings))
