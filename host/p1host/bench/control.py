"""`p1gen bench control [--quick]`: our policies, the published baselines and an oracle,
in the closed loop on the fixed suite of real days (p1host.sim.suite).

Prints one table (EV energy, its solar share, grid import while charging,
charger starts, seconds over the fuse on any phase, time to follow a step,
error of the car-current estimate) and the targets, and writes a PNG of one
day. Figures are printed, never asserted. Runs in 2 processes.
"""
import multiprocessing
import os
import time

from p1host import paths
from p1host.sim import baselines, loop, suite
from p1host.sim.controllers import OTHERS, OURS, make
from p1host.sim.plot import PLOT_DAY, plot, save_figure


def _run(job):
    day, name = job
    sc = suite.step_scenario() if day == "step" else suite.scenario(day)
    r = loop.run(sc, make(name, sc.control_settings(), sc.resolution_ma()), trace_every=1 if day == "step" else 0)
    out = {"day": day, "name": name, "ev_wh": r.ev_wh, "solar_wh": r.ev_solar_wh, "import_wh": r.import_charging_wh,
           "starts": r.starts, "over_fuse_s": r.over_fuse_s, "est_rms": r.est_rms_ma, "est_n": r.est_n,
           "est_max": r.est_max_ma}
    if day == "step":
        out["follow_s"] = follow_time(r.trace, sc)
    return out


def follow_time(rows, sc, tolerance_ma=1000, hold_s=30):
    """Mean seconds after each house step until the car is within 1 A of the surplus for 30 s."""
    steps = [at for at, seconds, _p, _w in sc.house_extra] + [at + seconds for at, seconds, _p, _w in sc.house_extra]
    times = []
    for at in steps:
        ok_since = None
        found = None
        for t, pv, house, battery, car_ma, _rep, _grid in rows:
            if t < at:
                continue
            ideal = max(0, min(16000, (pv - house - 100) * 1000 // (230 * 3)))
            if abs(car_ma - ideal) <= tolerance_ma:
                if ok_since is None:
                    ok_since = t
                if t - ok_since >= hold_s:
                    found = ok_since - at
                    break
            else:
                ok_since = None
        times.append(found)
    if None in times:
        return None
    return sum(times) / len(times)


def table(results, days):
    rows = {}
    for res in results:
        agg = rows.setdefault(res["name"], {"ev_wh": 0, "solar_wh": 0, "import_wh": 0, "starts": 0,
                                            "over_fuse_s": 0, "est_sq": 0.0, "est_n": 0, "follow_s": None})
        if res["day"] == "step":
            agg["follow_s"] = res["follow_s"]
            continue
        for key in ("ev_wh", "solar_wh", "import_wh", "starts", "over_fuse_s", "est_n"):
            agg[key] += res[key]
        agg["est_sq"] += res["est_rms"] ** 2 * res["est_n"]
    return rows


def main(args):
    if getattr(args, "sweep", False):
        from p1host.bench import control_sweep

        return control_sweep.main(args)
    quick = getattr(args, "quick", False)
    days = list(suite.QUICK) if quick else suite.names()
    names = OURS + OTHERS
    jobs = [(day, name) for day in days for name in names]
    jobs += [("step", name) for name in ("solar",) + OTHERS]
    started = time.time()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = pool.map(_run, jobs, chunksize=1)
    rows = table(results, days)
    print("p1gen bench control: %d days (%s), %d controllers, %.0f s" % (
        len(days), ", ".join(days), len(names), time.time() - started))
    print("%-12s %8s %7s %10s %7s %9s %9s %8s" % ("controller", "EV kWh", "solar%", "import kWh", "starts",
                                                 "over F s", "follow s", "est A"))
    for name in names:
        a = rows[name]
        share = 100.0 * a["solar_wh"] / a["ev_wh"] if a["ev_wh"] else 0.0
        follow = "-" if a["follow_s"] is None else "%.0f" % a["follow_s"]
        est = "%.2f" % ((a["est_sq"] / a["est_n"]) ** 0.5 / 1000) if a["est_n"] else "-"
        print("%-12s %8.1f %7.1f %10.2f %7d %9d %9s %8s" % (name, a["ev_wh"] / 1000, share, a["import_wh"] / 1000,
                                                         a["starts"], a["over_fuse_s"], follow, est))
    ours = rows["solar"]
    best = max(baselines.BASELINES, key=lambda n: rows[n]["solar_wh"] / rows[n]["ev_wh"] if rows[n]["ev_wh"] else 0)
    b = rows[best]
    share = ours["solar_wh"] / ours["ev_wh"] if ours["ev_wh"] else 0
    best_share = b["solar_wh"] / b["ev_wh"] if b["ev_wh"] else 0
    oracle_share = 100.0 * ours["solar_wh"] / rows["oracle"]["solar_wh"] if rows["oracle"]["solar_wh"] else 0
    over = sum(rows[n]["over_fuse_s"] for n in OURS)
    print("targets: solar share %.1f %% vs best baseline (%s) %.1f %%: %s; starts %d vs %d/2: %s; "
          "solar energy %.1f %% of the oracle's (>= 95 %%): %s; seconds over the fuse, all our policies: %d: %s" % (
              100 * share, best, 100 * best_share, "met" if share >= best_share else "NOT met",
              ours["starts"], b["starts"], "met" if ours["starts"] * 2 <= b["starts"] else "NOT met",
              oracle_share, "met" if oracle_share >= 95 else "NOT met", over, "met" if over == 0 else "NOT met"))
    path = getattr(args, "plot", None) or os.path.join(paths.BUILD, "bench-control-%s.png" % PLOT_DAY)
    print("plot: %s" % plot(path))
    return 0
