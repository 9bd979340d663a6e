"""Control: from the context and the policy to the currents reported in the telegram.

    controller = Controller({"fuse_a": 25})
    l1, l2, l3 = controller.step(context, ticks.ms())   # mA, 0..999000
    controller.status()                                 # JSON-ready

Each step: normalise the context (``situation``), update the car-current
estimate (``estimate``), ask the policy for a budget, turn it into headroom
through the start/stop law (``law``), and pass the report through the safety
guard (``safety``), which every report passes, including the failsafe.

The controller itself lives in ``controller.py`` and is imported on first use
(``__getattr__`` below).
"""
from p1gen import policy
from p1gen.options import Opt

OPTIONS = (
    Opt("policy", str, "solar", "what the car charges on (see docs/control.md)", choices=policy.NAMES),
    Opt("fuse_a", int, 25, "fuse limit per phase as configured in the charge point (F), A", lo=6, hi=250),
    Opt("phases", int, 3, "phases of the installation", choices=(1, 3)),
    Opt("car_phases", int, 3, "phases the car charges on", choices=(1, 3)),
    Opt("car_phase", int, 1, "the phase a 1-phase car charges on", lo=1, hi=3),
    Opt("min_a", int, 0, "the charge point's minimum current, A (0: learned, starting from the telegram "
        "profile's: 8 for csp1, else 6)", lo=0, hi=32),
    Opt("max_a", int, 16, "the charge point's maximum current, A", lo=6, hi=80),
    Opt("stale_s", int, 10, "energy data older than this is stale: failsafe, s", lo=2, hi=600),
    Opt("failsafe", str, "pause",
        "report while the data is stale: pause (the fuse looks full, the charge point pauses) "
        "or hold (the car keeps what it draws, never more)", choices=("pause", "hold")),
    Opt("start_delay_s", int, 60, "the budget must reach the minimum this long before a start, s", lo=0, hi=3600),
    Opt("stop_delay_s", int, 900, "the budget must stay below the minimum this long before a stop, s",
        lo=0, hi=7200),
    Opt("start_margin_ma", int, 0, "the budget must exceed the minimum by this much to start, mA", lo=0,
        hi=10000),
    Opt("stop_grid_wh", int, 200, "grid energy the car may take to ride out a dip before it stops, Wh", lo=0,
        hi=100000),
    Opt("smoothing_s", int, 60, "time constant of the budget average that decides start and stop, s",
        lo=0, hi=3600),
    Opt("deadband_ma", int, 300, "budget errors smaller than this are left alone, mA", lo=0, hi=5000),
    Opt("gain_pct", int, 25, "share of the error offered per telegram while charging, %", lo=1, hi=100),
    Opt("settle_s", int, 0, "how long the charge point and the car take to start answering an offer, s "
        "(0: learned)", lo=0, hi=30),
)


_LAZY = {"Controller": "controller"}


def __getattr__(name):
    """``Controller`` (the class) is imported on first use (the registry idiom of micropython-async
    v3 primitives), so reading ``OPTIONS`` (the config validator does) costs the heap nothing more.
    Other names are this package's modules (MicroPython asks here before importing them)."""
    module = _LAZY.get(name)
    try:
        value = __import__("p1gen.control." + (module or name), None, None, (name,))
    except ImportError:
        raise AttributeError(name)
    if module is not None:
        value = getattr(value, name)
    globals()[name] = value
    return value
