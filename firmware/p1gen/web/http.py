"""microdot with bounded requests, measured answers and security headers on every response.

Every request is bounded so a client can never hold the loop or the heap: a head of at
most ``MAX_HEAD`` bytes, a body of at most ``MAX_BODY``, ``REQUEST_TIMEOUT_S`` for the
whole exchange, at most ``MAX_CLIENTS`` connections at once, whose requests are read and
answered one after the other (so only one request is ever in the heap).

Every answer carries a Content-Length, known before its status line goes out: a JSON
answer is written twice, once to measure it and once to send it, piece by piece, so no
answer ever needs a large block on a fragmented heap, a heap that runs out before the
status line gives a clean 503, and one that runs out later breaks the answer off short
of its length, which the client sees. Never a 200 with a cut-off body that looks whole.
"""

import asyncio
import gc
import json

from microdot import Microdot, Request, Response

from p1gen.app.aio import sleep_ms
from p1gen.options import TEXT_MAX, Option

MAX_HEAD = 2048
MAX_LINE = 512  # one line of the head: no request needs more, and no block of the heap is larger
MAX_BODY = 4096
MAX_CLIENTS = 3
REQUEST_TIMEOUT_S = 5
_WAIT_MS = 300  # a connection beyond MAX_CLIENTS waits at most this long for a place
_PIECE = 96  # characters: small blocks still fit a fragmented heap (a 512-byte one may not)

Request.max_content_length = MAX_BODY
Request.max_body_length = MAX_BODY
Request.max_readline = MAX_HEAD
Response.send_file_buffer_size = 256  # the page goes out in small pieces

# the page is one file with its script and style inline and talks to this server only
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                               "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
                               "frame-ancestors 'none'",
}
JSON_TYPE = "application/json; charset=UTF-8"


class HeadTooLarge(Exception):
    pass


class _BoundedReader:
    """Gives microdot the request line by line, but never more than ``cap`` bytes of head
    nor a line longer than ``MAX_LINE``.

    asyncio's own readline reads until a newline however long the line is; this one
    reads in small pieces and stops at the cap, so an endless header costs nothing.
    """

    def __init__(self, stream, cap):
        self._stream = stream
        self._left = cap
        self._buf = b""

    async def readline(self):
        while True:
            end = self._buf.find(b"\n")
            if end >= 0:
                line, self._buf = self._buf[:end + 1], self._buf[end + 1:]
                return line
            if self._left <= 0 or len(self._buf) >= MAX_LINE:
                raise HeadTooLarge()
            piece = await self._stream.read(min(256, self._left))
            if not piece:
                line, self._buf = self._buf, b""
                return line
            self._left -= len(piece)
            self._buf += piece

    async def readexactly(self, n):
        """The body: its pieces joined once (a body grown piece by piece would take a
        fragmented heap's larger blocks again and again)."""
        if n < 0:
            raise ValueError("negative length")
        pieces = [self._buf]
        have = len(self._buf)
        while have < n:
            piece = await self._stream.read(min(512, n - have))
            if not piece:
                raise EOFError("body shorter than Content-Length")
            pieces.append(piece)
            have += len(piece)
        data = b"".join(pieces)
        if have == n:
            self._buf = b""
            return data
        out, self._buf = data[:n], data[n:]
        return out

    async def read(self, n=-1):
        if self._buf:
            out, self._buf = self._buf, b""
            return out
        return await self._stream.read(n)


def reply(value, status=200, headers=None):
    """A JSON answer; ``value`` must hold still while it is sent (a snapshot, not a live dict)."""
    return measured(lambda: json_parts(value), status, headers, json_size(value))


def measured(make_parts, status=200, headers=None, size=None):
    """A response from ``make_parts()``, called twice: to count its bytes (unless ``size``
    says it), then to send them.

    Should the text still differ the second time, the answer never lies about it: a
    shorter one is padded with spaces (still the same JSON), a longer one is broken off
    short of its Content-Length, which the client sees."""
    if size is None:
        size = 0
        for text in make_parts():
            size += len(text.encode())
    out = {"Content-Type": JSON_TYPE, "Content-Length": str(size)}
    if headers:
        out.update(headers)
    return Response(_exactly(make_parts(), size), status, out)  # pyright: ignore[reportArgumentType]


def _exactly(parts, size):
    for text in _batched(parts):
        piece = text.encode()
        size -= len(piece)
        if size < 0:
            raise ValueError("answer grew while it was sent")
        yield piece
    if size:
        yield b" " * size


def error(status, text, headers=None):
    return reply({"error": text}, status, headers)


def errors(texts):
    return reply({"errors": list(texts)}, 400)


class JsonFile:
    """A JSON text stored in a file (ASCII), written into an answer as it is."""

    def __init__(self, path):
        self.path = path

    def size(self):
        import os

        return os.stat(self.path)[6]

    def parts(self):
        with open(self.path) as f:
            while True:
                piece = f.read(128)
                if not piece:
                    return
                yield piece


def json_parts(value):
    """The JSON text of ``value`` piece by piece; an Option is written as its description."""
    if isinstance(value, Option):
        value = option_view(value)
    if isinstance(value, JsonFile):
        yield from value.parts()
        return
    kind = type(value)
    if kind is dict:
        sep = "{"
        # other tasks run between two answers and may change the device's dicts meanwhile
        for key in list(value):
            yield sep + json.dumps(str(key)) + ":"
            sep = ","
            yield from json_parts(value.get(key))
        yield "{}" if sep == "{" else "}"
    elif kind is list or kind is tuple:
        sep = "["
        for item in value:
            yield sep
            sep = ","
            yield from json_parts(item)
        yield "[]" if sep == "[" else "]"
    elif isinstance(value, str) and len(value) > 128:  # e.g. the last telegram: no big copy
        yield '"'
        for i in range(0, len(value), 128):
            yield json.dumps(value[i:i + 128])[1:-1]
        yield '"'
    else:
        yield json.dumps(value)


