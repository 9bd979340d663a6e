"""An emulated Pico W on a serial port, for provisioning tests without hardware.

The MicroPython unix port runs ``emuboard_rom.py`` (a littlefs flash in a file,
mounted at /, then /main.py) behind a pty made by socat, so mpremote and
pyserial talk to it exactly as to a board on /dev/ttyACM0: Ctrl-C interrupts
the running app, the raw REPL answers, and ``machine.soft_reset()`` ends the
process and its pty, which come back a moment later at the same path: the
board's reset, USB re-enumeration included.
"""
import os
import shutil
import signal
import subprocess
import threading
import time

from p1host import paths, runner

HERE = os.path.dirname(os.path.abspath(__file__))
ROM = os.path.join(HERE, "emuboard_rom.py")
PICO_W_FLASH_KB = 848  # the filesystem MicroPython leaves on a Pico W's 2 MB flash
HEAPSIZE = runner.PICO_W_HEAP  # a Pico W's free heap, scaled for the 64-bit unix port (docs/heap.md)

# the unix port puts its own terminal into raw mode while in the REPL and back
# to this mode while it runs code: Ctrl-C then arrives as SIGINT, as on a board
_CHILD_TTY = "pty,setsid,ctty,stderr,echo=0,icanon=0,opost=0,isig=1,icrnl=0"


class EmuBoard:
    def __init__(self, workdir, flash_kb=PICO_W_FLASH_KB, uart=None, heapsize=HEAPSIZE, env=None):
        """uart: the file or pty the board's P1 UART writes (default: workdir/uart.bin)."""
        self.workdir = workdir
        self.port = os.path.join(workdir, "ttyACM0")
        self.flash = os.path.join(workdir, "flash.img")
        self.flash_kb = flash_kb
        self.uart = uart or os.path.join(workdir, "uart.bin")
        self.heapsize = heapsize
        self.env = env or {}
        self.proc = None
        self.resets = 0
        self._stopping = threading.Event()
        self._watcher = None

    def start(self):
        if shutil.which("socat") is None:
            raise RuntimeError("socat is missing: run `bash tools/system-deps.sh` (make test does)")
        if not os.path.exists(self.flash):
            with open(self.flash, "wb") as f:
                f.truncate(self.flash_kb * 1024)
        self.launcher = os.path.join(self.workdir, "board.sh")
        with open(self.launcher, "w") as f:
            f.write("#!/bin/sh\nexec %s -X heapsize=%s -i %s 9>>'%s'\n"
                    % (paths.tool("micropython"), self.heapsize, ROM, self.uart))
        os.chmod(self.launcher, 0o755)
        self.log = open(os.path.join(self.workdir, "socat.log"), "wb")
        self._plug_in()
        self._watcher = threading.Thread(target=self._replug, daemon=True, name="emuboard-usb")
        self._watcher.start()
        return self

    def _plug_in(self):
        """Start the board behind a new pty at ``port``; return when the port is there."""
        env = dict(os.environ, P1GEN_FLASH=self.flash, P1GEN_UART="fd:9", **self.env)
        env.pop("MICROPYPATH", None)
        self.proc = subprocess.Popen(
            ["socat", "PTY,link=%s,raw,echo=0" % self.port, "EXEC:%s,%s" % (self.launcher, _CHILD_TTY)],
            cwd=self.workdir, env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
            start_new_session=True)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.port):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("socat did not make %s" % self.port)
            time.sleep(0.05)
        time.sleep(0.3)  # the unix port starting up

    def _replug(self):
        """A reset ends the process and with it the pty, as a real board leaves USB; it comes back."""
        while not self._stopping.wait(0.05):
            if self.proc.poll() is not None:
                self.resets += 1
                if self._stopping.wait(0.3):  # USB enumeration
                    return
                try:
                    self._plug_in()
                except RuntimeError:  # it died while it started (a power cut then): again
                    pass

    def stop(self):
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(15)
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def files(self):
        """{path: bytes} of every file on the emulated flash, read by the unix port itself."""
        code = ("exec(open(%r).read())\n"
                "import os\n"
                "def w(d):\n"
                " for e in os.ilistdir(d):\n"
                "  p=(d.rstrip('/')+'/'+e[0])\n"
                "  if e[1]&0x4000:\n"
                "   w(p)\n"
                "  else:\n"
                "   print(repr((p, open(p,'rb').read())))\n"
                "w('/')\n" % ROM)
        out = subprocess.run([paths.tool("micropython"), "-c", code], env=dict(os.environ, P1GEN_FLASH=self.flash, P1GEN_ROM_MOUNT_ONLY="1"),
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr + out.stdout
        import ast

        return dict(ast.literal_eval(line) for line in out.stdout.splitlines() if line.startswith("("))
