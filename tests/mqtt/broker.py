"""A real mosquitto broker on 127.0.0.1 (a free port), and fake brokers that misbehave."""
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

from p1host import runner


def mosquitto_path():
    found = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)
    if found is None:
        raise FileNotFoundError("mosquitto not found: run tools/system-deps.sh (make test does)")
    return found


class Mosquitto:
    """mosquitto on 127.0.0.1:port; users: {name: password} (None: anonymous clients allowed)."""

    def __init__(self, port=None, users=None):
        self.port = port or runner.free_port()
        self.users = users
        self.dir = tempfile.mkdtemp(prefix="p1gen-mosquitto-")
        self.proc = None

    def start(self):
        conf = os.path.join(self.dir, "mosquitto.conf")
        lines = ["listener %d 127.0.0.1" % self.port, "persistence false", "log_dest stderr",
                 "log_type error", "log_type warning"]
        if self.users:
            pwfile = os.path.join(self.dir, "passwd")
            open(pwfile, "w").close()
            for user, password in self.users.items():
                subprocess.run(["mosquitto_passwd", "-b", pwfile, user, password], check=True)
            lines += ["allow_anonymous false", "password_file " + pwfile]
        else:
            lines.append("allow_anonymous true")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = subprocess.Popen([mosquitto_path(), "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "log"), "ab"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("mosquitto did not start: %s" % self.log())
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not listen on %d" % self.port)

    def log(self):
        try:
            with open(os.path.join(self.dir, "log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


# what a fake broker does once a client connects
HANG = "hang"  # reads, never answers (a broker stuck, or a Wi-Fi link that dropped)
GARBAGE = "garbage"  # answers CONNECT with bytes that are not MQTT
HUGE = "huge"  # a CONNACK, then a packet announcing 200 MB
HALF = "half"  # a CONNACK, then half a packet and a close
REFUSE = "refuse"  # CONNACK "not authorised"
SLOW = "slow"  # the CONNACK after 8 s (longer than the client's connect timeout)


class FakeBroker:
    """A TCP server on 127.0.0.1 that misbehaves as ``mode`` says; counts the connections it got.
    Bounded: each connection is held at most ``hold_s`` seconds."""

    def __init__(self, mode, port=None, hold_s=30):
        self.mode = mode
        self.port = port or runner.free_port()
        self.hold_s = hold_s
        self.connections = 0
        self._stop = threading.Event()
        self._sock = None
        self._thread = None

    def start(self):
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", self.port))
        self._sock.listen(8)
        self._sock.settimeout(0.1)
        self._thread = threading.Thread(target=self._serve, daemon=True, name="fake-broker")
        self._thread.start()
        return self

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn):
        end = time.monotonic() + self.hold_s
        conn.settimeout(0.2)
        try:
            try:
                conn.recv(1024)  # the CONNECT
            except socket.timeout:
                pass
            mode = self.mode
            if mode == GARBAGE:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" + bytes(range(256)))
            elif mode == HUGE:
                conn.sendall(b"\x20\x02\x00\x00" + b"\x30\xff\xff\xff\x7f" + b"x" * 100)
            elif mode == HALF:
                conn.sendall(b"\x20\x02\x00\x00" + b"\x30\x40\x00\x10p1gen/se")
                conn.close()
                return
            elif mode == REFUSE:
                conn.sendall(b"\x20\x02\x00\x05")
            elif mode == SLOW:
                self._stop.wait(8)
                conn.sendall(b"\x20\x02\x00\x00")
            while not self._stop.is_set() and time.monotonic() < end:
                try:
                    if not conn.recv(1024):
                        break
                except socket.timeout:
                    continue
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self):
        self._stop.set()
        if self._sock is not None:
            self._sock.close()
        if self._thread is not None:
            self._thread.join(2)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
