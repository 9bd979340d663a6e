"""MQTT 3.1.1 over one TCP connection on asyncio streams: what the bridge needs, nothing more.

Written here rather than installed: micropython-lib's umqtt is blocking; Peter Hinch's
mqtt_as is asyncio but brings up and owns the Wi-Fi itself (the firmware's wifi task does
that here) and has no pip-installable package; aiomqttc (PyPI) reads whatever length a
broker announces into one growing buffer (one garbage byte can ask for 256 MB) and needs
rich on CPython; chumicro-mqtt is tick-driven, not asyncio, and about 4000 lines with its
three dependencies, too much for the Pico W's heap. The bridge needs CONNECT with a last
will, PUBLISH at QoS 0, SUBSCRIBE at QoS 1 with PUBACK, and PING: every step here is under
a timeout and every packet under a size cap, so a broker that hangs, is slow, closes
mid-packet or sends garbage costs one short wait and a reconnect, never the heap.
"""
import struct

from p1gen import ticks
from p1gen.sources import net

MAX_PACKET = 4096  # larger incoming packets end the connection (a schedule fits in 2 KB)
CONNECT, CONNACK, PUBLISH, PUBACK, SUBSCRIBE, SUBACK, PINGREQ, PINGRESP, DISCONNECT = (
    1, 2, 3, 4, 8, 9, 12, 13, 14)
_ACCEPTED = (CONNACK, PUBLISH, PUBACK, SUBACK, 11, PINGRESP)  # 11: UNSUBACK
_REFUSED = {1: "unacceptable protocol version", 2: "client id rejected", 3: "server unavailable",
            4: "bad user name or password", 5: "not authorised"}


class MqttError(Exception):
    """The broker refused, or sent something that is not MQTT 3.1.1."""


def _text(value):
    data = value.encode() if type(value) is str else value
    return struct.pack("!H", len(data)) + data


def _head(kind, length):
    out = bytearray((kind,))
    while True:
        byte = length & 0x7F
        length >>= 7
        out.append(byte | 0x80 if length else byte)
        if not length:
            return out


def parse_publish(first, body):
    """(topic, payload, qos, packet id or None, retained) of an incoming PUBLISH."""
    qos = (first >> 1) & 3
    if len(body) < 2 or qos == 3:
        raise MqttError("malformed PUBLISH")
    end = 2 + struct.unpack_from("!H", body)[0]
    if end + (2 if qos else 0) > len(body):
        raise MqttError("malformed PUBLISH")
    try:
        topic = body[2:end].decode()
    except UnicodeError:
        raise MqttError("PUBLISH topic is not UTF-8")
    pid = None
    if qos:
        pid = struct.unpack_from("!H", body, end)[0]
        end += 2
    return topic, body[end:], qos, pid, bool(first & 1)


class Link:
    """One open MQTT session. ``last_rx`` is the tick of the last packet from the broker."""

    def __init__(self, reader, writer, timeout_ms):
        self.reader = reader
        self.writer = writer
        self.timeout_ms = timeout_ms
        self.last_rx = ticks.ms()
        self._pid = 0

    async def _send(self, first, *parts):
        """One packet; its parts are written as they are (no copy into one buffer)."""
        w = self.writer
        w.write(_head(first, sum(len(p) for p in parts)))
        for part in parts:
            if part:
                w.write(part)
        await net.within(w.drain(), self.timeout_ms)

    async def read_packet(self):
        """(first byte, body) of the next packet from the broker; waits as long as it takes
        (the bridge's keepalive decides when silence is too long)."""
        read = self.reader.readexactly
        first = (await read(1))[0]
        if first >> 4 not in _ACCEPTED:
            raise MqttError("unexpected packet type %d from the broker" % (first >> 4))
        length = shift = 0
        while True:
            byte = (await read(1))[0]
            length |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
            shift += 7
            if shift > 21:
                raise MqttError("malformed packet length from the broker")
        if length > MAX_PACKET:
            raise MqttError("a packet of %d bytes from the broker, more than %d" % (length, MAX_PACKET))
        body = await read(length) if length else b""
        self.last_rx = ticks.ms()
        return first, body

    def publish(self, topic, payload, retain=False):
        """PUBLISH at QoS 0."""
        if type(payload) is str:
            payload = payload.encode()
        return self._send(PUBLISH << 4 | (1 if retain else 0), _text(topic), payload)

    def subscribe(self, topic, qos=1):
        self._pid = self._pid % 65535 + 1
        return self._send(SUBSCRIBE << 4 | 2, struct.pack("!H", self._pid), _text(topic), bytes((qos,)))

    def puback(self, pid):
        return self._send(PUBACK << 4, struct.pack("!H", pid))

    def ping(self):
        return self._send(PINGREQ << 4)

    async def disconnect(self):
        """A clean DISCONNECT (the broker then drops the last will), then close."""
        try:
            await self._send(DISCONNECT << 4)
        except Exception:
            pass
        self.close()

    def close(self):
        net.close(self.writer)


async def connect(host, port, client_id, will_topic, will_payload, user="", password="", keepalive_s=30,
                  timeout_ms=5000):
    """An open Link once the broker has accepted CONNECT; NetError or MqttError otherwise.
    The last will is ``will_payload`` on ``will_topic``, retained."""
    reader, writer = await net.connect(host, port, timeout_ms)
    link = Link(reader, writer, timeout_ms)
    try:
        flags = 0x02 | 0x04 | 0x20  # clean session, a will, retained
        parts = [_text(client_id), _text(will_topic), _text(will_payload)]
        if user:
            flags |= 0x80
            parts.append(_text(user))
            if password:
                flags |= 0x40
                parts.append(_text(password))
        await link._send(CONNECT << 4, b"\x00\x04MQTT\x04", struct.pack("!BH", flags, keepalive_s), *parts)
        first, body = await net.within(link.read_packet(), timeout_ms)
        if first >> 4 != CONNACK or len(body) != 2:
            raise MqttError("no CONNACK: the peer does not speak MQTT 3.1.1")
        if body[1]:
            raise MqttError("the broker refused the connection: %s" % _REFUSED.get(body[1], "code %d" % body[1]))
    except BaseException:
        link.close()
        raise
    return link
