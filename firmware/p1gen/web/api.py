"""The routes of the HTTP API and the status page (docs/web.md).

Handlers are module-level coroutines; who may call them is said by a decorator, as
microdot's own auth extension does: ``@readable`` (open when web.open_reads, else a
login), ``@writable`` (a login session and a JSON body), ``@modem`` (the SoC modem's
callback, the one place HTTP Basic auth counts). A handler finds the device, the logins
and the history on ``req.app`` (``make_app``). Errors are JSON ``{"error": text}`` or
``{"errors": [texts]}`` with a 4xx status, through the app's error handlers; config
errors name the key as "section.key: why".

The reads the status page makes all the time are here; the changes, the login, the schema
and the modem's callback are in p1gen.web.changes, loaded for each such request and
dropped after it (``_change``): they are rare, and their code need not stay on the heap.
"""

from microdot import Response

from p1gen import ticks
from p1gen.app import config as configfile
from p1gen.app.heap import unload
from p1gen.web import settings
from p1gen.web.http import WebApp, error, measured, reply

COOKIE = "p1gen_session"
NO_PASSWORD = "no password set: set web.password when provisioning the board"
_PAGE = __file__.rsplit("/", 1)[0] + "/index.html"


def _web(req):
    """The running app (a WebApp), with its ``device``, ``auth`` and ``history``."""
    return req.app


def _session(req):
    return _web(req).auth.session(req.cookies.get(COOKIE))


def _web_settings(req):
    return settings(_web(req).device.config)


def readable(handler):
    """A read: open when web.open_reads, else it needs a login."""
    async def wrapper(req):
        if _web_settings(req)["open_reads"] or _session(req):
            return await handler(req)
        return error(401, "log in to read (web.open_reads is off)")
    return wrapper


async def page(req):
    import os

    res = Response.send_file(_PAGE, content_type="text/html; charset=UTF-8")
    res.headers["Content-Length"] = str(os.stat(_PAGE)[6])
    return res


@readable
async def status_get(req):
    status = _web(req).device.status()
    for key in status:  # a snapshot: other tasks change the device's own dicts while it is sent
        if type(status[key]) is dict:
            status[key] = dict(status[key])
    return reply(status)


async def session_get(req):
    """The login state; to a client that is not logged in, nothing but that and open_reads."""
    out = {"logged_in": False, "open_reads": bool(_web_settings(req)["open_reads"])}
    if _session(req):
        out.update(_web(req).auth.state())
        out["logged_in"] = True
    return reply(out)


@readable
async def policy_get(req):
    return reply(_policy_view(_web(req).device))


@readable
async def schedule_get(req):
    return reply({"entries": _web(req).device.config.get("schedule") or []})


@readable
async def config_get(req):
    return reply(_web(req).device.config_public())


@readable
async def history_get(req):
    history = _web(req).history
    if history is None:
        return error(404, "no history on this device")
    age = None if history.last_ms is None else ticks.diff(ticks.ms(), history.last_ms)
    held = history.held()
    return measured(lambda: history.json_chunks(age, held))


def _policy_view(device):
    """The policy part of the status, plus every policy's options for the page's form."""
    out = dict(device.status().get("policy") or {})
    out["policies"] = configfile.policy_options()
    return out


async def not_found(req):
    return error(404, "no such page or API: see docs/web.md")


async def not_allowed(req):
    return error(405, "method not allowed here")


async def too_large(req):
    return error(413, "body larger than %d bytes" % req.max_content_length)


async def malformed(req):
    return error(400, "malformed HTTP request")


async def crashed(req, exc=None):
    return error(500, "internal error; the telegrams carry on")


async def out_of_memory(req, exc):
    return _web(req).no_memory()


def _change(name):
    """The route handler ``name`` of p1gen.web.changes, loaded for the request and dropped after it."""
    async def handler(req, **url_args):
        from p1gen.web import changes

        try:
            return await getattr(changes, name)(req, **url_args)
        finally:
            unload("p1gen.web.changes")
    return handler


ROUTES = (
    ("/", ("GET",), page),
    ("/api/status", ("GET",), status_get),
    ("/api/session", ("GET",), session_get),
    ("/api/login", ("POST",), _change("login")),
    ("/api/logout", ("POST",), _change("logout")),
    ("/api/policy", ("GET",), policy_get),
    ("/api/policy", ("PUT", "POST"), _change("policy_set")),
    ("/api/schedule", ("GET",), schedule_get),
    ("/api/schedule", ("PUT", "POST"), _change("schedule_set")),
    ("/api/config", ("GET",), config_get),
    ("/api/config", ("PUT", "POST"), _change("config_set")),
    ("/api/schema", ("GET",), _change("schema_get")),
    ("/api/history", ("GET",), history_get),
    ("/ev_state", ("POST",), _change("ev_state")),
    ("/api/update/<step>", ("GET", "POST"), _change("update_step")),
)
ERRORS = ((404, not_found), (405, not_allowed), (413, too_large), (400, malformed), (500, crashed),
          (MemoryError, out_of_memory), (Exception, crashed))


def make_app(device, auth, history=None):
    """The app serving ``device`` with the logins ``auth`` and the ``history`` ring buffer."""
    app = WebApp()
    app.device = device
    app.auth = auth
    app.history = history
    for path, methods, handler in ROUTES:
        app.route(path, methods=list(methods))(handler)
    for key, handler in ERRORS:
        app.errorhandler(key)(handler)
    return app
