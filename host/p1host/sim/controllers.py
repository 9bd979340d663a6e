"""Every controller the closed loop can run, by name: our policies (the firmware's own
Controller), the published baselines and the oracle."""
from p1gen.control import Controller
from p1gen.policy import NAMES

from p1host.sim import baselines

OURS = tuple(NAMES)
OTHERS = tuple(baselines.BASELINES) + ("oracle",)


def make(name, settings, resolution_ma=100):
    """A controller by name: one of our policies, a baseline, or the oracle."""
    if name in OURS:
        return Controller(dict(settings, policy=name), resolution_ma=resolution_ma)
    if name == "oracle":
        return baselines.ORACLE(settings)
    return baselines.BASELINES[name](settings)
