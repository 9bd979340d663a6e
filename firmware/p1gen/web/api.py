"""The HTTP API and the status page, on microdot, in the telegram task's asyncio loop.

Every handler is a short coroutine (no blocking call), and every request is bounded so a
client can never hold the loop or the heap: a head of at most ``MAX_HEAD`` bytes, a body
of at most ``MAX_BODY``, ``REQUEST_TIMEOUT_S`` for the whole exchange, and at most
``MAX_CLIENTS`` at once, whose requests are read side by side but answered one after the
other (so only one answer is ever being built in the heap). Errors are JSON ``{"error": text}`` or ``{"errors": [texts]}``
with a 4xx status; config errors name the key as "section.key: why".
"""

import asyncio
import json

from microdot import Microdot, Request, Response

from p1gen import ticks
from p1gen.options import Opt, defaults as _defaults

MAX_HEAD = 2048
MAX_BODY = 4096
MAX_CLIENTS = 3
REQUEST_TIMEOUT_S = 5
COOKIE = "p1gen_session"

Request.max_content_length = MAX_BODY
Request.max_body_length = MAX_BODY
Request.max_readline = MAX_HEAD
Response.send_file_buffer_size = 256  # the page goes out in small pieces (a fragmented heap)

_PAGE = __file__.rsplit("/", 1)[0] + "/index.html"


class HeadTooLarge(Exception):
    pass


