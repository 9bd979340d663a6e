"""The non-blocking SNTP query against a small NTP server on loopback in the same loop."""
import asyncio
import socket
import struct

from mptest import run
from p1gen import ticks
from p1gen.app import sntp

NOW = 1795251605


def bound_socket():
    """A UDP socket on a free loopback port (the unix port has no getsockname: try ports)."""
    base = 40000 + ticks.ms() % 20000
    for port in range(base, base + 50):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind(socket.getaddrinfo("127.0.0.1", port)[0][-1])
            return sock, port
        except OSError:
            sock.close()
    raise OSError("no free UDP port")


def answer():
    out = bytearray(48)
    out[0] = 0x24  # version 4, server mode
    out[1] = 2  # stratum
    out[40:44] = struct.pack("!I", NOW + 2208988800)
    return out


def test_answer_time_rejects_bad_packets():
    good = answer()
    assert sntp.answer_time(good) == NOW
    assert sntp.answer_time(good[:40]) is None
    kiss = bytearray(good)
    kiss[1] = 0
    assert sntp.answer_time(kiss) is None
    client = bytearray(good)
    client[0] = 0x1B
    assert sntp.answer_time(client) is None


def test_query_against_a_loopback_server():
    sock, port = bound_socket()
    sock.setblocking(False)
    seen = []

    async def serve():
        while True:
            try:
                data, addr = sock.recvfrom(64)
            except OSError:
                await asyncio.sleep(0.01)
                continue
            seen.append(bytes(data[:1]))
            sock.sendto(answer(), addr)

    async def main():
        task = asyncio.create_task(serve())
        try:
            return await sntp.query("127.0.0.1", port, timeout_ms=2000)
        finally:
            task.cancel()
            sock.close()

    assert run(main()) == NOW
    assert seen == [b"\x1b"]


def test_a_silent_server_times_out_without_blocking_the_loop():
    sock, port = bound_socket()  # bound, never answers

    async def main():
        beats = [0]

        async def heartbeat():
            while True:
                beats[0] += 1
                await asyncio.sleep(0.05)

        task = asyncio.create_task(heartbeat())
        started = ticks.ms()
        try:
            await sntp.query("127.0.0.1", port, timeout_ms=600)
            error = None
        except OSError as e:
            error = str(e)
        finally:
            task.cancel()
            sock.close()
        return error, beats[0], ticks.diff(ticks.ms(), started)

    error, beats, took = run(main())
    assert error is not None and "no NTP answer" in error, error
    assert 550 <= took < 1500, took
    assert beats >= 6, beats  # the loop ran other tasks all along
