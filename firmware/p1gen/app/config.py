"""The device's one config file, ``config.json``, checked against every module's OPTIONS.

    {"wifi": {...}, "p1": {...}, "app": {...},
     "source": {"kind": "sma", "host": "192.168.1.20", ...},
     "control": {"policy": "solar", "fuse_a": 25, ...}, "policies": {"solar": {...}},
     "telegram": {...}, "web": {...}, "schedule": [...]}

Every section is optional and filled with defaults. Errors name the key, say
what is wrong and what is allowed ("control.fuse_a: must be at most 63, got
80"). A section with errors runs on its defaults, and a config with any error
starts no energy source, so the telegrams carry the failsafe report until the
config is fixed. A file that cannot be read at all (bad bytes, too deep, too large)
is reported the same way and runs on the defaults. Saving streams the JSON to a
temporary file and renames it over the old one, so a power cut leaves either the old
file or the new one, and no step needs the whole text in one piece of heap.
"""
import json
import os

from p1gen import options
from p1gen.options import Opt
from p1gen.app.files import write_atomic

PATH = "config.json"
BAD_COPY = "config.bad.json"  # a file that did not load is kept here before being replaced
MAX_FILE = 16384  # bytes: the largest config the validator accepts is about 4 KB
MAX_DEPTH = 8  # nesting of [ and {: a valid config needs 5

WIFI = (
    Opt("ssid", str, "", "Wi-Fi network name, at most 32 bytes (empty: no Wi-Fi)", hi=32),
    Opt("password", str, "", "Wi-Fi password", secret=True),
    Opt("hostname", str, "p1gen", "name on the network, reachable as <hostname>.local"),
    Opt("country", str, "NL", "Wi-Fi regulatory country, two capital letters (ISO 3166; XX: worldwide)"),
    Opt("ntp", str, "gateway", 'IPv4 address of an NTP server for the clock (telegram time stamps, the schedule); '
        '"gateway": the router; "": none'),
)
P1 = (
    Opt("interval_s", int, 1, "seconds between telegrams (DSMR 5: 1, DSMR 4.2: 10)", lo=1, hi=10),
    Opt("baud", int, 115200, "line speed: 115200 (8N1, DSMR 4/5) or 9600 (7E1, DSMR 2.2/3)", choices=(115200, 9600)),
    Opt("invert_tx", bool, True, "invert the UART TX: true for an opto LED sinking into TX (reference wiring), "
        "false for an NPN stage or an opto LED sourced from TX"),
    Opt("tx_pin", int, 0, "GPIO of the UART TX", choices=(0, 4, 8, 12, 16, 20, 28)),
    Opt("require_data_request", bool, False, "send only while the charge point raises Data Request, as a real "
        "meter does (the CSP1 module sends regardless)"),
)
APP = (
    Opt("watchdog", bool, True, "reset the board when the telegram task stops"),
    Opt("energy_save_s", int, 60, "seconds between saves of the telegram's energy registers to flash (they "
        "continue from there after a reset)", lo=10, hi=3600),
    Opt("watchdog_grace_s", int, 60, "seconds after boot before the watchdog starts (time to interrupt with mpremote)",
        lo=5, hi=600),
)
SECTIONS = ("wifi", "p1", "app", "source", "control", "policies", "telegram", "web", "mqtt", "schedule")
_HOSTNAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-"


def _optional(name):
    """A firmware module that may be left out of a build (None when absent)."""
    try:
        module = __import__("p1gen." + name, None, None, ("OPTIONS",))
    except ImportError:
        return None
    return module


def fixed_sections():
    """(section, OPTIONS) of every section that is one flat object."""
    out = [("wifi", WIFI), ("p1", P1), ("app", APP)]
    for name in ("control", "telegram", "web", "mqtt"):
        opts = getattr(_optional(name), "OPTIONS", None)
        if opts is not None:
            out.append((name, opts))
    return out


def policy_options():
    """{policy name: OPTIONS} of every policy this firmware has."""
    policy = _optional("policy")
    if policy is None:
        return {}
    return {name: policy.get(name).OPTIONS for name in policy.NAMES}


