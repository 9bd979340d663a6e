"""The API's changes, its login, the config schema and the SoC modem's callback (p1gen.web.api
routes to them, loading this module for each such request and dropping it after: they are
rare, and their code need not stay on the heap between them).
"""

import json

from p1gen.app import config as configfile
from p1gen.web import refused_changes
from p1gen.web.api import COOKIE, NO_PASSWORD, _policy_view, _session, _web, _web_settings, readable
from p1gen.web.auth import client_key
from p1gen.web.http import JsonFile, error, errors, reply

_SCHEMA = __file__.rsplit("/", 1)[0] + "/schema/"


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


@writable
async def schedule_set(req, body):
    device = _web(req).device
    entries = body.get("entries") if type(body) is dict else body
    return _outcome(device.apply_config({"schedule": entries}), {"entries": device.config.get("schedule") or []})


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


async def update_step(req, step):
    """The update over Wi-Fi (p1gen.web.update: imported at its first use and kept, it holds the update running)."""
    if not _session(req):
        return _login_needed(req, "log in first")
    body = None
    if req.method == "POST" and step != "file":
        body, bad = _json_body(req)
        if bad:
            return bad
    from p1gen.web import update

    return await update.handle(req, step, body)
