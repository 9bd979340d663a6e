"""The few test helpers that run on both MicroPython and CPython (no pytest there)."""


def raises(exc_type, fn, *args, **kwargs):
    """Call fn and return the exception it raised; fail if it raised nothing."""
    try:
        fn(*args, **kwargs)
    except exc_type as e:
        return e
    raise AssertionError("%s did not raise %s" % (getattr(fn, "__name__", fn), exc_type.__name__))


def run(coro):
    import asyncio

    return asyncio.run(coro)



_ports_taken = [0]


def loopback_port():
    """A loopback port number unlikely to be in use (both runtimes lack a portable way to ask)."""
    from p1gen import ticks

    _ports_taken[0] += 1
    return 20000 + (ticks.ms() * 7 + _ports_taken[0] * 131) % 40000


async def serve(handle, test):
    """Serve ``handle(reader, writer)`` on a free loopback port and return ``await test(port)``."""
    import asyncio

    server = port = None
    for _ in range(5):
        port = loopback_port()
        try:
            server = await asyncio.start_server(handle, "127.0.0.1", port)
            break
        except OSError:
            continue
    if server is None:
        raise OSError("no free loopback port")
    try:
        return await test(port)
    finally:
        server.close()
        await server.wait_closed()
