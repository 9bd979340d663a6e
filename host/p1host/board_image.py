"""The files a board gets, {board path: bytes}: main.py and board.py as they are, the p1gen
package and microdot compiled with mpy-cross (through a cache), the web page as it is."""
import glob
import hashlib
import os
import re
import subprocess
import tempfile

from p1host import paths
from p1host.board_link import MICROPYTHON_DOWNLOAD
from p1host.errors import CommandError

# microdot modules that need CPython (asgi, wsgi, jinja) or only serve tests
MICRODOT_LEFT_OUT = ("asgi.py", "wsgi.py", "jinja.py", "test_client.py")


def build_image(board_name, cache_dir=None):
    """{board path: bytes} of the firmware for ``board_name``, compiled with mpy-cross
    (through a cache of compiled files, BUILD/mpy unless ``cache_dir`` is given)."""
    files = {}
    board = paths.board_file(board_name)
    for path in (paths.MAIN, board):
        if not os.path.exists(path):
            raise CommandError("%s is missing from this installation of p1gen" % path)
    files["/main.py"] = _read(paths.MAIN)
    files["/board.py"] = _read(board)
    cache = MpyCache(cache_dir)
    files.update(_compile_tree(paths.P1GEN, "/lib/p1gen", cache, ()))
    files.update(_compile_tree(paths.microdot_dir(), "/lib/microdot", cache, MICRODOT_LEFT_OUT))
    return files


def _compile_tree(src_dir, board_dir, cache, left_out):
    files = {}
    package = os.path.basename(board_dir)
    for src in sorted(glob.glob(os.path.join(src_dir, "**", "*"), recursive=True)):
        rel = os.path.relpath(src, src_dir).replace(os.sep, "/")
        if os.path.isdir(src) or "__pycache__" in rel or rel in left_out or rel.endswith((".pyi", ".pyc")):
            continue
        if rel == "py.typed":
            continue
        if not rel.endswith(".py"):
            files[board_dir + "/" + rel] = _read(src)  # data files (the web page) go as they are
            continue
        files[board_dir + "/" + rel[:-3] + ".mpy"] = cache.compile(src, package + "/" + rel)
    return files


class MpyCache:
    """mpy-cross output kept in BUILD/mpy by a hash of the source, its name and the compiler,
    so a second build (and every test that runs the compiled firmware) compiles only what changed."""

    def __init__(self, folder=None):
        self.folder = folder or os.path.join(paths.BUILD, "mpy")
        self.compiler = None

    def compile(self, src, name):
        if self.compiler is None:
            self.compiler = _run_tool(["mpy-cross", "--version"]).stdout.strip()
        source = _read(src)
        key = hashlib.sha256(b"\0".join((self.compiler.encode(), name.encode(), source))).hexdigest()
        cached = os.path.join(self.folder, key + ".mpy")
        if os.path.exists(cached):
            return _read(cached)
        os.makedirs(self.folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".mpy", dir=self.folder)
        os.close(fd)
        try:
            proc = _run_tool(["mpy-cross", "-o", tmp, "-s", name, src], check=False)
            if proc.returncode != 0:
                why = (proc.stderr or proc.stdout).strip().splitlines()
                raise CommandError("%s does not compile: %s" % (name, why[-1] if why else "?"))
            data = _read(tmp)
            os.replace(tmp, cached)  # atomic: parallel builds never see half a file
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        return data


def mpy_cross_version():
    """(major, minor) of the .mpy files this mpy-cross writes, e.g. (6, 3)."""
    out = _run_tool(["mpy-cross", "--version"]).stdout
    m = re.search(r"mpy v(\d+)\.(\d+)", out)
    if not m:
        raise CommandError("cannot tell which .mpy version mpy-cross writes: %r" % out.strip())
    return int(m.group(1)), int(m.group(2))


def check_micropython(info, needed):
    """The board (a BoardInfo) must load the .mpy files mpy-cross writes (same major, sub-version
    at least ours)."""
    have = (info.mpy & 0xFF, (info.mpy >> 8) & 3)
    if have[0] != needed[0] or have[1] < needed[1]:
        raise CommandError(
            "the board runs MicroPython %s (mpy v%d.%d), too old for the compiled firmware (mpy v%d.%d, "
            "MicroPython 1.23 or newer): flash a current MicroPython from %s"
            % (".".join(str(v) for v in info.micropython), have[0], have[1], needed[0], needed[1],
               MICROPYTHON_DOWNLOAD))


def _run_tool(argv, check=True):
    try:
        argv = [paths.tool(argv[0])] + argv[1:]
    except FileNotFoundError as e:
        raise CommandError(str(e))
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise CommandError("%s failed: %s" % (argv[0], (proc.stderr or proc.stdout).strip()))
    return proc


def _read(path):
    with open(path, "rb") as f:
        return f.read()
