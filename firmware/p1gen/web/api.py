"""The routes of the HTTP API and the status page (docs/web.md).

Handlers are module-level coroutines; who may call them is said by a decorator, as
microdot's own auth extension does: ``@readable`` (open when web.open_reads, else a
login), ``@writable`` (a login session and a JSON body), ``@modem`` (the SoC modem's
callback, the one place HTTP Basic auth counts). A handler finds the device, the logins
and the history on ``req.app`` (``make_app``). Errors are JSON ``{"error": text}`` or
``{"errors": [texts]}`` with a 4xx status, through the app's error handlers; config
errors name the key as "section.key: why".
"""

import json

from microdot import Response

from p1gen import ticks
from p1gen.app import config as configfile
from p1gen.web import refused_changes, settings
from p1gen.web.auth import client_key
from p1gen.web.http import JsonFile, WebApp, error, errors, measured, reply

COOKIE = "p1gen_session"
NO_PASSWORD = "no password set: set web.password when provisioning the board"
_PAGE = __file__.rsplit("/", 1)[0] + "/index.html"
_SCHEMA = __file__.rsplit("/", 1)[0] + "/schema/"


def _web(req):
    """The running app (a WebApp), with its ``device``, ``auth`` and ``history``."""
    return req.app


def _session(req):
    return _web(req).auth.session(req.cookies.get(COOKIE))


def _web_settings(req):
    return settings(_web(req).device.config)


def _json_body(req):
    """(value, None) or (None, error response)."""
    ctype = (req.content_type or "").split(";")[0].strip()
    if ctype != "application/json":
        return None, error(415, "send the body as application/json")
    try:
        why = configfile.shape(req.body or b"")
        if why:
            return None, error(400, "body is not valid JSON: %s" % why)
        return json.loads(req.body.decode()), None
    except MemoryError:
        raise
    except Exception:
        return None, error(400, "body is not valid JSON")


def _refused(ok, wait_ms):
    """The answer to a password that was refused (ok False) or not even tried (ok None)."""
    wait_s = (wait_ms + 999) // 1000
    if ok is None:
        return error(429, "too many wrong passwords from here: try again in %d s" % wait_s,
                     {"Retry-After": str(wait_s)})
    if wait_s:
        return error(401, "wrong password; next try in %d s" % wait_s, {"Retry-After": str(wait_s)})
    return error(401, "wrong password")


def _check(req, given):
    """None when ``given`` is the password, else the error response."""
    auth = _web(req).auth
    if not auth.password_set():
        return error(403, NO_PASSWORD)
    client = client_key(req.client_addr)
    ok = auth.check(given, client)
    return None if ok else _refused(ok, auth.locked_ms(client))


def _login_needed(req, text):
    if not _web(req).auth.password_set():
        return error(403, NO_PASSWORD)
    return error(401, text)


def readable(handler):
    """A read: open when web.open_reads, else it needs a login."""
    async def wrapper(req):
        if _web_settings(req)["open_reads"] or _session(req):
            return await handler(req)
        return error(401, "log in to read (web.open_reads is off)")
    return wrapper


def writable(handler):
    """A change: it needs a login session and a JSON body, handed to the handler."""
    async def wrapper(req):
        if not _session(req):
            return _login_needed(req, "log in first")
        body, bad = _json_body(req)
        return bad or await handler(req, body)
    return wrapper


def modem(handler):
    """The SoC modem's callback: a login session, or the password as HTTP Basic auth (any
    user name), which the modem sends and cannot do otherwise. Not from a browser page
    (an Origin header): a cross-site form must not ride on credentials a browser cached."""
    async def wrapper(req):
        if _session(req):
            return await handler(req)
        if req.headers.get("Origin") is not None:
            return error(403, "Basic auth is for the SoC modem, not for web pages: log in")
        given = _basic_password(req)
        if given is None:
            return _login_needed(req, "log in first (or send the password with HTTP Basic auth)")
        return _check(req, given) or await handler(req)
    return wrapper


def _basic_password(req):
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


def _outcome(errs, ok_body):
    return errors(errs) if errs else reply(ok_body)


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


async def login(req):
    body, bad = _json_body(req)
    if bad:
        return bad
    refused = _check(req, body.get("password") if type(body) is dict else None)
    if refused:
        return refused
    token = _web(req).auth.open_session()
    return reply({"logged_in": True}, 200, {"Set-Cookie": "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d" % (
        COOKIE, token, _web_settings(req)["session_minutes"] * 60)})


async def logout(req):
    _web(req).auth.logout(req.cookies.get(COOKIE))
    return reply({"logged_in": False}, 200, {
        "Set-Cookie": "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" % COOKIE})


