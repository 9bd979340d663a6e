"""The time from an NTP server, without blocking the loop.

Written here because micropython-lib's ``ntptime`` waits on a blocking socket
(up to its timeout) and resolves the server's name with a blocking DNS lookup,
both of which would delay a telegram: this sends one SNTP request to an IPv4
address over a non-blocking UDP socket and polls for the answer.
"""
import socket
import struct

from p1gen import ticks
from p1gen.app.aio import sleep_ms

_NTP_TO_UNIX_S = 2208988800  # 1900-01-01 to 1970-01-01


def request():
    packet = bytearray(48)
    packet[0] = 0x1B  # version 3, client mode
    return packet


def answer_time(data):
    """Unix seconds of an SNTP answer, or None when it is no usable server answer."""
    if len(data) < 48 or data[0] & 0x07 != 4 or data[1] == 0:  # server mode, not "kiss of death"
        return None
    seconds = struct.unpack("!I", data[40:44])[0]
    return seconds - _NTP_TO_UNIX_S if seconds else None


async def query(ip, port=123, timeout_ms=1500):
    """Unix time in s from the NTP server at ip; OSError when it does not answer in time."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        sock.sendto(request(), socket.getaddrinfo(ip, port)[0][-1])  # a literal address: no DNS lookup
        started = ticks.ms()
        while ticks.diff(ticks.ms(), started) < timeout_ms:
            try:
                data = sock.recv(64)
            except OSError:  # nothing yet (EAGAIN)
                await sleep_ms(20)
                continue
            utc = answer_time(data)
            if utc is not None:
                return utc
        raise OSError("no NTP answer from %s within %d ms" % (ip, timeout_ms))
    finally:
        sock.close()