def validate(raw):
    """Check a config dict; return (config, errors). config is complete (defaults filled in)."""
    errors = []
    if type(raw) is not dict:
        raw, errors = {}, ["config: must be a JSON object {...}, got %s" % type(raw).__name__]
    for key in raw:
        if key not in SECTIONS:
            errors.append("config.%s: unknown section (allowed: %s)" % (key, ", ".join(SECTIONS)))
    config = {}
    for name, opts in fixed_sections():
        settings, errs = options.validate(opts, raw.get(name, {}), name)
        if not errs and name == "mqtt":  # what its OPTIONS cannot say (the host, the topics)
            from p1gen import mqtt

            errs = mqtt.check(settings)
        config[name] = options.defaults(opts) if errs else settings
        errors.extend(errs)
    for name in ("control", "telegram", "web", "mqtt"):
        if name not in config and name in raw:
            errors.append("%s: this firmware has no %s module" % (name, name))
    hostname = config["wifi"]["hostname"]
    if not hostname or len(hostname) > 32 or any(c not in _HOSTNAME_CHARS for c in hostname):
        errors.append('wifi.hostname: must be 1-32 lowercase letters, digits or "-", got "%s"' % hostname)
        config["wifi"]["hostname"] = "p1gen"
    ntp = config["wifi"]["ntp"]
    if ntp not in ("", "gateway") and not options.is_ipv4(ntp):
        errors.append('wifi.ntp: must be an IPv4 address, "gateway" or "", got "%s"' % ntp)
        config["wifi"]["ntp"] = "gateway"
    _wifi(config["wifi"], errors)
    _control(config.get("control"), errors)
    config["source"] = _source(raw.get("source", {"kind": "none"}), errors)
    _policies(raw, config, errors)
    if len(errors) > options.MAX_ERRORS:
        errors[options.MAX_ERRORS - 1:] = ["... and more errors"]
    return config, errors


def _wifi(wifi, errors):
    country = wifi["country"]
    if not valid_country(country):
        errors.append('wifi.country: must be a two-letter country code such as NL, BE or DE (XX: worldwide), '
                      'got "%s"' % country[:8])
        wifi["country"] = "NL"
    if len(wifi["ssid"].encode()) > 32:
        errors.append("wifi.ssid: must be at most 32 bytes in UTF-8, got %d" % len(wifi["ssid"].encode()))
        wifi["ssid"] = ""


def valid_country(code):
    """Two capital letters (ISO 3166; the Wi-Fi driver takes XX, or a code it does not
    know, as worldwide)."""
    return len(code) == 2 and "AA" <= code <= "ZZ" and code.isalpha()


def _control(control, errors):
    """The rules between two settings of the control section."""
    if not control:
        return
    if control.get("min_a", 0) > control.get("max_a", 999):
        errors.append("control.min_a: must be at most max_a (%d), got %d" % (control["max_a"], control["min_a"]))
    if control.get("car_phases", 1) > control.get("phases", 3):
        errors.append("control.car_phases: a %d-phase car cannot charge on a %d-phase installation"
                      % (control["car_phases"], control["phases"]))


def _source(section, errors):
    """The source settings ("kind": "none" when there is no source, or it is misconfigured)."""
    if type(section) is not dict:
        errors.append("source: must be an object with a kind, got %s" % type(section).__name__)
        return {"kind": "none"}
    if section.get("kind") == "none":
        if len(section) > 1:
            errors.append('source: kind "none" takes no other settings')
        return {"kind": "none"}
    sources = _optional("sources")
    if sources is None:
        errors.append("source: this firmware has no energy sources")
        return {"kind": "none"}
    settings, errs = sources.validate(section, "source")
    if errs:
        if "kind" in errs[0]:
            errs[0] = errs[0].replace("must be one of ", "must be one of none, ")
        errors.extend(errs)
        return {"kind": "none"}
    return settings


def source_options(kind):
    """The OPTIONS of a source kind, () for "none"."""
    sources = _optional("sources")
    if kind == "none" or sources is None or kind not in sources.KINDS:
        return ()
    return sources.module(kind).OPTIONS


def _policies(raw, config, errors):
    known = policy_options()
    given = raw.get("policies", {})
    policies = {}
    if type(given) is not dict:
        errors.append("policies: must be an object {policy name: settings}, got %s" % type(given).__name__)
        given = {}
    for pname in given:
        if len(errors) > options.MAX_ERRORS:
            break
        opts = known.get(pname)
        if opts is None:
            errors.append("policies.%s: unknown policy (allowed: %s)" % (pname, ", ".join(sorted(known))))
            continue
        settings, errs = options.validate(opts, given[pname], "policies." + pname)
        errors.extend(errs)
        policies[pname] = options.defaults(opts) if errs else settings
    config["policies"] = policies
    schedule = _optional("app.schedule")
    entries = raw.get("schedule", [])
    if schedule is None:
        if entries:
            errors.append("schedule: this firmware has no schedule module")
        config["schedule"] = []
    else:
        entries, errs = schedule.validate(entries, "schedule", known)
        errors.extend(errs)
        config["schedule"] = [] if errs else entries


def policy_settings(config, name):
    """The settings of policy ``name``: the saved ones, else its defaults."""
    saved = config["policies"].get(name)
    if saved is not None:
        return saved
    opts = policy_options().get(name)
    return options.defaults(opts) if opts else {}


