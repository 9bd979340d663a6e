"""Run a firmware source under the real MicroPython unix port and talk to it (CPython side).

    with MicroPythonSource({"kind": "sma", "host": "127.0.0.1", "port": 1502}) as mp:
        result = mp.poll()      # {"ms", "error", "values", "info", "heap", "connects"}

The child runs p1host/sim/mpdriver.py with the firmware on its MICROPYPATH and the
Pico W's heap size; every answer is one JSON line.
"""
import json
import os
import subprocess
import threading

from p1host import paths

DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mpdriver.py")
HEAPSIZE = "150k"


class MicroPythonSource:
    def __init__(self, settings=None, pass_fds=(), heapsize=HEAPSIZE, answer_timeout_s=60):
        self.settings = settings
        self.pass_fds = tuple(pass_fds)
        self.heapsize = heapsize
        self.answer_timeout_s = answer_timeout_s
        self.proc = None

    def start(self):
        env = dict(os.environ, MICROPYPATH=paths.micropython_path("host"))
        args = [paths.tool("micropython"), "-X", "heapsize=" + self.heapsize, DRIVER]
        if self.settings is not None:
            args.append(json.dumps(self.settings))
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, text=True, bufsize=1, pass_fds=self.pass_fds)
        return self

    def command(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = []
        reader = threading.Thread(target=lambda: answer.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.answer_timeout_s)
        if not answer or not answer[0]:
            self.proc.kill()
            err = self.proc.stderr.read()[-2000:]
            self.stop()
            raise RuntimeError("MicroPython driver gave no answer to %r; stderr: %s" % (line, err))
        return json.loads(answer[0])

    def poll(self, exact_heap=False, now=False, watch_loop=False):
        """One poll; exact_heap turns the collector off during it so "heap" is exact,
        now ignores the source's poll interval (benchmarks), watch_loop adds "max_gap_ms"."""
        cmd = "pollheap" if exact_heap else "pollwatch" if watch_loop else "poll"
        return self.command(cmd + (" now" if now else ""))

    def wait(self, ms):
        return self.command("wait %d" % ms)

    def scan(self, **kwargs):
        return self.command("scan " + json.dumps(kwargs))

    def stop(self):
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
