import subprocess
import sys


def test_bench_telegram_prints_figures_for_every_profile():
    proc = subprocess.run([sys.executable, "-m", "p1host", "bench", "telegram", "--quick"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line.split() for line in proc.stdout.splitlines()[2:5]}
    assert sorted(rows) == ["csp1", "dsmr5", "emucs"]
    for cells in rows.values():
        assert int(cells[1]) < 1024 and int(cells[6]) > 0  # telegram bytes, heap per telegram
