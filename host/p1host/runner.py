"""Run the unmodified firmware under the MicroPython unix port, as the board would.

    with runner.start({"source": {...}, "control": {"policy": "solar"}}) as fw:
        with fw.reader() as p1:               # dsmr_parser reading the P1 line
            first = p1.wait(1, timeout=5)[0]
        fw.http_port                          # the web API on 127.0.0.1, when the firmware has one

The firmware runs in a state directory laid out as the board's flash
(/main.py, /board.py from ``boards/host``, /lib/p1gen and /lib/microdot compiled
with mpy-cross by the same code ``p1gen provision`` uses, /config.json written
from a dict, or given as raw text to test bad files); ``compiled=False`` runs the
source tree instead (MICROPYPATH from p1host.paths).
Its UART is a pty: the firmware writes the master side (``.pty``, an inherited
non-blocking fd), readers open the slave side at ``.uart_path`` (pyserial,
serialx, dsmr_parser's SerialReader) or use ``reader()``. Data Request is a
file the test flips with ``set_data_request``. Its output goes to ``.log_path``.

A reset the firmware asks for (the host board's RESET_EXIT) starts it again on the same pty
and state dir, as a board would reboot (``.resets`` counts them). With ``models=True``, the
host board's test models (boards/host/hostmodels.py): ``inject(task, how)`` for fault
injection, ``line_log()`` for the line time and the flash erases.
"""
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import termios
import threading
import time
import tty

from p1host import paths

# the Pico W's heap on the 64-bit unix port: the 200 KB a board has free before the app, times the
# 1.52 the same imports cost more here, plus what the unix port holds by then; `p1gen bench runtime`
# prints the derivation (p1host.bench.heapfrag, docs/heap.md)
PICO_W_HEAP = "314k"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Firmware:
    def __init__(self, config=None, heapsize=PICO_W_HEAP, http_port=None, state_dir=None, env=None,
                 data_request=True, compiled=True, models=False, pass_fds=()):
        """config: a dict, text/bytes (written as is, to test broken files), or None (no file).

        The web API is served on 127.0.0.1:http_port (a free port unless given) whatever the
        config says, so even a firmware with a broken config can be asked for its status.
        models: the host board's test models (boards/host/hostmodels.py): ``inject`` and ``line_log``."""
        self.config = config
        self.heapsize = heapsize
        self.http_port = http_port
        self._own_dir = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="p1gen-fw-")
        self.config_path = os.path.join(self.state_dir, "config.json")
        self.log_path = os.path.join(self.state_dir, "firmware.log")
        self._dr_path = os.path.join(self.state_dir, "data_request")
        self._extra_env = env or {}
        self.compiled = compiled
        self.models = models
        self.faults_path = os.path.join(self.state_dir, "faults.json")
        self.line_log_path = os.path.join(self.state_dir, "line.log")
        self.pass_fds = tuple(pass_fds)  # more fds the firmware inherits (a meter's pty for the p1 source)
        self.proc = None
        self.resets = 0
        self._faults = 0
        self.pty = self.slave = None
        self.uart_path = None
        self._watcher = None
        self._stopping = threading.Event()
        self.set_data_request(data_request)

    # --- life cycle

    def start(self):
        if self.http_port is None and self._has_web():
            web = self.config.get("web", {}) if isinstance(self.config, dict) else {}
            if web.get("enabled", True):
                self.http_port = web.get("port") or free_port()
        self._write_config()
        if self.compiled:
            install_image(self.state_dir)
            pypath = ":".join((self.state_dir, ".frozen", os.path.join(self.state_dir, "lib")))
            main = os.path.join(self.state_dir, "main.py")
        else:
            pypath = paths.micropython_path("host")
            main = paths.MAIN
        self.pty, self.slave = os.openpty()
        for fd in (self.pty, self.slave):
            tty.setraw(fd)
        os.set_blocking(self.pty, False)  # the host board drops what a stalled reader does not take
        self.uart_path = os.ttyname(self.slave)
        env = dict(os.environ, MICROPYPATH=pypath, P1GEN_UART="fd:%d" % self.pty,
                   P1GEN_DATA_REQUEST=self._dr_path, **self._extra_env)
        if self.models:
            shutil.copy(os.path.join(paths.BOARDS, "host", "hostmodels.py"), self.state_dir)
            env.update(P1GEN_MODELS="1", P1GEN_FAULTS=self.faults_path, P1GEN_LINE_LOG=self.line_log_path)
        if self.http_port:  # the host board serves here whatever the config says (even a broken one)
            env["P1GEN_WEB_PORT"] = str(self.http_port)
        self._command = ([paths.tool("micropython"), "-X", "heapsize=" + self.heapsize, main], env)
        self._launch("power on")
        self._stopping.clear()
        self._watcher = threading.Thread(target=self._reboot_on_reset, daemon=True, name="fw-reset")
        self._watcher.start()
        return self

    def _launch(self, cause):
        argv, env = self._command
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                argv, cwd=self.state_dir, env=dict(env, P1GEN_RESET_CAUSE=cause), pass_fds=(self.pty,) + self.pass_fds,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def _reboot_on_reset(self):
        """The firmware asked for a reset (it exited with the host board's RESET_EXIT): run it
        again on the same line and state, as the board reboots."""
        from_board = _host_board_reset_exit()
        while not self._stopping.wait(0.05):
            proc = self.proc
            if proc is not None and proc.poll() == from_board:
                self.resets += 1
                self._launch("soft reset")

    def _write_config(self):
        config = self.config
        if config is None:
            return
        if isinstance(config, dict):
            config = json.dumps(config, indent=1)
        mode = "wb" if isinstance(config, bytes) else "w"
        with open(self.config_path, mode) as f:
            f.write(config)

    @staticmethod
    def _has_web():
        return os.path.exists(os.path.join(paths.FIRMWARE, "p1gen", "web", "__init__.py"))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, hard=False):
        """End the firmware (hard: SIGKILL at once, as a power cut would) and clean up."""
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(5)
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL if hard else signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        for fd in (self.pty, self.slave):
            if fd is not None:
                os.close(fd)
        self.pty = self.slave = None
        if self._own_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def restart(self, hard=False):
        """Stop the process (keeping the state dir) and start it again (hard: as after a power cut)."""
        own, self._own_dir, self.config = self._own_dir, False, None
        self.stop(hard)
        self._own_dir = own
        return self.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # --- what a test touches

    def set_data_request(self, high):
        with open(self._dr_path, "w") as f:
            f.write("1" if high else "0")

    def inject(self, task, how, once=False):
        """Make the firmware's task ("telegram", "source", "wifi", ...) fail at each of its
        pauses (once: at the next one only): how is "raise", "hang", or None to stop."""
        try:
            with open(self.faults_path) as f:
                faults = json.load(f)
        except (OSError, ValueError):
            faults = {}
        if how is None:
            faults.pop(task, None)
        else:
            self._faults += 1
            faults[task] = "%s:%d" % (how, self._faults) if once else how
        with open(self.faults_path + ".new", "w") as f:
            json.dump(faults, f)
        os.replace(self.faults_path + ".new", self.faults_path)

    def line_log(self):
        """[(kind, start_ms, end_ms, what)] of the transmissions ("tx") and saves ("flash")."""
        try:
            with open(self.line_log_path) as f:
                return self.parse_line_log(f.read())
        except FileNotFoundError:
            return []

    @staticmethod
    def parse_line_log(text):
        rows = [line.split(" ", 3) for line in text.splitlines()]
        return [(k, int(a), int(b), w.strip()) for k, a, b, w in rows]

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def url(self, path=""):
        return "http://127.0.0.1:%d%s" % (self.http_port, path)

    def reader(self, spec=None):
        """A TelegramReader on this firmware's P1 line (one reader at a time)."""
        termios.tcflush(self.slave, termios.TCIFLUSH)  # from now on, not what piled up before
        return TelegramReader(self.slave, spec).start()


