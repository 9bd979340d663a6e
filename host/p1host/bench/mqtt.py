"""`p1gen bench mqtt`: the telegrams while the firmware publishes to MQTT every second and its
broker goes down, hangs, hands over a retained command, sends garbage, refuses, is slow;
beside the same run without MQTT.

The unmodified firmware runs under the unix port (p1host.runner) against the energy source
simulator (p1host.bench.runtime.Installation); a real mosquitto (Debian's, tools/system-deps.sh)
listens on 127.0.0.1, and for each fault a fake broker takes its port. Printed: telegram
period p50 / p99 / max (dsmr_parser on the pty) and the free heap's low-water mark (status API,
after a collection), with MQTT on and off. It prints figures, never asserts; tests/mqtt uses
the same Mosquitto, FakeBroker and fault_sequence and asserts.
"""
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
        if os.geteuid() == 0:
            lines.append("user root")  # else it drops to user mosquitto, who cannot read our temporary folder
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
        with open(os.path.join(self.dir, "log"), "ab") as log:
            self.proc = subprocess.Popen([mosquitto_path(), "-c", conf], stdout=subprocess.DEVNULL, stderr=log)
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


# what a fake broker does once a client connects; the first four accept the CONNECT
HANG = "hang"  # a CONNACK, then silence (a broker stuck, or a Wi-Fi link that dropped)
GARBAGE = "garbage"  # a CONNACK, then bytes that are not MQTT
HUGE = "huge"  # a CONNACK, then a packet announcing 256 MB
HALF = "half"  # a CONNACK, then half a packet and a close
NOISE = "noise"  # answers CONNECT with bytes that are not MQTT (not a broker at all)
REFUSE = "refuse"  # CONNACK "not authorised"
SLOW = "slow"  # the CONNACK after 8 s (longer than the client's connect timeout)
RETAINED = "retained"  # a CONNACK, then a retained command (set/policy "off") as on subscribing


class FakeBroker:
    """A TCP server on 127.0.0.1 that misbehaves as ``mode`` says; counts the connections it got.
    Bounded: each connection is held at most ``hold_s`` seconds."""

    def __init__(self, mode, port=None, hold_s=30):
        self.mode = mode
        self.port = port or runner.free_port()
        self.hold_s = hold_s
        self.connections = 0
        self.received = bytearray()  # everything the clients sent (bounded by hold_s)
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
                self.received += conn.recv(1024)  # the CONNECT
            except socket.timeout:
                pass
            mode = self.mode
            if mode in (HANG, GARBAGE, RETAINED):
                conn.sendall(b"\x20\x02\x00\x00")
            if mode == RETAINED:
                topic = b"p1gen/set/policy"
                body = len(topic).to_bytes(2, "big") + topic + b"\x00\x01" + b"off"
                conn.sendall(bytes((0x33, len(body))) + body)
            if mode == GARBAGE:
                conn.sendall(bytes(range(256)) * 4)
            elif mode == NOISE:
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
                    data = conn.recv(1024)
                    if not data:
                        break
                    if len(self.received) < 65536:
                        self.received += data
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


def fault_sequence(mosq, scale=1.0, mark=None):
    """The broker goes down and comes back, then a fake broker takes its port for each fault;
    ends with mosquitto listening again. Returns {fault: the fake broker} (connections, received)."""
    mark = mark or (lambda label: None)
    mosq.stop()
    mark("down")
    time.sleep(4 * scale)
    mosq.start()
    mark("up")
    time.sleep(6 * scale)
    mosq.stop()
    tries = {}
    for mode, seconds in ((HANG, 8), (RETAINED, 3), (GARBAGE, 3), (HUGE, 3), (HALF, 3), (NOISE, 3), (REFUSE, 3),
                          (SLOW, 6)):
        with FakeBroker(mode, port=mosq.port) as fake:
            mark(mode)
            time.sleep(seconds * scale)
            waited = 0  # the client backs off up to 15 s between tries: each fake waits for one
            while fake.connections == 0 and waited < 20:
                time.sleep(0.25)
                waited += 0.25
        tries[mode] = fake
    mosq.start()
    mark("back")
    return tries


