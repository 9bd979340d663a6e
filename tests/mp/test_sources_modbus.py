"""The async Modbus/TCP client against a hand-made misbehaving server on loopback,
under CPython and under MicroPython (its own connect path there)."""
import asyncio
import struct

from mptest import loopback_port, run, serve

from p1gen import ticks
from p1gen.sources import modbus, net

HANG = object()


def _reply(request, tid_delta=0, unit=None, exception=None, truncate=None):
    tid, _, _, req_unit, fc, address, count = struct.unpack(">HHHBBHH", request)
    if exception:
        pdu = bytes([fc | 0x80, exception])
    else:
        pdu = bytes([fc, 2 * count]) + b"".join(struct.pack(">H", (address + i) & 0xFFFF) for i in range(count))
    frame = struct.pack(">HHHB", (tid + tid_delta) & 0xFFFF, 0, len(pdu) + 1,
                        req_unit if unit is None else unit) + pdu
    return frame[:truncate] if truncate else frame


async def _with_server(behaviour, test):
    """Serve ``behaviour(request) -> bytes | None (close) | HANG`` on a loopback port, run test(port)."""
    async def handle(reader, writer):
        try:
            while True:
                request = await reader.readexactly(12)
                answer = behaviour(request)
                if answer is HANG:
                    await asyncio.sleep(5)
                    break
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
        except Exception:
            pass
        net.close(writer)

    return await serve(handle, test)


def _client(port, timeout_ms=400):
    return modbus.Client("127.0.0.1", port, 3, timeout_ms, timeout_ms)


def _error(exc_type, coro):
    async def main():
        try:
            await coro
        except exc_type as e:
            return e
        return None
    return main()


def test_reads_over_one_persistent_connection():
    async def test(port):
        c = _client(port)
        a = await c.read(30775, 2)
        b = await c.read(30865, 4, function=4)
        c.close()
        return a, b, c.connects

    a, b, connects = run(_with_server(lambda r: _reply(r), test))
    assert a == [30775, 30776] and b == [30865, 30866, 30867, 30868] and connects == 1


def test_exception_response_keeps_the_connection():
    state = {"n": 0}

    def behaviour(request):
        state["n"] += 1
        return _reply(request, exception=2 if state["n"] == 1 else None)

    async def test(port):
        c = _client(port)
        e = await _error(modbus.ModbusError, c.read(30845, 2))
        regs = await c.read(30845, 2)
        c.close()
        return e, regs, c.connects

    e, regs, connects = run(_with_server(behaviour, test))
    assert e.code == 2 and "illegal data address" in str(e) and "30845" in str(e)
    assert regs == [30845, 30846] and connects == 1


def test_wrong_transaction_or_unit_is_refused_and_the_next_read_reconnects():
    state = {"n": 0}

    def behaviour(request):
        state["n"] += 1
        if state["n"] == 1:
            return _reply(request, tid_delta=5)
        if state["n"] == 2:
            return _reply(request, unit=9)
        return _reply(request)

    async def test(port):
        c = _client(port)
        e1 = await _error(net.NetError, c.read(30775, 2))
        e2 = await _error(net.NetError, c.read(30775, 2))
        regs = await c.read(30775, 2)
        c.close()
        return e1, e2, regs, c.connects

    e1, e2, regs, connects = run(_with_server(behaviour, test))
    assert "transaction" in str(e1)
    assert "unit 9" in str(e2)
    assert regs == [30775, 30776] and connects == 3


def test_truncated_answer_and_silence_time_out():
    state = {"n": 0}

    def behaviour(request):
        state["n"] += 1
        if state["n"] == 1:
            return _reply(request, truncate=10)
        return HANG

    async def test(port):
        c = _client(port, timeout_ms=300)
        took = []
        errors = []
        for _ in range(2):
            t = ticks.ms()
            errors.append(await _error(net.NetError, c.read(30775, 2)))
            took.append(ticks.diff(ticks.ms(), t))
        c.close()
        return errors, took

    errors, took = run(_with_server(behaviour, test))
    for e, ms in zip(errors, took):
        assert e is not None and "timed out" in str(e)
        assert 250 <= ms < 300 + 1500


def test_server_closing_mid_answer_is_an_error():
    async def test(port):
        c = _client(port)
        e = await _error(net.NetError, c.read(30775, 2))
        c.close()
        return e

    e = run(_with_server(lambda r: None, test))
    assert e is not None and "127.0.0.1" in str(e)


def test_refused_connect_backs_off():
    async def test():
        c = _client(loopback_port())
        e1 = await _error(net.NetError, c.read(30775, 2))
        e2 = await _error(net.NetError, c.read(30775, 2))
        return e1, e2, c.connects

    e1, e2, connects = run(test())
    assert "connection refused" in str(e1)
    assert "next try in" in str(e2) and connects == 0


def test_names_are_not_looked_up():
    e = run(_error(net.NetError, net.connect("inverter.local", 502, 300)))
    assert e is not None and "IPv4" in str(e)