def _host_board_reset_exit():
    """RESET_EXIT of boards/host/board.py, read from the file (it is MicroPython code)."""
    with open(os.path.join(paths.BOARDS, "host", "board.py")) as f:
        for line in f:
            if line.startswith("RESET_EXIT = "):
                return int(line.split("=")[1].split("#")[0])
    raise RuntimeError("boards/host/board.py has no RESET_EXIT")


_image = {}


def install_image(root):
    """Write the host board's flash image (built once per process) under root."""
    key = _source_stamp()
    if _image.get("key") != key:
        from p1host import board_image

        _image["files"] = board_image.build_image("host")
        _image["key"] = key
    for path, data in _image["files"].items():
        target = os.path.join(root, path.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)


def _source_stamp():
    """Changes whenever a firmware or board file changes (so a test run picks up edits)."""
    sources = [paths.MAIN]
    for top in (paths.P1GEN, os.path.join(paths.BOARDS, "host")):
        for folder, _, files in os.walk(top):
            sources += [os.path.join(folder, name) for name in files if name.endswith(".py")]
    return tuple(sorted((path, os.stat(path).st_mtime_ns, os.stat(path).st_size) for path in sources))


class TelegramReader:
    """Reads the P1 line in a thread and parses each telegram with dsmr_parser, the CRC checked.

    ``telegrams`` holds (arrival time.monotonic(), text, parsed or None, error or None).
    """

    def __init__(self, fd, spec=None):
        from dsmr_parser import telegram_specifications
        from dsmr_parser.clients.telegram_buffer import TelegramBuffer
        from dsmr_parser.parsers import TelegramParser

        self._fd = fd
        self._buffer = TelegramBuffer()
        self._parser = TelegramParser(spec or telegram_specifications.V5, apply_checksum_validation=True)
        self.telegrams = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="p1-reader")

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            ready, _, _ = select.select([self._fd], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(self._fd, 4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                return
            arrived = time.monotonic()
            self._buffer.append(data.decode("ascii", "replace"))
            for text in self._buffer.get_all():
                try:
                    parsed, error = self._parser.parse(text, throw_ex=True), None
                except Exception as e:
                    parsed, error = None, "%s: %s" % (type(e).__name__, e)
                with self._cond:
                    self.telegrams.append((arrived, text, parsed, error))
                    self._cond.notify_all()

    def wait(self, count, timeout):
        """The first ``count`` telegrams; AssertionError with what arrived when they do not come in time."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.telegrams) >= count, timeout):
                raise AssertionError("%d telegrams within %.0f s, wanted %d" % (len(self.telegrams), timeout, count))
            return self.telegrams[:count]

    def latest(self):
        with self._cond:
            return self.telegrams[-1] if self.telegrams else None

    def stop(self):
        self._stop.set()
        self._thread.join(2)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start(config=None, **kwargs):
    """A started Firmware (use it as a context manager so it is always stopped)."""
    return Firmware(config, **kwargs).start()
