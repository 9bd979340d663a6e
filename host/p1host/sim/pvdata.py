"""Real 1-minute PV production, per second, scaled to a chosen installation.

Two measured sources, both shipped inside published wheels:

- BSRN Payerne (CH), June 2016: 1-minute global horizontal irradiance from the
  pvlib 0.11.1 wheel (``pvlib/data/bsrn-pay0616.dat.gz``, read with
  ``pvlib.iotools.read_bsrn``); PV power = GHI x kWp x performance ratio.
- SERF east, Golden (CO), 18-19 March 2022: measured AC power of a real array
  from the pvanalytics 0.2.2 wheel (``pvanalytics/data/serf_east_1min_ac_power.csv``);
  the wheel is fetched once with ``pip download --no-deps`` into build/cache (the
  package itself is not installed: only its data file is used), scaled so its
  peak equals the chosen kWp x performance ratio.

Both are interpolated linearly to 1 s and capped at the inverter's rated power.
Per-day arrays are cached under build/cache.
"""
import glob
import io
import os
import subprocess
import sys
import zipfile

import numpy as np

from p1host import paths

CACHE = os.path.join(paths.BUILD, "cache")
PERFORMANCE_RATIO = 0.85
SERF_WHEEL = "pvanalytics==0.2.2"
SERF_MEMBER = "pvanalytics/data/serf_east_1min_ac_power.csv"
DAY_S = 86400


def _bsrn_minutes():
    """GHI in W/m2 for every minute of June 2016 (UTC), 43200 values."""
    cached = os.path.join(CACHE, "bsrn-pay0616-ghi.npy")
    if os.path.exists(cached):
        return np.load(cached)
    import pvlib
    from pvlib.iotools import read_bsrn

    src = os.path.join(os.path.dirname(pvlib.__file__), "data", "bsrn-pay0616.dat.gz")
    data, _meta = read_bsrn(src)
    ghi = data["ghi"].reindex(
        __import__("pandas").date_range("2016-06-01", periods=43200, freq="1min", tz="UTC"))
    ghi = ghi.interpolate(limit_direction="both").clip(lower=0).to_numpy(dtype=float)
    os.makedirs(CACHE, exist_ok=True)
    np.save(cached, ghi)
    return ghi


def serf_wheel():
    """The pvanalytics wheel in build/cache, downloaded once with pip (no install)."""
    found = glob.glob(os.path.join(CACHE, "pvanalytics-0.2.2-*.whl"))
    if found:
        return found[0]
    os.makedirs(CACHE, exist_ok=True)
    proc = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", CACHE,
                           SERF_WHEEL], capture_output=True, text=True, timeout=300)
    found = glob.glob(os.path.join(CACHE, "pvanalytics-0.2.2-*.whl"))
    if proc.returncode != 0 or not found:
        raise RuntimeError("could not fetch %s for the SERF PV data: %s" % (SERF_WHEEL, proc.stderr.strip()[-300:]))
    return found[0]


def _serf_minutes():
    """Measured AC power in W for every local minute of 18 and 19 March 2022, 2880 values."""
    cached = os.path.join(CACHE, "serf-east-1min.npy")
    if os.path.exists(cached):
        return np.load(cached)
    import pandas as pd

    with zipfile.ZipFile(serf_wheel()) as wheel:
        frame = pd.read_csv(io.BytesIO(wheel.read(SERF_MEMBER)))
    stamps = pd.to_datetime(frame["measured_on"].str.slice(0, 19))
    power = pd.Series(frame.iloc[:, 1].to_numpy(dtype=float), index=stamps)
    power = power[~power.index.duplicated()]
    power = power.reindex(pd.date_range("2022-03-18", periods=2880, freq="1min"))
    out = power.interpolate(limit_direction="both").clip(lower=0).to_numpy(dtype=float)
    os.makedirs(CACHE, exist_ok=True)
    np.save(cached, out)
    return out


def _per_second(minutes_w, rated_w):
    t = np.arange(DAY_S) / 60.0
    w = np.interp(t, np.arange(len(minutes_w)), minutes_w)
    return np.minimum(w, rated_w).astype(int).tolist()


def bsrn_day(day, kwp, rated_w):
    """PV W for each second (86400) of June ``day`` 2016 at Payerne, UTC."""
    if not 1 <= day <= 30:
        raise ValueError("BSRN Payerne has June 2016: day 1..30, got %r" % day)
    ghi = _bsrn_minutes()[(day - 1) * 1440: day * 1440]
    return _per_second(ghi * kwp * PERFORMANCE_RATIO, rated_w)


def serf_day(day, kwp, rated_w):
    """PV W for each second (86400) of SERF east's day 1 (18 March 2022) or 2, local time."""
    if day not in (1, 2):
        raise ValueError("SERF east has two days: 1 or 2, got %r" % day)
    minutes = _serf_minutes()
    peak = minutes.max()
    scaled = minutes[(day - 1) * 1440: day * 1440] / peak * kwp * 1000 * PERFORMANCE_RATIO
    return _per_second(scaled, rated_w)


def daily_stats(series):
    """(energy kWh, variability: mean absolute minute-to-minute change / mean power while producing)."""
    arr = np.asarray(series[::60], dtype=float)
    energy = float(np.sum(series)) / 3600 / 1000
    day = arr[arr > 50]
    if len(day) < 2:
        return energy, 0.0
    return energy, float(np.mean(np.abs(np.diff(day))) / np.mean(day))