class _BoundedReader:
    """Gives microdot the request line by line, but never more than ``cap`` bytes of head.

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
            if self._left <= 0:
                raise HeadTooLarge()
            piece = await self._stream.read(min(256, self._left))
            if not piece:
                line, self._buf = self._buf, b""
                return line
            self._left -= len(piece)
            self._buf += piece

    async def readexactly(self, n):
        if n < 0:
            raise ValueError("negative length")
        while len(self._buf) < n:
            piece = await self._stream.read(n - len(self._buf))
            if not piece:
                raise EOFError("body shorter than Content-Length")
            self._buf += piece
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    async def read(self, n=-1):
        if self._buf:
            out, self._buf = self._buf, b""
            return out
        return await self._stream.read(n)


def reply(value, status=200, headers=None):
    """A JSON response streamed in small pieces: a big answer never needs one big string."""
    out = {"Content-Type": "application/json; charset=UTF-8"}
    if headers:
        out.update(headers)
    # microdot streams a generator body (its type stub only names str and bytes)
    return Response(_batched(_json_parts(value)), status, out)  # pyright: ignore[reportArgumentType]


def error(status, text, headers=None):
    return reply({"error": text}, status, headers)


def errors(texts):
    return reply({"errors": list(texts)}, 400)


def _json_parts(value):
    """The JSON text of ``value`` piece by piece; an Opt is written as its description."""
    if isinstance(value, Opt):
        value = _option_view(value)
    kind = type(value)
    if kind is dict:
        sep = "{"
        # other tasks run between the pieces and may change the device's dicts meanwhile
        for key in list(value):
            yield sep + json.dumps(str(key)) + ":"
            sep = ","
            yield from _json_parts(value.get(key))
        yield "{}" if sep == "{" else "}"
    elif kind is list or kind is tuple:
        sep = "["
        for item in value:
            yield sep
            sep = ","
            yield from _json_parts(item)
        yield "[]" if sep == "[" else "]"
    elif isinstance(value, str) and len(value) > 128:  # e.g. the last telegram: no big copy
        yield '"'
        for i in range(0, len(value), 128):
            yield json.dumps(value[i:i + 128])[1:-1]
        yield '"'
    else:
        yield json.dumps(value)


def _batched(parts, size=200):
    """Pieces of about ``size`` characters: small blocks still fit a fragmented heap
    (a 1 KB block often does not, even with 30 KB free)."""
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


class WebApp(Microdot):
    """microdot with bounded requests; counts what it refused for the status API."""

    def __init__(self):
        super().__init__()
        self.clients = 0
        self.refused = 0  # connections turned away because MAX_CLIENTS were busy
        self.timeouts = 0  # requests cut off after REQUEST_TIMEOUT_S
        self.bad = 0  # malformed or oversized requests
        self.last_error = None  # why the last exchange broke off
        self._one_at_a_time = asyncio.Lock()

    async def handle_request(self, reader, writer):
        if self.clients >= MAX_CLIENTS:
            self.refused += 1
            await self._send(writer, error(503, "busy: at most %d clients at once" % MAX_CLIENTS), 1)
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
            self.clients -= 1
            await _close(writer)

    async def _exchange(self, reader, writer):
        try:
            req = await Request.create(self, _BoundedReader(reader, MAX_HEAD),  # pyright: ignore[reportArgumentType]
                                       writer, writer.get_extra_info("peername"))
        except HeadTooLarge:
            self.bad += 1
            res = error(431, "request line and headers must fit in %d bytes" % MAX_HEAD)
        except Exception:
            self.bad += 1
            res = error(400, "malformed HTTP request")
        else:
            if req is None:
                return
            async with self._one_at_a_time:  # one answer in the heap at a time
                res = await self.dispatch_request(req)
                await res.write(writer)
            return
        await res.write(writer)

    async def _send(self, writer, res, timeout_s):
        try:
            await asyncio.wait_for(res.write(writer), timeout_s)
        except Exception:
            pass


async def _close(writer):
    try:
        await asyncio.wait_for(writer.aclose(), 1)
    except Exception:
        pass


def make_app(device, auth, web_options, history=None):
    """The app serving ``device``; ``web_options`` is the "web" section's OPTIONS (for its defaults)."""
    app = WebApp()
    web_defaults = _defaults(web_options)

    def web_settings():
        out = dict(web_defaults)
        out.update(device.config.get("web") or {})
        return out

    def session_ok(req):
        return auth.session(req.cookies.get(COOKIE))

    def basic_password(req):
        """The password of an ``Authorization: Basic`` header (any user name), or None."""
        value = req.headers.get("Authorization", "")
        if not value.startswith("Basic "):
            return None
        try:
            import binascii

            user_pass = binascii.a2b_base64(value[6:]).decode()
        except Exception:
            return ""
        return user_pass.split(":", 1)[1] if ":" in user_pass else ""

    def may_write(req):
        """None when the request may change things, else the error response."""
        if session_ok(req):
            return None
        if not auth.password_set():
            return error(403, "no password set: set web.password when provisioning the board")
        given = basic_password(req)
        if given is None:
            return error(401, "log in first (or send the password with HTTP Basic auth)")
        ok = auth.check(given)
        if ok:
            return None
        return locked_or_wrong(ok)

    def locked_or_wrong(ok):
        """The answer to a password that was refused (ok False) or not even tried (ok None)."""
        wait_s = (auth.locked_ms() + 999) // 1000
        if ok is None:
            return error(429, "too many wrong passwords: try again in %d s" % wait_s,
                         {"Retry-After": str(wait_s)})
        if wait_s:
            return error(401, "wrong password; next try in %d s" % wait_s, {"Retry-After": str(wait_s)})
        return error(401, "wrong password")

    def may_read(req):
        if web_settings().get("open_reads") or session_ok(req):
            return None
        return error(401, "log in to read (web.open_reads is off)")

    def json_body(req):
        """(value, None) or (None, error response)."""
        ctype = (req.content_type or "").split(";")[0].strip()
        if ctype != "application/json":
            return None, error(415, "send the body as application/json")
        try:
            return json.loads(req.body.decode()), None
        except Exception:
            return None, error(400, "body is not valid JSON")

    def json_write(req):
        """(value, None) for an authorised JSON write, or (None, the error response)."""
        denied = may_write(req)
        if denied:
            return None, denied
        return json_body(req)

    def outcome(errs, ok_body):
        if errs:
            return errors(errs)
        return reply(ok_body)

    @app.get("/")
    async def page(req):
        return Response.send_file(_PAGE, content_type="text/html; charset=UTF-8")

    @app.get("/api/status")
    async def status(req):
        return may_read(req) or reply(device.status())

    @app.get("/api/session")
    async def session(req):
        out = auth.state()
        out["logged_in"] = session_ok(req)
        out["open_reads"] = bool(web_settings().get("open_reads"))
        return reply(out)

    @app.post("/api/login")
    async def login(req):
        body, bad = json_body(req)
        if bad:
            return bad
        if not auth.password_set():
            return error(403, "no password set: set web.password when provisioning the board")
        ok = auth.check(body.get("password") if type(body) is dict else None)
        if not ok:
            return locked_or_wrong(ok)
        token = auth.open_session()
        minutes = web_settings().get("session_minutes", 1440)
        return reply({"logged_in": True}, 200, {
            "Set-Cookie": "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d" % (COOKIE, token, minutes * 60)})

    @app.post("/api/logout")
    async def logout(req):
        auth.logout(req.cookies.get(COOKIE))
        return reply({"logged_in": False}, 200, {
            "Set-Cookie": "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" % COOKIE})

    @app.get("/api/policy")
    async def policy_get(req):
        return may_read(req) or reply(_policy_view(device))

    @app.route("/api/policy", methods=["PUT", "POST"])
    async def policy_set(req):
        body, refused = json_write(req)
        if refused:
            return refused
        if type(body) is not dict or type(body.get("policy")) is not str:
            return errors(['policy: send {"policy": name, "settings": {...}}'])
        settings = body.get("settings")  # None: the policy's saved settings
        if settings is not None and type(settings) is not dict:
            return errors(["policy.settings: must be an object"])
        return outcome(device.set_policy(body["policy"], settings), _policy_view(device))

    @app.get("/api/schedule")
    async def schedule_get(req):
        return may_read(req) or reply({"entries": device.config.get("schedule") or []})

    @app.route("/api/schedule", methods=["PUT", "POST"])
    async def schedule_set(req):
        body, refused = json_write(req)
        if refused:
            return refused
        entries = body.get("entries") if type(body) is dict else body
        return outcome(device.apply_config({"schedule": entries}),
                       {"entries": device.config.get("schedule") or []})

    @app.get("/api/config")
    async def config_get(req):
        return may_read(req) or reply(device.config_public())

    @app.get("/api/schema")
    async def schema_get(req):
        return may_read(req) or reply(schema(req.args.get("source")))

    @app.route("/api/config", methods=["PUT", "POST"])
    async def config_set(req):
        body, refused = json_write(req)
        if refused:
            return refused
        if type(body) is not dict:
            return errors(["config: send an object of sections, e.g. {\"web\": {...}}"])
        return outcome(device.apply_config(body), device.config_public())

    @app.get("/api/history")
    async def history_get(req):
        denied = may_read(req)
        if denied:
            return denied
        if history is None:
            return error(404, "no history on this device")
        age = None if history.last_ms is None else ticks.diff(ticks.ms(), history.last_ms)
        return Response(history.json_chunks(age), 200,  # pyright: ignore[reportArgumentType]
                        {"Content-Type": "application/json; charset=UTF-8"})

    @app.post("/ev_state")
    async def ev_state(req):
        denied = may_write(req)
        if denied:
            return denied
        params = ev_params(req.args)
        return outcome(device.ev_state(params), {"ok": True, "ev_state": params})

    async def not_found(req):
        return error(404, "no such page or API: see docs/web.md")

    async def not_allowed(req):
        return error(405, "method not allowed here")

    async def too_large(req):
        return error(413, "body larger than %d bytes" % MAX_BODY)

    async def malformed(req):
        return error(400, "malformed HTTP request")

    async def crashed(req):
        return error(500, "internal error; the telegrams carry on")

    app.error_handlers[404] = not_found
    app.error_handlers[405] = not_allowed
    app.error_handlers[413] = too_large
    app.error_handlers[400] = malformed
    app.error_handlers[500] = crashed
    return app


