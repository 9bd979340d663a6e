"""One day of the closed loop as a PNG: PV, house, car and reported current (matplotlib)."""
import os

from p1host.sim import loop, suite
from p1host.sim.controllers import make

PLOT_DAY = "pay-17"


def plot(path, day=PLOT_DAY, name="solar"):
    """PV, house, car current and reported current of one day, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sc = suite.scenario(day)
    r = loop.run(sc, make(name, sc.control_settings(), sc.resolution_ma()), trace_every=10)
    hours = [row[0] / 3600 for row in r.trace]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 6.5), sharex=True)
    top.plot(hours, [row[1] / 1000 for row in r.trace], label="PV kW", color="orange")
    top.plot(hours, [row[2] / 1000 for row in r.trace], label="house kW", color="grey", lw=0.8)
    top.plot(hours, [row[4] * sc.car.get("phases", 3) * 230 / 1e6 for row in r.trace], label="car kW", color="green")
    top.set_ylabel("kW")
    top.legend(loc="upper left")
    bottom.plot(hours, [row[4] / 1000 for row in r.trace], label="car current A", color="green")
    bottom.plot(hours, [row[5] / 1000 for row in r.trace], label="reported current A (car phase)", color="purple",
                lw=0.7)
    bottom.axhline(sc.fuse_a, color="red", ls="--", lw=0.8, label="fuse F")
    bottom.set_ylabel("A")
    bottom.set_xlabel("hour of day")
    bottom.legend(loc="upper left")
    fig.suptitle("p1gen %s on %s (%s, %d-phase car)" % (name, day, sc.kind, sc.car.get("phases", 3)))
    return save_figure(fig, path)


def save_figure(fig, path):
    """Write a matplotlib figure as a PNG (creating its folder) and close it; returns path."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
