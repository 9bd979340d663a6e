"""The app's MicroPython-compatible tests that load the whole firmware (Device, config from every
module's OPTIONS, the tasks), run under the unix port the way the board runs them: the firmware
compiled with mpy-cross (p1host.runner's flash image), the heap at the Pico W budget scaled for
the 64-bit port (docs/heap.md). pytest runs the same files on CPython (tests/runtime/mp).

They live apart from tests/mp because tests/test_micropython.py runs those from source at
150k: compiling every firmware module from .py on a 64-bit heap does not fit that, which says
nothing about the board (it loads .mpy, with 4-byte objects).
"""
import glob
import os
import subprocess

import pytest

from p1host import paths, runner

HERE = os.path.dirname(os.path.abspath(__file__))
MP_DIR = os.path.join(HERE, "mp")
RUN = os.path.join(os.path.dirname(HERE), "mp", "run.py")
MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(MP_DIR, "test_*.py")))


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("flash"))
    runner.install_image(root)
    assert not os.path.exists(os.path.join(root, "lib", "p1gen", "app", "device.py"))  # .mpy only
    return root


@pytest.mark.parametrize("module", MODULES)
def test_module_under_micropython_compiled(image, module):
    pypath = ":".join((image, ".frozen", os.path.join(image, "lib"), os.path.dirname(RUN), MP_DIR))
    proc = subprocess.run([paths.tool("micropython"), "-X", "heapsize=" + runner.PICO_W_HEAP, RUN, module],
                          env=dict(os.environ, MICROPYPATH=pypath), cwd=image, capture_output=True, text=True,
                          timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    last = out.strip().splitlines()[-1]
    assert last.endswith(" 0 failed") and not last.startswith("0 passed"), out
