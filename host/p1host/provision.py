"""`p1gen provision`: install the firmware and a config on a board over USB.

The board gets the layout the firmware expects:

    /main.py            firmware/main.py (source: the board runs main.py, not main.mpy)
    /board.py           boards/<board>/board.py
    /lib/p1gen/...      firmware/p1gen, compiled with mpy-cross (.mpy v6)
    /lib/microdot/...   the installed microdot wheel, compiled the same way
    /config.json        the user's config, validated here by the board's own validator

The talking is done by mpremote's serial transport (raw REPL); only files whose
SHA-256 differs from the board's are written, files the new firmware no longer
has are removed from /lib/p1gen and /lib/microdot, and nothing else on the
flash is touched. The previous /config.json is kept as /config.json.bak.
"""
import argparse
import ast
import glob
import hashlib
import json
import os
import re
import subprocess
import tempfile
import time

from p1host import paths
from p1host.cli import CommandError

RP2_USB_VID = 0x2E8A  # Raspberry Pi: every rp2 MicroPython board
MICROPYTHON_USB_PID = 0x0005  # MicroPython's rp2 port (a Debug Probe, 0x000C, has the same vendor)
# sys.implementation._machine of each board; "host" is the MicroPython unix port
BOARD_MACHINES = (("pico2_w", "Pico 2 W"), ("pico_w", "Pico W"))
BOARDS = ("pico_w", "pico2_w", "host")
MANAGED_DIRS = ("/lib/p1gen", "/lib/microdot")
# microdot modules that need CPython (asgi, wsgi, jinja) or only serve tests
MICRODOT_LEFT_OUT = ("asgi.py", "wsgi.py", "jinja.py", "test_client.py")
CONFIG_PATH = "/config.json"
FLASH_MARGIN = 4 * 4096  # littlefs metadata and the temporary config file
WATCHDOG_MAX_MS = 8388
MICROPYTHON_DOWNLOAD = "https://micropython.org/download/RPI_PICO_W/"

# Run on the board: one line per managed file, repr((path, size, sha256 hex or None)).
_LIST_FILES = """
import os
try:
    import hashlib, binascii
except ImportError:
    hashlib = None
def _p1_hash(p):
    if hashlib is None:
        return None
    h = hashlib.sha256()
    b = bytearray(512)
    with open(p, 'rb') as f:
        while True:
            n = f.readinto(b)
            if not n:
                break
            h.update(b[:n])
    return binascii.hexlify(h.digest()).decode()
def _p1_walk(d):
    try:
        entries = list(os.ilistdir(d))
    except OSError:
        return
    for e in entries:
        p = d + '/' + e[0]
        if e[1] & 0x4000:
            _p1_walk(p)
        else:
            print(repr((p, os.stat(p)[6], _p1_hash(p))))
for _p1_d in %r:
    _p1_walk(_p1_d)
for _p1_f in %r:
    try:
        print(repr((_p1_f, os.stat(_p1_f)[6], _p1_hash(_p1_f))))
    except OSError:
        pass
"""

# also frees the heap an interrupted app left behind (its modules stay imported)
_IDENTIFY = """
import sys, os, gc
for _p1_m in list(sys.modules):
    if _p1_m.split('.')[0] in ('p1gen', 'microdot', 'board', 'main'):
        del sys.modules[_p1_m]
gc.collect()
_p1_i = sys.implementation
print(repr((sys.platform, getattr(_p1_i, '_machine', ''), tuple(_p1_i.version[:3]),
            getattr(_p1_i, '_mpy', 0), os.statvfs('/'))))
"""

# rp2: the app we just interrupted may have armed the watchdog, which cannot be
# stopped and would reset the board mid-copy; feed it from a timer until our reset.
_KEEP_WATCHDOG_FED = """
import sys
if sys.platform == 'rp2':
    from machine import WDT, Timer
    _p1_wdt = WDT(timeout=%d)
    _p1_timer = Timer(period=1000, callback=lambda t: _p1_wdt.feed())
""" % WATCHDOG_MAX_MS

