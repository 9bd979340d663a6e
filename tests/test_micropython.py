"""Every MicroPython-compatible test module in tests/mp, run under the real unix port."""
import glob
import os
import subprocess

import pytest

from p1host import paths

MP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mp")
MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(MP_DIR, "test_*.py")))

# Each core module is proven here compiled from source (the compiler needs heap too) at under
# two thirds of the Pico W's equivalent on the 64-bit unix port (runner.PICO_W_HEAP, 314k: the
# board's 200 KB free before the app times 1.52). The whole firmware, compiled as on the board,
# runs at 314k in tests/runtime (docs/heap.md).
HEAPSIZE = "200k"


@pytest.mark.parametrize("module", MODULES)
def test_module_under_micropython(module):
    env = dict(os.environ, MICROPYPATH=paths.micropython_path("host", MP_DIR))
    proc = subprocess.run(
        [paths.tool("micropython"), "-X", "heapsize=" + HEAPSIZE, os.path.join(MP_DIR, "run.py"), module],
        env=env, capture_output=True, text=True, timeout=600,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    last = out.strip().splitlines()[-1]
    assert last.endswith(" 0 failed") and not last.startswith("0 passed"), out