def ev_params(args):
    """The SoC callback's query (?current_soc=&full_soc=&energy_capacity=&energy_request=&evccid=)
    as the device's ``ev_state`` takes it: a value of -1 or an empty one (the car did not
    say) is left out; the device checks the rest."""
    params = {}
    for key in args:
        value = args.get(key)
        if value not in ("", "-1"):
            params[key] = value
    return params


def _policy_view(device):
    """The policy part of the status, plus every policy's options for the page's form."""
    out = dict(device.status().get("policy") or {})
    out["policies"] = _config().policy_options()
    return out


def _config():
    from p1gen.app import config

    return config


def schema(source_kind=None):
    """Every config section's options, for the page's forms: {section: [option, ...]};
    "source" lists the kinds and the options of ``source_kind``."""
    config = _config()
    out = {}
    for name, opts in config.fixed_sections():
        out[name] = opts
    try:
        from p1gen.sources import KINDS
    except ImportError:
        KINDS = ()
    kinds = ["none"] + list(KINDS)
    source = [{"name": "kind", "kind": "str", "default": "none", "help": "where the energy data comes from",
               "secret": False, "lo": None, "hi": None, "choices": kinds}]
    if source_kind in KINDS:
        source += [o for o in config.source_options(source_kind) if o.name != "kind"]
    out["source"] = source
    return out


def _option_view(o):
    kind = {int: "int", str: "str", bool: "bool", list: "list"}.get(o.kind, "str")
    return {"name": o.name, "kind": kind, "default": o.default, "help": o.help, "secret": o.secret,
            "lo": o.lo, "hi": o.hi, "choices": list(o.choices) if o.choices else None}