class HeapWatch:
    """The firmware's free heap (status API, after a collection) every ``every_s``, in a thread."""

    def __init__(self, inst, every_s=2.0):
        self.inst = inst
        self.every_s = every_s
        self.samples = []  # (time.monotonic(), free heap)
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="heap-watch")

    def _run(self):
        while not self._stop.wait(self.every_s):
            try:
                self.samples.append((time.monotonic(), self.inst.status(timeout=3)["free_heap"]))
            except Exception:
                self.errors += 1

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)


def mqtt_settings(port, **more):
    settings = {"enabled": True, "host": "127.0.0.1", "port": port, "user": "p1gen", "password": BOARD_PASSWORD,
                "keepalive_s": 4}
    settings.update(more)
    return settings


MQTT_HEAP = runner.PICO_W_HEAP  # the board's equivalent, as every runtime test (docs/heap.md)
BOARD_PASSWORD = "board-secret-7"  # the board's login at the test broker
USERS = {"p1gen": BOARD_PASSWORD, "ha": "ha-secret-3"}


def _run(kind, with_mqtt, cycles):
    from p1host.bench.runtime import Installation, percentiles, periods_ms

    with Mosquitto(users=USERS) as mosq:
        inst = Installation(kind, heapsize=MQTT_HEAP)
        if with_mqtt:
            inst.config["mqtt"] = mqtt_settings(mosq.port, publish_s=1)
        with inst:
            time.sleep(4)
            with HeapWatch(inst) as heap:
                t0 = time.monotonic()
                for _ in range(cycles):
                    fault_sequence(mosq, mark=inst.mark)
                time.sleep(10)
                t1 = time.monotonic()
            status = inst.status()
        periods = periods_ms(inst.reader.telegrams, t0, t1)
        bad = sum(1 for _, _, _, e in inst.reader.telegrams if e)
        frees = [f for _, f in heap.samples]
        return percentiles(periods), len(periods), (min(frees) if frees else None), bad, status


def add_arguments(parser):
    parser.add_argument("--cycles", type=int, help="fault sequences per run (default 3, --quick 1)")


def main(args):
    quick = getattr(args, "quick", False)
    cycles = getattr(args, "cycles", None) or (1 if quick else 3)
    print("p1gen bench mqtt: firmware under MicroPython (-X heapsize=%s, see MQTT_HEAP), source sma; MQTT publishing every "
          "second to mosquitto on 127.0.0.1 while, %d times, the broker goes down and comes back, then hangs, "
          "hands over a retained command, sends garbage, announces a 256 MB packet, closes mid-packet, is not a "
          "broker, refuses, is slow"
          % (MQTT_HEAP, cycles))
    print("telegram period measured by dsmr_parser on the pty, ms (nominal 1000); heap low-water from the "
          "status API after a collection")
    print("%-26s %6s %8s %8s %8s %12s" % ("run", "n", "p50", "p99", "max", "heap min"))
    for label, with_mqtt in (("without MQTT", False), ("MQTT on, faults", True)):
        (p50, p99, top), n, low, bad, status = _run("sma", with_mqtt, cycles)
        m = status.get("mqtt") or {}
        print("%-26s %6d %8.1f %8.1f %8.1f %12s  CRC/parse failures %d, late max %d ms, skipped %d%s"
              % (label, n, p50, p99, top, low, bad, status["telegram"]["late_max_ms"], status["telegram"]["skipped"],
                 "; mqtt: %d connects, %d failures, %d state messages, %s" % (
                     m.get("connects", 0), m.get("failures", 0), m.get("published", 0), m.get("state"))
                 if with_mqtt else ""))
    return 0