_RESET = {
    "pico_w": "import machine\nmachine.reset()",
    "pico2_w": "import machine\nmachine.reset()",
    # the unix port's soft_reset ends the process; the emulated board's launcher restarts it
    "host": "import machine\nmachine.soft_reset()",
}

# what the firmware prints on its console once its tasks run (p1gen/app/supervisor.py)
READY_LINE = re.compile(r"p1gen \S+ running on \S+")
SAFE_MODE_LINE = re.compile(r"p1gen: safe mode.*")
QUIET_S = 10  # after this long without a sign of life, the board is probed at its REPL
_NOT_RUNNING = ("the firmware is not running: the board sits at its REPL (it stopped, or did not start); "
                "`p1gen repl`, then Ctrl-D, runs it again and shows why")


def add_arguments(parser):
    parser.description = __doc__.split("\n\n", 1)[1].strip()
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--config", required=True, metavar="FILE",
                        help="the config JSON to install (see the README's configuration reference)")
    parser.add_argument("--port", default="auto",
                        help="the board's USB serial port, e.g. /dev/ttyACM0 or COM5 (default: auto, "
                             "the first Raspberry Pi USB device)")
    parser.add_argument("--board", default="auto", choices=("auto",) + BOARDS,
                        help="which board file to install (default: auto, from what the board reports; "
                             "host is the MicroPython unix port, for tests)")
    parser.add_argument("--wait", type=float, default=60, metavar="SECONDS",
                        help="how long to wait for the first telegram after the reset (0: do not wait)")
    parser.add_argument("--url", help="the status address to wait for (default: http://<wifi.hostname>.local "
                                      "with the config's web.port)")
    parser.add_argument("--dry-run", action="store_true",
                        help="check the config and the board and list what would be copied, change nothing")


def run(args):
    config_text, values = load_config(args.config)
    port = find_port(args.port)
    with open_board(port) as board:
        board.exec(_KEEP_WATCHDOG_FED)
        info = identify(board)
        board_name = choose_board(args.board, info)
        check_micropython(info, mpy_cross_version())
        files = build_image(board_name)
        files[CONFIG_PATH] = config_text
        on_board = list_board_files(board)
        plan = Plan(files, on_board)
        check_flash(plan, info)
        print(plan.summary())
        if args.dry_run:
            for path in plan.writes:
                print("  would write %s" % path)
            for path in plan.removals:
                print("  would remove %s" % path)
        else:
            apply_plan(board, plan)
            if CONFIG_PATH in plan.writes and CONFIG_PATH in on_board:
                print("the board's previous config is kept as %s.bak (with any change made in its web page "
                      "since): `mpremote fs cp :%s.bak .` fetches it" % (CONFIG_PATH, CONFIG_PATH.lstrip("/")))
        safe_mode = safe_mode_reason(board) if "/board.py" in on_board or not args.dry_run else None
        reset(board, board_name)  # also after a dry run: the interrupted app starts again
        if safe_mode:
            raise CommandError("%s, but the board is in safe mode (%s): the firmware does not start; %s" % (
                "nothing changed" if args.dry_run else "the files are on the board", safe_mode[0], safe_mode[1]))
        if args.dry_run or args.wait <= 0:
            return 0
        url = args.url or status_url(board_name, values)
        print("waiting for the firmware's first telegram%s" % (" (status: %s)" % url if url else ""), flush=True)
        print(wait_until_running(board.transport.serial, port, args.wait, url, _web_password(values)))
    print("provisioned %s on %s" % (board_name, port))
    return 0