def json_size(value):
    """The length in bytes of the text ``json_parts(value)`` writes, without writing it."""
    if isinstance(value, Option):
        value = option_view(value)
    if isinstance(value, JsonFile):
        return value.size()
    kind = type(value)
    if kind is dict:
        n = 1 if value else 2
        for key in list(value):
            n += len(json.dumps(str(key))) + 2 + json_size(value.get(key))
        return n
    if kind is list or kind is tuple:
        n = 1 if value else 2
        for item in value:
            n += 1 + json_size(item)
        return n
    if isinstance(value, str):
        n = 2
        for i in range(0, len(value), 128):
            n += len(json.dumps(value[i:i + 128]).encode()) - 2
        return n
    return len(json.dumps(value))


def option_view(o):
    """An option as the page's form takes it; "hi" of a text is its longest length."""
    kind = {int: "int", str: "str", bool: "bool", list: "list"}.get(o.kind, "str")
    hi = o.hi if o.hi is not None or o.kind is not str else TEXT_MAX
    return {"name": o.name, "kind": kind, "default": o.default, "help": o.help, "secret": o.secret,
            "lo": o.lo, "hi": hi, "choices": list(o.choices) if o.choices else None}


def _batched(parts, size=_PIECE):
    buf = []
    n = 0
    for part in parts:
        buf.append(part)
        n += len(part)
        if n >= size:
            yield "".join(buf)
            buf = []
            n = 0
    if buf:
        yield "".join(buf)


def secure(res):
    """The security headers on ``res``."""
    headers = res.headers
    for name in SECURITY_HEADERS:
        headers.setdefault(name, SECURITY_HEADERS[name])
    return res


class WebApp(Microdot):
    """microdot with bounded requests; counts what it refused for the status API."""

    def __init__(self):
        super().__init__()
        self.clients = 0
        self.waiting = 0  # connections waiting a moment for a free place
        self.refused = 0  # connections turned away because MAX_CLIENTS were busy
        self.timeouts = 0  # requests cut off after REQUEST_TIMEOUT_S
        self.bad = 0  # malformed or oversized requests
        self.out_of_memory = 0  # answers refused with 503 because the heap ran out
        self.last_error = None  # why the last exchange broke off
        self.device = self.auth = self.history = None  # what the routes serve (api.make_app)
        self._one_at_a_time = asyncio.Lock()

    async def handle_request(self, reader, writer):
        # a client that read its whole answer (Content-Length) may come back before the
        # server has closed that connection: a moment's wait, not a 503
        waited = 0
        while self.clients >= MAX_CLIENTS and waited < _WAIT_MS and self.waiting < 1:
            self.waiting += 1
            await sleep_ms(20)
            self.waiting -= 1
            waited += 20
        if self.clients >= MAX_CLIENTS:
            self.refused += 1
            await self._send(writer, error(503, "busy: at most %d clients at once" % MAX_CLIENTS,
                                           {"Retry-After": "1"}), 1)
            await _close(writer)
            return
        self.clients += 1
        try:
            await asyncio.wait_for(self._exchange(reader, writer), REQUEST_TIMEOUT_S)
        except asyncio.TimeoutError:
            self.timeouts += 1
            await self._send(writer, error(408, "request not complete within %d s" % REQUEST_TIMEOUT_S), 1)
        except Exception as e:  # the client went away mid-exchange, or the answer failed
            self.last_error = "%s: %s" % (type(e).__name__, e)
            print("p1gen web:", self.last_error)
        finally:
            await _close(writer)
            self.clients -= 1
            # the answer's garbage freed at once: the telegram task's next block (about
            # 1 KB) then finds room between what lives on, rather than between leftovers
            gc.collect()

    async def _exchange(self, reader, writer):
        # one request in the heap at a time, from its first line to the end of its answer:
        # the others wait as bare connections (a slow one holds them up for at most
        # REQUEST_TIMEOUT_S, the telegrams not at all)
        async with self._one_at_a_time:
            gc.collect()  # ... on a heap freed of the last one's garbage
            try:
                req = await Request.create(self, _BoundedReader(reader, MAX_HEAD),  # pyright: ignore[reportArgumentType]
                                           writer, writer.get_extra_info("peername"))
            except HeadTooLarge:
                self.bad += 1
                res = error(431, "request line and headers must fit in %d bytes, each line in %d" % (MAX_HEAD, MAX_LINE))
            except MemoryError:
                res = self.no_memory()
            except Exception:
                self.bad += 1
                res = error(400, "malformed HTTP request")
            else:
                if req is None:
                    return
                try:
                    res = await self.dispatch_request(req)
                except MemoryError:
                    res = self.no_memory()
            await secure(res).write(writer)

    def no_memory(self):
        """The answer when the heap cannot hold an answer right now (the page retries 503)."""
        self.out_of_memory += 1
        gc.collect()
        return error(503, "out of memory for this answer; try again", {"Retry-After": "1"})

    async def _send(self, writer, res, timeout_s):
        try:
            await asyncio.wait_for(secure(res).write(writer), timeout_s)
        except Exception:
            pass


async def _close(writer):
    try:
        await asyncio.wait_for(writer.aclose(), 1)
    except Exception:
        pass
