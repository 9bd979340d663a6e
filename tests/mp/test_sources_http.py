"""The HomeWizard source's small HTTP GET against hand-made answers on loopback,
under CPython and under MicroPython."""
import asyncio

from mptest import run, serve

from p1gen import context as q
from p1gen import ticks
from p1gen.sources import homewizard, net


async def _with_server(answer, test):
    """Answer every request with the bytes ``answer`` (None: never answer), run test(port)."""
    async def handle(reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line or line == b"\r\n":
                    break
            if answer is None:
                await asyncio.sleep(5)
            else:
                writer.write(answer)
                await writer.drain()
        except Exception:
            pass
        net.close(writer)

    return await serve(handle, test)


def _get(answer, timeout_ms=500):
    async def test(port):
        try:
            return await homewizard.get("127.0.0.1", port, "/api/v1/data", timeout_ms)
        except net.NetError as e:
            return e
    return run(_with_server(answer, test))


def test_content_length_body():
    status, body = _get(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 21\r\n\r\n"
                        b'{"active_power_w": 5}')
    assert status == 200 and body == b'{"active_power_w": 5}'


def test_chunked_body():
    status, body = _get(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        b"5\r\n{\"a\":\r\n3;x=1\r\n 1}\r\n0\r\n\r\n")
    assert status == 200 and body == b'{"a": 1}'


def test_body_until_close():
    status, body = _get(b"HTTP/1.0 403 Forbidden\r\n\r\nlocal API disabled")
    assert status == 403 and body == b"local API disabled"


def test_not_http_is_a_clear_error():
    e = _get(b"SSH-2.0-OpenSSH_9.6\r\n")
    assert isinstance(e, net.NetError) and "not an HTTP answer" in str(e)


def test_silence_times_out_in_time():
    t = ticks.ms()
    e = _get(None, timeout_ms=300)
    took = ticks.diff(ticks.ms(), t)
    assert isinstance(e, net.NetError) and "timed out" in str(e)
    assert 250 <= took < 300 + 1500


def test_source_turns_403_into_advice():
    answer = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\n{}"

    async def test(port):
        source = homewizard.Source({"kind": "homewizard", "host": "127.0.0.1", "port": port, "timeout_ms": 500,
                                    "poll_ms": 500})
        ctx = await source.poll()
        return ctx.error, ctx.get(q.GRID_W)

    error, grid = run(_with_server(answer, test))
    assert error == ("homewizard 127.0.0.1: access refused (HTTP 403): "
                     "enable the local API in the HomeWizard app")
    assert grid is None


def test_answer_cut_short_is_an_error():
    e = _get(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{\"active_power_w\": ")
    assert isinstance(e, net.NetError) and "closed" in str(e)