def load_config(path):
    """Read and validate the config with the board's own validator; return the bytes to install."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise CommandError("cannot read the config %s: %s" % (path, e.strerror or e))
    try:
        values = json.loads(text)
    except ValueError as e:
        raise CommandError("the config %s is not valid JSON: %s" % (path, e))
    from p1gen.app import config as board_config

    _, errors = board_config.validate(values)
    if errors:
        raise CommandError("invalid config %s: %s" % (path, "; ".join(errors)))
    return text.encode("utf-8"), values


def status_url(board_name, values):
    """Where the board's status will answer, from its config (None: no web server or no Wi-Fi)."""
    web = values.get("web") or {}
    if web.get("enabled", True) is False:
        return None
    if board_name == "host":
        host = "127.0.0.1"  # the unix port serves on the PC itself
    elif (values.get("wifi") or {}).get("ssid"):
        host = (values["wifi"].get("hostname") or "p1gen") + ".local"
    else:
        return None
    port = web.get("port", 80)
    return "http://%s%s" % (host, "" if port == 80 else ":%d" % port)


def _web_password(values):
    return (values.get("web") or {}).get("password")


def find_port(port):
    """The serial port to use; ``auto`` picks the first Raspberry Pi USB device."""
    if port != "auto":
        if "://" not in port and not os.path.exists(port) and not port.upper().startswith("COM"):
            raise CommandError("no board found at %s: the port does not exist (plug the board in "
                           "with a data USB cable, or check the --port name)" % port)
        return port
    from serial.tools import list_ports

    found = sorted(p.device for p in list_ports.comports() if p.vid == RP2_USB_VID)
    micropython = sorted(p.device for p in list_ports.comports()
                         if p.vid == RP2_USB_VID and p.pid == MICROPYTHON_USB_PID)
    if len(micropython) > 1 or (not micropython and len(found) > 1):
        raise CommandError("several boards found (%s): give --port" % ", ".join(micropython or found))
    if micropython or found:
        return (micropython or found)[0]
    raise CommandError("no board found: no Raspberry Pi USB serial device is connected (plug the Pico W in "
                       "with a data USB cable and flash MicroPython first, or give --port)")


class _Board:
    """The raw REPL of a board, with errors turned into CommandError."""

    def __init__(self, transport, port):
        self.transport = transport
        self.port = port

    def exec(self, code, timeout=10):
        from mpremote.transport import TransportError, TransportExecError

        try:
            out, err = self.transport.exec_raw(code, timeout=timeout)
        except TransportError as e:
            raise CommandError("the board at %s stopped answering: %s" % (self.port, e))
        if err:
            raise TransportExecError(out, err.decode(errors="replace"))
        return out.decode(errors="replace")

    def write_file(self, path, data):
        self.transport.fs_writefile(path, data, chunk_size=1024)


class open_board:
    """Context manager: the board at ``port`` in raw REPL (a running app is interrupted)."""

    def __init__(self, port):
        self.port = port
        self.transport = None

    def __enter__(self):
        from mpremote.transport import TransportError
        from mpremote.transport_serial import SerialTransport

        try:
            # a read timeout, or mpremote waits forever on a pty where nothing answers
            self.transport = SerialTransport(self.port, baudrate=115200, timeout=1)
        except TransportError as e:
            raise CommandError("cannot open %s: %s (is another program such as Thonny or `p1gen repl` "
                               "using it?)" % (self.port, e))
        try:
            self.transport.enter_raw_repl(soft_reset=False, timeout_overall=10)
        except TransportError:
            self.transport.close()
            raise CommandError("the device at %s does not answer like MicroPython: flash MicroPython "
                               "first (%s)" % (self.port, MICROPYTHON_DOWNLOAD))
        return _Board(self.transport, self.port)

    def __exit__(self, *exc):
        import serial

        try:
            if self.transport.in_raw_repl:
                self.transport.exit_raw_repl()
            self.transport.close()
        except (OSError, serial.SerialException):
            pass  # a board that reset has already left
        return False


