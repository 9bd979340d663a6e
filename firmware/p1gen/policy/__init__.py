"""Policies: how much current the car may draw, given what is true now.

One small module per policy, each with ``NAME``, ``OPTIONS`` and
``budget(now, settings)``. ``now`` is the controller's normalised view of the
context (``p1gen.control.situation.Situation``: fresh values only, integers).
A budget is the current the car may draw on each of its phases, in mA, absolute
(not an increment); it may be negative (the house alone already takes more than
allowed). Two special values: ``PASS`` (None) reports the real load unchanged,
``STOP`` pauses charging at once, without the stop delay.
"""

from p1gen.options import Opt

PASS = None
STOP = -1000000  # below anything a real budget reaches

# policy name -> module name ("self" is a Python keyword's neighbour, not a module name)
_MODULES = {
    "full": "full",
    "capacity": "capacity",
    "self": "selfuse",
    "solar": "solar",
    "minsolar": "minsolar",
    "fixed": "fixed",
    "off": "off",
}
NAMES = ("full", "capacity", "self", "solar", "minsolar", "fixed", "off")

TARGET_SOC = Opt("target_soc", int, 100, "stop when the car reports this state of charge, %", lo=1, hi=100)
MARGIN_W = Opt("margin_w", int, 100,
               "export kept as a margin, W (what the car may not take of the surplus)", lo=-2000, hi=5000)
BATTERY_SOC_MIN = Opt("battery_soc_min", int, 20,
                      "home battery: below this state of charge it never feeds the car, %", lo=0, hi=100)
BATTERY_FIRST_SOC = Opt("battery_first_soc", int, 90,
                        "home battery: it takes the surplus first until this state of charge, %", lo=0, hi=100)
BATTERY_MAX_W = Opt("battery_max_w", int, 3000, "home battery: maximum discharge power, W", lo=0, hi=50000)


def __getattr__(module):
    """A policy module (``policy.solar``) is imported on first use: the registry idiom of
    micropython-async v3 primitives, the same as ``p1gen.control.Controller``."""
    if module not in _MODULES.values():
        raise AttributeError(module)
    value = __import__("p1gen.policy." + module, None, None, (module,))
    globals()[module] = value
    return value


def get(name):
    """The module of policy ``name``; ValueError for an unknown name."""
    module = _MODULES.get(name)
    if module is None:
        raise ValueError("unknown policy %s (known: %s)" % (name, ", ".join(NAMES)))
    return __getattr__(module)


def car_full(now, settings):
    """True when the car reports a state of charge at or above the target."""
    soc = now.ev_soc
    return soc is not None and soc >= settings.get("target_soc", 100)


def surplus_w(now, settings):
    """What the car may draw in W on top of nothing, from PV surplus only.

    The car's own power counts as available (it is part of the grid figure);
    a home battery discharging is not surplus; below ``battery_first_soc`` the
    battery's charging power stays the battery's, above it the car may take it.
    """
    w = now.car_w() - now.grid_w - settings.get("margin_w", 100)
    bat = now.battery_w
    if bat is not None:
        if bat < 0:
            w += bat
        elif now.battery_soc is not None and now.battery_soc >= settings.get("battery_first_soc", 90):
            w += bat
    return w
