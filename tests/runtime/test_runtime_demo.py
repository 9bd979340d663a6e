"""`p1gen demo`, the README's main command, as a user runs it (scripted with --duration)."""
import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
P1GEN = os.path.join(os.path.dirname(sys.executable), "p1gen")


def demo(*args, timeout=180):
    proc = subprocess.run([P1GEN, "demo", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    return proc, proc.stdout + proc.stderr


def test_demo_runs_the_whole_installation_and_reports():
    proc, out = demo("--duration", "75")
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


@pytest.mark.parametrize("source", ["solaredge", "homewizard"])
def test_demo_runs_with_the_other_sources(source):
    proc, out = demo("--source", source, "--duration", "20")
    assert proc.returncode == 0, out
    rows = [line for line in out.splitlines() if re.match(r"\s+\d+:\d\d\s", line)]
    assert len(rows) >= 15 and " ok" in rows[-1], out
    assert re.match(r"\d+ telegrams read by dsmr_parser, 0 CRC failures", out.strip().splitlines()[-1]), out
