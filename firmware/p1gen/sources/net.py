"""TCP streams for the sources: IPv4 only, every step under a timeout, on both runtimes.

Addresses are numeric IPv4: a name lookup is a blocking call on the board and
would stall the event loop (and the telegrams) for as long as DNS takes.
On MicroPython the socket is made here so a connect that times out is closed at
once instead of waiting for the garbage collector (lwIP has few sockets, and a
scan of a /24 opens hundreds).
"""
import asyncio
import sys

from p1gen.options import is_ipv4

_MP = sys.implementation.name == "micropython"

# errno values are the same on Linux and lwIP for these
_ERRNO_TEXT = {
    104: "connection reset",
    110: "timed out",
    111: "connection refused",
    113: "host unreachable",
    103: "connection aborted",
    32: "connection closed",
    128: "not connected",
}


class NetError(Exception):
    """A network failure with a text fit for the status page."""


def describe(exc):
    """A short text for an exception from a network call."""
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    if isinstance(exc, EOFError):
        return "connection closed by the peer"
    if isinstance(exc, OSError):
        code = exc.args[0] if exc.args else None
        if type(code) is int:
            return _ERRNO_TEXT.get(code, "network error %d" % code)
    return str(exc) or type(exc).__name__


async def within(aw, timeout_ms):
    """Await ``aw`` for at most timeout_ms; raise asyncio.TimeoutError after."""
    if _MP:
        return await asyncio.wait_for_ms(aw, timeout_ms)
    return await asyncio.wait_for(aw, timeout_ms / 1000)


async def sleep_ms(ms):
    if _MP:
        await asyncio.sleep_ms(ms)
    else:
        await asyncio.sleep(ms / 1000)


async def connect(host, port, timeout_ms):
    """An open (reader, writer) pair to host:port; NetError if not connected in time."""
    if not is_ipv4(host):
        raise NetError("%r is not an IPv4 address (names are not looked up: that would block)" % (host,))
    try:
        if _MP:
            return await within(_mp_connect(host, port), timeout_ms)
        return await within(asyncio.open_connection(host, port), timeout_ms)
    except (OSError, asyncio.TimeoutError) as e:
        raise NetError("cannot connect to %s:%d: %s" % (host, port, describe(e)))


async def _mp_connect(host, port):
    import socket
    import select

    addr = socket.getaddrinfo(host, port)[0][-1]  # numeric: no lookup
    s = socket.socket()
    try:
        s.setblocking(False)
        try:
            s.connect(addr)
        except OSError as e:
            if e.args[0] != 115:  # EINPROGRESS
                raise
        poller = select.poll()
        poller.register(s, select.POLLOUT)
        while True:
            ready = poller.poll(0)
            if ready:
                break
            await asyncio.sleep_ms(10)
        if ready[0][1] & (select.POLLERR | select.POLLHUP):
            s.recv(1)  # raises the pending error (refused, unreachable)
            raise OSError(111)
        stream = asyncio.StreamReader(s)
        return stream, stream
    except BaseException:
        s.close()
        raise


def close(writer):
    """Close a stream now, without awaiting and without raising."""
    if writer is None:
        return
    try:
        writer.close()
        if _MP:
            writer.s.close()  # MicroPython's Stream.close() leaves that to wait_closed()
    except Exception:
        pass