def identify(board):
    """(platform, machine, version tuple, mpy word, statvfs) as the board reports them."""
    try:
        return ast.literal_eval(board.exec(_IDENTIFY).strip())
    except Exception as e:
        raise CommandError("the board did not say what it is: %s" % str(e).strip().splitlines()[-1])


def choose_board(wanted, info):
    platform, machine = info[0], info[1]
    if platform == "rp2":
        found = next((name for name, text in BOARD_MACHINES if text in machine), None)
    elif platform == "linux":
        found = "host"
    else:
        found = None
    if found is None:
        raise CommandError("this is not a Pico W: the board reports %r (%s); p1gen runs on pico_w, "
                           "pico2_w" % (machine, platform))
    if wanted not in ("auto", found):
        raise CommandError("--board %s, but the board reports %r: use --board %s" % (wanted, machine, found))
    return found


def mpy_cross_version():
    """(major, minor) of the .mpy files this mpy-cross writes, e.g. (6, 3)."""
    out = _run_tool(["mpy-cross", "--version"]).stdout
    m = re.search(r"mpy v(\d+)\.(\d+)", out)
    if not m:
        raise CommandError("cannot tell which .mpy version mpy-cross writes: %r" % out.strip())
    return int(m.group(1)), int(m.group(2))


def check_micropython(info, needed):
    """The board must load the .mpy files mpy-cross writes (same major, sub-version at least ours)."""
    version, mpy = info[2], info[3]
    have = (mpy & 0xFF, (mpy >> 8) & 3)
    if have[0] != needed[0] or have[1] < needed[1]:
        raise CommandError(
            "the board runs MicroPython %s (mpy v%d.%d), too old for the compiled firmware (mpy v%d.%d, "
            "MicroPython 1.23 or newer): flash a current MicroPython from %s"
            % (".".join(str(v) for v in version), have[0], have[1], needed[0], needed[1], MICROPYTHON_DOWNLOAD))


def build_image(board_name, cache_dir=None):
    """{board path: bytes} of the firmware for ``board_name``, compiled with mpy-cross
    (through a cache of compiled files, build/mpy unless ``cache_dir`` is given)."""
    files = {}
    main = os.path.join(paths.FIRMWARE, "main.py")
    board = os.path.join(paths.BOARDS, board_name, "board.py")
    for path in (main, board):
        if not os.path.exists(path):
            raise CommandError("%s is missing from this checkout" % os.path.relpath(path, paths.ROOT))
    files["/main.py"] = _read(main)
    files["/board.py"] = _read(board)
    cache = _MpyCache(cache_dir)
    files.update(_compile_tree(os.path.join(paths.FIRMWARE, "p1gen"), "/lib/p1gen", cache, ()))
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


class _MpyCache:
    """mpy-cross output kept in build/mpy by a hash of the source, its name and the compiler,
    so a second build (and every test that runs the compiled firmware) compiles only what changed."""

    def __init__(self, folder=None):
        self.folder = folder or os.path.join(paths.ROOT, "build", "mpy")
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
                raise CommandError("%s does not compile: %s" % (os.path.relpath(src, paths.ROOT),
                                                                why[-1] if why else "?"))
            data = _read(tmp)
            os.replace(tmp, cached)  # atomic: parallel builds never see half a file
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        return data


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


def list_board_files(board):
    """{path: (size, sha256 hex or None)} of the managed files on the board."""
    code = _LIST_FILES % (MANAGED_DIRS, ("/main.py", "/board.py", CONFIG_PATH))
    found = {}
    for line in board.exec(code, timeout=60).splitlines():
        if line.strip():
            path, size, digest = ast.literal_eval(line.strip())
            found[path] = (size, digest)
    return found


