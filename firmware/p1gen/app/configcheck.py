"""The config validator: every section checked against its module's OPTIONS
(p1gen.app.config reads and saves the file and loads this module only while it checks,
see there).

Errors name the key, say what is wrong and what is allowed ("control.fuse_a: must be at
most 63, got 80"). A section with errors runs on its defaults, and a config with any error
starts no energy source (failsafe telegrams until it is fixed).
"""
from p1gen import options
from p1gen.app.config import policy_options
from p1gen.options import Opt

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
    """The policies' saved settings and the schedule; a policy's module is imported only for
    settings given for it (and every one for a schedule, whose entries may name any)."""
    policy = _optional("policy")
    known = policy.NAMES if policy is not None else ()
    given = raw.get("policies", {})
    policies = {}
    if type(given) is not dict:
        errors.append("policies: must be an object {policy name: settings}, got %s" % type(given).__name__)
        given = {}
    for pname in given:
        if len(errors) > options.MAX_ERRORS:
            break
        if policy is None or pname not in known:
            errors.append("policies.%s: unknown policy (allowed: %s)" % (pname, ", ".join(sorted(known))))
            continue
        opts = policy.get(pname).OPTIONS
        settings, errs = options.validate(opts, given[pname], "policies." + pname)
        errors.extend(errs)
        policies[pname] = options.defaults(opts) if errs else settings
    config["policies"] = policies
    entries = raw.get("schedule", [])
    schedule = None if entries == [] else _optional("app.schedule")
    if schedule is None:
        if entries:
            errors.append("schedule: this firmware has no schedule module")
        config["schedule"] = []
    else:
        entries, errs = schedule.validate(entries, "schedule", policy_options())
        errors.extend(errs)
        config["schedule"] = [] if errs else entries


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
