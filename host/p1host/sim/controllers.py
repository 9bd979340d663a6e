"""Every controller the closed loop can run, by name: our policies (the firmware's own
Controller), the published baselines and the oracle."""
from p1gen.control import Controller
from p1gen.policy import NAMES

from p1host.sim import baselines

OURS = tuple(NAMES)
OTHERS = tuple(baselines.BASELINES) + ("oracle",)


def make(name, settings, resolution_ma=100, profile=None):
    """A controller by name: one of our policies, a baseline, the oracle or the original module (``meter``).

    With a ``profile``, our controller is not told the charge point's minimum: it learns it, as on a
    board with an untouched config."""
    if name in OURS:
        ours = dict(settings, policy=name)
        if profile is not None:
            ours.pop("min_a", None)
        return Controller(ours, resolution_ma=resolution_ma, profile=profile)
    if name == "meter":
        return baselines.RealMeter(settings)
    if name == "oracle":
        return baselines.ORACLE(settings)
    return baselines.BASELINES[name](settings)
