"""Helpers for the update-over-Wi-Fi tests and bench: an emulated board provisioned over USB,
firmware images that differ from the installed one, and a watch on its P1 line."""
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

from dsmr_parser import telegram_specifications
from dsmr_parser.clients.telegram_buffer import TelegramBuffer
from dsmr_parser.parsers import TelegramParser

from p1gen import __version__ as VERSION
from p1host import board_image, paths, webapi

PASSWORD = "correct horse battery"
HERE = os.path.dirname(os.path.abspath(__file__))


def config(web_port):
    return {"wifi": {"hostname": "garage"}, "telegram": {"profile": "dsmr5"},
            "web": {"port": web_port, "password": PASSWORD}, "control": {"policy": "fixed"}}


def provision_usb(board, config_path, models=False):
    """`p1gen provision` over the board's USB; with ``models``, the host board's test models
    (its watchdog) go on the flash first."""
    if models:
        mp = subprocess.run([paths.tool("mpremote"), "connect", board.port, "resume", "fs", "cp",
                             os.path.join(paths.BOARDS, "host", "hostmodels.py"), ":/hostmodels.py"],
                            capture_output=True, text=True, timeout=60)
        assert mp.returncode == 0, mp.stdout + mp.stderr
    proc = subprocess.run([sys.executable, "-m", "p1host", "provision", "--port", board.port, "--config",
                           config_path, "--wait", "60"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def image(version=VERSION, source_edits=None, cache_dir=None):
    """The host board's image, with p1gen.__version__ = ``version`` and ``source_edits``
    {module path under firmware/p1gen: a function of its source text} applied before compiling."""
    import tempfile

    edits = dict(source_edits or {})
    if version != VERSION:
        edits["__init__.py"] = lambda text: text.replace('"%s"' % VERSION, '"%s"' % version)
    files = board_image.build_image("host", cache_dir)
    cache = board_image.MpyCache(cache_dir)
    with tempfile.TemporaryDirectory() as tmp:
        for rel, edit in edits.items():
            with open(os.path.join(paths.P1GEN, rel)) as f:
                text = edit(f.read())
            src = os.path.join(tmp, rel.replace("/", "_"))
            with open(src, "w") as f:
                f.write(text)
            files["/lib/p1gen/" + rel[:-3] + ".mpy"] = cache.compile(src, "p1gen/" + rel)
    return files


def status(web_port, timeout=3):
    return webapi.get_json(web_port, "/api/status", timeout)


def wait_status(web_port, check, timeout=60):
    """The first status for which check(status) is true."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = status(web_port)
            if check(last):
                return last
        except webapi.WebError:
            pass
        time.sleep(0.3)
    raise AssertionError("no such status within %g s; last: %s" % (timeout, json.dumps(
        (last or {}).get("update"))))


def telegrams(uart_path, since=0):
    """The telegrams written to the UART file after byte ``since``, parsed with the CRC checked."""
    buffer = TelegramBuffer()
    with open(uart_path, "rb") as f:
        f.seek(since)
        buffer.append(f.read().decode("ascii", "replace"))
    parser = TelegramParser(telegram_specifications.V5, apply_checksum_validation=True)
    return [parser.parse(text, throw_ex=True) for text in buffer.get_all()]


class LineWatch:
    """Times each telegram's end on the board's UART file, from a thread (to +-10 ms)."""

    def __init__(self, uart_path):
        self.path = uart_path
        self.ends = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)

    def _run(self):
        with open(self.path, "rb") as f:
            f.seek(0, 2)
            tail = b""
            while not self._stop.wait(0.01):
                tail += f.read()
                while b"!" in tail and b"\r\n" in tail[tail.index(b"!"):]:
                    end = tail.index(b"\r\n", tail.index(b"!")) + 2
                    tail = tail[end:]
                    self.ends.append(time.monotonic())

    def longest_gap_s(self):
        gaps = [b - a for a, b in zip(self.ends, self.ends[1:])]
        return max(gaps) if gaps else None


def login_cookie(web_port, password=PASSWORD):
    _, headers = webapi.call("http://127.0.0.1:%d/api/login" % web_port, {"password": password})
    return headers.get("Set-Cookie", "").split(";", 1)[0]


def raw_request(web_port, method, path, body=b"", headers=None):
    """(status, answer) of one request, error statuses included."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (web_port, path), data=body, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def board_process(board, timeout=10):
    """The pid of the unix port behind the emulated board's pty (socat's child); while the board
    resets, the next one's."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = board.proc.pid
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                children = f.read().split()
            if children:
                return int(children[0])
        except OSError:
            pass
        time.sleep(0.02)
    raise AssertionError("the emulated board has no process")


def firmware_on(board):
    """The emulated board's firmware files, {board path: bytes}."""
    return {p: v for p, v in board.files().items() if p.startswith(("/lib/p1gen/", "/lib/microdot/"))
            or p == "/board.py"}


def power_cuts(board, web_port, cuts, seed=1, say=print):
    """Cut the power (SIGKILL) of a board ``cuts`` times at random moments of an update back and
    forth between two firmwares; after each, check that it runs one of them, whole, sends
    telegrams dsmr_parser accepts, and has its config byte for byte. Returns the outcomes."""
    import random
    import signal

    from p1host import ota

    rng = random.Random(seed)
    images = {VERSION: image(VERSION), VERSION + "+cut": image(VERSION + "+cut", {
        "telegram/crc.py": lambda t: t + "\nCUT = 1\n", "web/api.py": lambda t: t + "\nCUT = 1\n",
        "app/device.py": lambda t: t + "\nCUT = 1\n"})}
    wholes = {v: {p: d for p, d in im.items() if p not in ("/main.py",)} for v, im in images.items()}
    base = "http://127.0.0.1:%d" % web_port
    config_before = board.files()["/config.json"]
    window = None
    outcomes = []
    for i in range(cuts):
        state = wait_status(web_port, lambda s: s["update"]["confirmed"], 90)
        running = state["update"]["running"]
        target = VERSION if running != VERSION else VERSION + "+cut"
        if window is None:  # one whole update, timed: the cuts fall within its length
            start = time.monotonic()
            ota.update(base, PASSWORD, images[target], target, "host", confirm_s=2, wait=60, log=lambda _: None)
            window = time.monotonic() - start
            say("an uninterrupted update and its confirmation: %.1f s" % window)
            continue
        errors = []

        def run():
            try:
                ota.update(base, PASSWORD, images[target], target, "host", confirm_s=2, wait=60, log=lambda _: None)
            except Exception as e:  # the board went away under it
                errors.append(e)

        thread = threading.Thread(target=run, daemon=True)
        at = rng.uniform(0, window)
        thread.start()
        time.sleep(at)
        pid = board_process(board)
        resets = board.resets
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:  # it reset just now: the cut falls on the next boot
            os.kill(board_process(board), signal.SIGKILL)
        deadline = time.monotonic() + 10
        while board.resets == resets and time.monotonic() < deadline:
            time.sleep(0.05)
        size = os.path.getsize(board.uart)
        thread.join(90)
        after = wait_status(web_port, lambda s: s["telegram"]["count"] >= 2, 60)
        version = after["update"]["running"]
        assert version in images, version
        parsed = telegrams(board.uart, size)
        assert parsed, "no telegram after the power cut"
        firmware = firmware_on(board)
        whole = wholes[version]
        assert firmware == {p: d for p, d in whole.items() if p in firmware} and set(firmware) == set(whole), \
            "cut %d: the firmware on flash is not %s whole" % (i, version)
        assert board.files()["/config.json"] == config_before
        outcomes.append((round(at, 2), running, target, version))
        say("cut %2d at %.2f s of an update %s -> %s: runs %s, %d telegrams since" % (
            i, at, running, target, version, len(parsed)))
    return outcomes