@readable
async def policy_get(req):
    return reply(_policy_view(_web(req).device))


@writable
async def policy_set(req, body):
    if type(body) is not dict or type(body.get("policy")) is not str:
        return errors(['policy: send {"policy": name, "settings": {...}}'])
    given = body.get("settings")  # None: the policy's saved settings
    if given is not None and type(given) is not dict:
        return errors(["policy.settings: must be an object"])
    device = _web(req).device
    errs = device.set_policy(body["policy"], given)
    if errs:
        return errors(errs)
    return reply(_policy_view(device))


@readable
async def schedule_get(req):
    return reply({"entries": _web(req).device.config.get("schedule") or []})


@writable
async def schedule_set(req, body):
    device = _web(req).device
    entries = body.get("entries") if type(body) is dict else body
    return _outcome(device.apply_config({"schedule": entries}), {"entries": device.config.get("schedule") or []})


@readable
async def config_get(req):
    return reply(_web(req).device.config_public())


@writable
async def config_set(req, body):
    if type(body) is not dict:
        return errors(["config: send an object of sections, e.g. {\"web\": {...}}"])
    web = _web(req)
    errs = refused_changes(body, web.device.config) or web.device.apply_config(body)
    if not errs and "password" in (body.get("web") or {}):
        web.auth.logout_all(keep=req.cookies.get(COOKIE))  # a new password ends every other login
    return _outcome(errs, web.device.config_public())


@readable
async def schema_get(req):
    """Every config section's options for the page's forms; "source" lists the kinds and the
    options of ?source=KIND, from the file generated from its module's OPTIONS (importing
    the module would take more heap than a request may; tools/gen_source_schema.py)."""
    kind = req.args.get("source") or "none"
    if not all(c.isalpha() or c.isdigit() for c in kind):  # a file name, never a path
        kind = "none"
    try:
        source = JsonFile(_SCHEMA + kind + ".json")
        source.size()
    except OSError:
        source = JsonFile(_SCHEMA + "none.json")
    out = {}
    for name, opts in configfile.fixed_sections():
        out[name] = opts
    out["source"] = source
    return reply(out)


@readable
async def history_get(req):
    history = _web(req).history
    if history is None:
        return error(404, "no history on this device")
    age = None if history.last_ms is None else ticks.diff(ticks.ms(), history.last_ms)
    held = history.held()
    return measured(lambda: history.json_chunks(age, held))


@modem
async def ev_state(req):
    params, bad = ev_params(req.args)
    return _outcome(bad or _web(req).device.ev_state(params), {"ok": True, "ev_state": params})


def ev_params(args):
    """The SoC callback's query (?current_soc=&full_soc=&energy_capacity=&energy_request=&evccid=)
    as the device's ``ev_state`` takes it, and errors for text no setting may hold: a value
    of -1 or an empty one (the car did not say) is left out; the device checks the rest."""
    from p1gen.options import bad_text

    params = {}
    bad = []
    for key in args:
        value = args.get(key)
        if value in ("", "-1"):
            continue
        why = bad_text(value) if type(value) is str else None
        if why:
            bad.append("ev_state.%s: %s" % (key, why))
        else:
            params[key] = value
    return params, bad


def _policy_view(device):
    """The policy part of the status, plus every policy's options for the page's form."""
    out = dict(device.status().get("policy") or {})
    out["policies"] = configfile.policy_options()
    return out


async def update_step(req, step):
    """The update over Wi-Fi (p1gen.web.update, imported at its first use)."""
    if not _session(req):
        return _login_needed(req, "log in first")
    body = None
    if req.method == "POST" and step != "file":
        body, bad = _json_body(req)
        if bad:
            return bad
    from p1gen.web import update

    return await update.handle(req, step, body)


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


ROUTES = (
    ("/", ("GET",), page),
    ("/api/status", ("GET",), status_get),
    ("/api/session", ("GET",), session_get),
    ("/api/login", ("POST",), login),
    ("/api/logout", ("POST",), logout),
    ("/api/policy", ("GET",), policy_get),
    ("/api/policy", ("PUT", "POST"), policy_set),
    ("/api/schedule", ("GET",), schedule_get),
    ("/api/schedule", ("PUT", "POST"), schedule_set),
    ("/api/config", ("GET",), config_get),
    ("/api/config", ("PUT", "POST"), config_set),
    ("/api/schema", ("GET",), schema_get),
    ("/api/history", ("GET",), history_get),
    ("/ev_state", ("POST",), ev_state),
    ("/api/update/<step>", ("GET", "POST"), update_step),
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
