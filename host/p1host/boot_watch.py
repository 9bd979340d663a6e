"""After the reset: watch the board's console (and its status API, when it has one) until the
firmware has sent a telegram, and say in one line that it runs, or why it does not."""
import re
import time

from p1host.errors import CommandError

# what the firmware prints on its console once its tasks run (p1gen/app/supervisor.py)
READY_LINE = re.compile(r"p1gen (\S+) running on \S+")
SAFE_MODE_LINE = re.compile(r"p1gen: safe mode.*")
QUIET_S = 10  # after this long without a sign of life, the board is probed at its REPL
_NOT_RUNNING = ("the firmware is not running: the board sits at its REPL (it stopped, or did not start); "
                "`p1gen repl`, then Ctrl-D, runs it again and shows why")


def wait_until_running(conn, port, timeout, url=None, password=None, version=None):
    """Watch the console (still open from before the reset) and the status API until the
    firmware has sent a telegram; return one line saying so, or raise CommandError. With
    ``version``, the firmware must say it runs that version of p1gen."""
    console = _Console(conn, port)
    try:
        return _wait(console, timeout, url, password, version)
    finally:
        console.close()


def check_version(running, expected):
    if expected and running and running != expected:
        raise CommandError("the board runs p1gen %s, not the %s just installed: a p1gen frozen into its "
                           "MicroPython firmware comes before /lib (flash a plain MicroPython)" % (running, expected))


def _wait(console, timeout, url, password, version):
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
                check_version(ready.group(1), version)
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
                check_version(state.get("version"), version)
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
