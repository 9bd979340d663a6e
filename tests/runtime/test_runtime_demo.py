"""`p1gen demo`, the README's main command, as a user runs it (scripted with --duration)."""
import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_demo_runs_the_whole_installation_and_reports():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p1gen = os.path.join(os.path.dirname(sys.executable), "p1gen")
    proc = subprocess.run([p1gen, "demo", "--duration", "75"],
                          cwd=root, capture_output=True, text=True, timeout=180)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert re.search(r"status page: http://127\.0\.0\.1:\d+/", out), out
    rows = [line for line in out.splitlines() if re.match(r"\s+\d+:\d\d\s", line)]
    assert len(rows) >= 70, out
    assert "PV W" in out and "reported A L1-3" in out and "car A" in out
    final = out.strip().splitlines()[-1]
    m = re.match(r"(\d+) telegrams read by dsmr_parser, 0 CRC failures; car charged (\d+) Wh", final)
    assert m and int(m.group(1)) >= 70, final
    # the source is healthy and the car charges on the sun within the run
    assert " ok" in rows[-1], rows[-1]
    assert int(m.group(2)) > 0, final
