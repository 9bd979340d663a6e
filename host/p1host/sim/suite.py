"""The fixed, documented set of days the control benchmark and `p1gen simulate` run.

Twelve real days: BSRN Payerne June 2016 (1-minute GHI) and SERF east March 2022
(measured 1-minute AC power), chosen by their energy and minute-to-minute
variability to cover clear, broken-cloud and overcast skies. Each day varies the
installation (1- or 3-phase car, with or without a home battery) and the charge
point (reaction delay 0..5 s, reacting to every telegram or every 2..5 s,
reading currents or powers, integer or decimal amps, minimum 6 or 8 A, pairing
the telegram with the car current when it reads it or, harsher, when it
applies it); two days lose the energy data for 5 minutes at noon (stale data).
"""
from p1host.sim import pvdata
from p1host.sim.loop import Scenario

NOON = 12 * 3600
# name, source, day, sky, car phases, home battery, charger settings, stale data at noon
DAYS = (
    ("pay-23", "bsrn", 23, "clear", 3, False, {"reaction_s": 2, "pairs": "apply"}, False),
    ("pay-27", "bsrn", 27, "clear", 1, True, {"reaction_s": 0, "profile": "dsmr5"}, False),
    ("pay-10", "bsrn", 10, "clear", 3, True, {"reaction_s": 5, "every_s": 5, "pairs": "apply"}, False),
    ("pay-15", "bsrn", 15, "broken", 3, False, {"reaction_s": 3, "reads": "power", "pairs": "apply"}, True),
    ("pay-17", "bsrn", 17, "broken", 1, False, {"reaction_s": 1, "every_s": 3}, False),
    ("pay-26", "bsrn", 26, "broken", 3, True, {"reaction_s": 4, "min_a": 8, "pairs": "apply"}, False),
    ("pay-30", "bsrn", 30, "broken", 1, True, {"reaction_s": 2, "every_s": 2, "profile": "emucs"}, False),
    ("pay-06", "bsrn", 6, "mixed", 3, False, {"reaction_s": 5, "min_a": 8, "integer_amps": True, "pairs": "apply"}, True),
    ("pay-02", "bsrn", 2, "overcast", 1, False, {"reaction_s": 2}, False),
    ("pay-16", "bsrn", 16, "overcast", 3, True, {"reaction_s": 3}, False),
    ("serf-1", "serf", 1, "cloud dips", 3, False, {"reaction_s": 2, "every_s": 5}, False),
    ("serf-2", "serf", 2, "cloud dips", 1, False, {"reaction_s": 4, "reads": "power", "pairs": "apply"}, False),
)
QUICK = ("pay-23", "pay-17")


def names():
    return [d[0] for d in DAYS]


def scenario(name):
    """The Scenario of day ``name`` (one of ``names()``)."""
    for day_name, source, day, sky, car_phases, battery, charger, stale in DAYS:
        if day_name == name:
            break
    else:
        raise ValueError("unknown day %r (known: %s)" % (name, ", ".join(names())))
    kwp = 8 if car_phases == 3 else 5
    pv = (pvdata.bsrn_day if source == "bsrn" else pvdata.serf_day)(day, kwp, kwp * 1000)
    car = {"max_a": 16, "phases": car_phases, "capacity_wh": 60000 if car_phases == 3 else 40000, "soc": 45,
           "self_limits": ((13 * 3600, 13 * 3600 + 2700, 10000),) if day % 2 else ()}
    return Scenario(name, pv, phases=3, fuse_a=25, house_seed=day, kind=sky, car=car, charger=dict(charger),
                    battery={"capacity_wh": 10000, "max_w": 3000, "soc": 30} if battery else None,
                    stale=((NOON, NOON + 300),) if stale else ())


def step_scenario(charger=None):
    """Constant sun (7 kW) and a 2 kW step of the house load at 20 min, off at 30 min."""
    pv = [7000] * pvdata.DAY_S
    start = 10 * 3600
    return Scenario("step", pv, start_s=start, end_s=start + 2700, phases=3, fuse_a=25, house_seed=0,
                    house_extra=((start + 1200, 600, 0, 2000),), base_w=300, kind="step", appliances=False,
                    car={"max_a": 16, "phases": 3, "soc": 30}, charger=charger or {"reaction_s": 2})