def secret_keys():
    """{section: (secret option names)}, for hiding them."""
    out = {}
    for name, opts in fixed_sections():
        keys = tuple(o.name for o in opts if o.secret)
        if keys:
            out[name] = keys
    return out


def public(config):
    """config without any secret value (a secret left out is kept when the config is applied)."""
    hidden = secret_keys()
    out = {}
    for section in config:
        value = config[section]
        keys = hidden.get(section)
        if keys:
            value = {k: v for k, v in value.items() if k not in keys}
        out[section] = value
    if config.get("source", {}).get("kind") not in (None, "none"):
        opts = source_options(config["source"]["kind"])
        secret = [o.name for o in opts if o.secret]
        out["source"] = {k: v for k, v in config["source"].items() if k not in secret}
    return out


def merge(saved, changes):
    """The raw config after applying ``changes`` (a partial config) to ``saved``.

    Objects merge key by key (so a form that leaves out a secret keeps it);
    anything else replaces. A source of another kind replaces the whole source.
    """
    if type(saved) is not dict or type(changes) is not dict:
        return changes
    out = {}
    for key in saved:
        out[key] = saved[key]
    for key in changes:
        new = changes[key]
        old = out.get(key)
        if key == "source" and type(new) is dict and type(old) is dict and new.get("kind", old.get("kind")) != old.get("kind"):
            out[key] = new
        elif type(new) is dict and type(old) is dict:
            out[key] = merge(old, new)
        else:
            out[key] = new
    return out


_readable = {}  # path -> whether its last read worked (a save then need not read it again)


def read(path=PATH):
    """(raw dict, errors) from the file; errors say why it could not be read.

    Any file at all gives an answer: bad bytes, deep nesting, a huge file are errors,
    never an exception (the board then runs on defaults, failsafe telegrams)."""
    try:
        size = os.stat(path)[6]
    except OSError:
        _readable[path] = True
        return {}, ["%s: not found; running on defaults with no energy source (failsafe telegrams)" % path]
    raw, why = _parse(path, size)
    _readable[path] = raw is not None
    if raw is None:
        return None, ["%s: %s; running on defaults with no energy source (failsafe telegrams)" % (path, why)]
    return raw, []


def _parse(path, size):
    """(raw, None) or (None, why)."""
    if size > MAX_FILE:
        return None, "too large (%d bytes, at most %d)" % (size, MAX_FILE)
    try:
        with open(path, "rb") as f:
            why = shape(f)
            if why:
                return None, why
            f.seek(0)
            raw = json.load(f)
    except ValueError as e:
        return None, "not valid JSON (%s)" % (e.args[0] if e.args else "syntax error")
    except Exception as e:  # UnicodeError, MemoryError, OSError: the file cannot be used as it is
        import gc

        gc.collect()
        return None, "cannot be read (%s)" % type(e).__name__
    if type(raw) is not dict:
        return None, "must hold one JSON object {...}"
    return raw, None


def shape(f):
    """Why the JSON in ``f`` (bytes, or a file read in small pieces) cannot be a config,
    before parsing it (or None): no depth or byte of it costs heap."""
    depth = 0
    in_text = escaped = False
    first = last = None
    for piece in _pieces(f):
        for b in piece:
            if b > 0x20 and first is None:
                first = b
            if b > 0x20:
                last = b
            if in_text:
                if escaped:
                    escaped = False
                elif b == 0x5C:  # backslash
                    escaped = True
                elif b == 0x22:
                    in_text = False
            elif b == 0x22:
                in_text = True
            elif b == 0x7B or b == 0x5B:  # { [
                depth += 1
                if depth > MAX_DEPTH:
                    return "nested deeper than %d levels" % MAX_DEPTH
            elif b == 0x7D or b == 0x5D:
                depth -= 1
    if first == 0x7B and (last != 0x7D or depth > 0):
        return "truncated (no closing })"
    return None


def _pieces(f):
    if type(f) is bytes:
        yield f
        return
    while True:
        piece = f.read(256)
        if not piece:
            return
        yield piece


def load(path=PATH):
    """(raw, config, errors): raw is what the file holds (None when unreadable)."""
    raw, errors = read(path)
    config, more = validate(raw if raw is not None else {})
    return raw, config, errors + more


def save(path, raw):
    """Write raw atomically: a temporary file, then a rename over the old one.

    A file that does not load is first kept as config.bad.json (the config a device runs
    was read at its start: the file is not read again then)."""
    readable = _readable.get(path)
    if readable is None:
        readable = read(path)[0] is not None
    if not readable:
        folder = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
        try:
            os.rename(path, folder + BAD_COPY)
        except OSError:
            pass
    write_atomic(path, lambda f: json.dump(raw, f))
    _readable[path] = True