class Plan:
    """What to write and what to remove so the board holds exactly ``files``."""

    def __init__(self, files, on_board):
        self.files = files
        self.on_board = on_board
        self.writes = [p for p in sorted(files) if on_board.get(p, (None, None))[1] != _sha256(files[p])]
        self.removals = sorted(p for p in on_board if p not in files and p.startswith(MANAGED_DIRS))
        self.unchanged = len(files) - len(self.writes)

    def summary(self):
        size = sum(len(self.files[p]) for p in self.writes)
        return "%d file%s to write (%d KB), %d unchanged, %d to remove" % (
            len(self.writes), "" if len(self.writes) == 1 else "s", (size + 1023) // 1024, self.unchanged,
            len(self.removals))

    def extra_bytes(self, block):
        """Flash the plan needs beyond what it frees, in whole blocks."""
        def blocks(n):
            return (n + block - 1) // block * block

        grow = sum(blocks(len(self.files[p])) - blocks(self.on_board.get(p, (0, None))[0]) for p in self.writes)
        return grow - sum(blocks(self.on_board[p][0]) for p in self.removals) + FLASH_MARGIN


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def check_flash(plan, info):
    block, _, _, free_blocks = info[4][:4]
    need, free = plan.extra_bytes(block), block * free_blocks
    if need > free:
        raise CommandError("not enough flash: the firmware needs %d KB more, the board has %d KB free (remove "
                           "your own files with `mpremote fs rm`, or erase the flash: see README, Install and "
                           "flash)" % ((need + 1023) // 1024, free // 1024))


def apply_plan(board, plan):
    from mpremote.transport import TransportExecError

    made = set()
    for path in plan.removals:
        board.exec("import os\nos.remove(%r)" % path)
    for path in plan.writes:
        parts = path.split("/")[:-1]
        for i in range(2, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in made:
                board.exec("import os\ntry:\n os.mkdir(%r)\nexcept OSError:\n pass" % d)
                made.add(d)
        try:
            if path == CONFIG_PATH:
                _write_config(board, plan.files[path])
            else:
                board.write_file(path, plan.files[path])
        except (TransportExecError, OSError) as e:
            why = str(e).strip().splitlines()
            raise CommandError("writing %s failed: %s" % (path, why[-1] if why else e))
        print("  wrote %s" % path)


def _write_config(board, data):
    """Temp file + rename, so a power cut leaves the old or the new config, never half of one."""
    tmp = CONFIG_PATH + ".new"
    board.write_file(tmp, data)
    board.exec("import os\ntry:\n os.remove(%r)\nexcept OSError:\n pass\ntry:\n os.rename(%r, %r)\n"
               "except OSError:\n pass\nos.rename(%r, %r)" % (CONFIG_PATH + ".bak", CONFIG_PATH,
                                                           CONFIG_PATH + ".bak", tmp, CONFIG_PATH))


_SAFE_MODE = """
import os
try:
    os.stat('/safemode')
    print('file')
except OSError:
    import board
    print('pin' if board.safe_mode_requested() else '')
"""


def safe_mode_reason(board):
    """(why, what to do) when firmware/main.py will skip the app at the next boot, else None."""
    from mpremote.transport import TransportExecError

    try:
        answer = board.exec(_SAFE_MODE).strip()
    except TransportExecError:
        return None  # an old board.py without safe mode: main.py will say so itself
    if answer == "file":
        return "the file /safemode exists", "remove it with `mpremote fs rm :safemode` and reset the board"
    if answer == "pin":
        return "the safe-mode pin is held", "remove the jumper from GP15 and reset the board"
    return None


def reset(board, board_name):
    """Reset the board without waiting for an answer (it will not give one)."""
    board.transport.exec_raw_no_follow(_RESET[board_name])
    board.transport.in_raw_repl = False


def wait_until_running(conn, port, timeout, url=None, password=None):
    """Watch the console (still open from before the reset) and the status API until the
    firmware has sent a telegram; return one line saying so, or raise CommandError."""
    console = _Console(conn, port)
    try:
        return _wait(console, timeout, url, password)
    finally:
        console.close()


def _wait(console, timeout, url, password):
    from p1host import status

    start = time.monotonic()
    deadline = start + timeout
    running = None
    probed = False
    next_poll = time.monotonic() + 1
    last_http_error = None
    while time.monotonic() < deadline:
        for line in console.lines():
            safe = SAFE_MODE_LINE.search(line)
            if safe:
                raise CommandError("the board started in safe mode, the firmware does not run: %s" % safe.group())
            ready = READY_LINE.search(line)
            if ready:
                running = ready.group()
        if console.failure:
            raise CommandError("the firmware stopped: %s (see `p1gen repl`)" % console.failure)
        if url is None and running:
            return "the board is up: %s" % running
        if not probed and not running and time.monotonic() - start > QUIET_S:
            probed = True  # its first words may have gone out before the port came back
            if console.at_repl():
                raise CommandError(_NOT_RUNNING)
            if url is None:
                return ("the board runs its firmware (no error on its console, not at its REPL); with no "
                        "network to ask, watch its P1 line with `p1gen monitor`")
        if url is None:
            continue
        if time.monotonic() >= next_poll:
            next_poll = time.monotonic() + 1
            try:
                state = status.fetch_status(url, 2, password)
            except CommandError as e:
                last_http_error = str(e)
                continue
            telegrams = state.get("telegram") or {}
            if telegrams.get("count"):
                errors = state.get("config_errors") or []
                return "the board is up: %d telegrams sent, %s profile, policy %s, config %s; status at %s" % (
                    telegrams["count"], telegrams.get("profile", "?"), (state.get("policy") or {}).get("running", "?"),
                    "ok" if not errors else "ERRORS: " + "; ".join(errors), url)
    if running and url:
        return ("the board is up (%s), but its status at %s does not answer: %s (see docs/troubleshooting.md, "
                "Wi-Fi)" % (running, url, last_http_error))
    if console.at_repl():
        raise CommandError(_NOT_RUNNING)
    said = " / ".join(console.last) if console.last else "nothing"
    raise CommandError("could not confirm within %g s that the firmware runs: %s; its console said: %s (it is not "
                       "at its REPL, so it may run unheard: see docs/troubleshooting.md)" % (
                           timeout, "no status at %s (%s)" % (url, last_http_error) if url else "no Wi-Fi to ask",
                           said))


class _Console:
    """The board's USB console, reopened when a real board comes back from its reset."""

    def __init__(self, conn, port):
        self.conn = conn
        self.port = port
        self.buffer = b""
        self.last = []
        self.failure = None
        self._traceback = False

    def lines(self):
        import serial

        if self.conn is None:
            try:
                self.conn = serial.Serial(self.port, 115200, timeout=0.2)
            except (OSError, serial.SerialException):
                time.sleep(0.2)
                return []
        try:
            self.conn.timeout = 0.2
            self.buffer += self.conn.read(512)
        except (OSError, serial.SerialException):
            self.close()
            return []
        out = []
        while b"\n" in self.buffer:
            raw, self.buffer = self.buffer.split(b"\n", 1)
            line = raw.decode(errors="replace").strip()
            if not line:
                continue
            out.append(line)
            self.last = (self.last + [line])[-3:]
            if "Traceback (most recent call last)" in line or "p1gen: stopped:" in line:
                self._traceback = True
            elif self._traceback and not line.startswith("File "):
                self.failure = line
                self._traceback = False
        return out

    def at_repl(self):
        """True when the board answers a line feed with the REPL prompt (a running app ignores it)."""
        import serial

        if self.conn is None:
            self.lines()
        if self.conn is None:
            return False
        try:
            self.buffer = b""
            self.conn.write(b"\r\n")
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                self.buffer += self.conn.read(64)
                if b">>> " in self.buffer:
                    return True
        except (OSError, serial.SerialException):
            pass
        return False

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
        self.conn = None
