"""The device's one config file, ``config.json``: read, checked, saved.

    {"wifi": {...}, "p1": {...}, "app": {...},
     "source": {"kind": "sma", "host": "192.168.1.20", ...},
     "control": {"policy": "solar", "fuse_a": 25, ...}, "policies": {"solar": {...}},
     "telegram": {...}, "web": {...}, "schedule": [...]}

Every section is optional and filled with defaults. The checks against every module's
OPTIONS (``validate``, ``public``, ``fixed_sections``, ``source_options``, the tables
``WIFI``, ``P1``, ``APP``, ...) live in p1gen.app.configcheck, which is loaded only while
one of them runs and then dropped, with the settings-only modules it loaded (the policies
not running, the schedule, the MQTT and web settings): a config is checked at boot and
when it is saved, and its code need not stay on the heap in between (docs/heap.md).
A file that cannot be read at all (bad bytes, too deep, too large) is reported like a
config with errors and runs on the defaults. Saving streams the JSON to a temporary file
and renames it over the old one, so a power cut leaves either the old file or the new
one, and no step needs the whole text in one piece of heap.
"""
import json
import os
import sys

from p1gen.app import heap
from p1gen.app.files import write_atomic

PATH = "config.json"
BAD_COPY = "config.bad.json"  # a file that did not load is kept here before being replaced
MAX_FILE = 16384  # bytes: the largest config the validator accepts is about 4 KB
MAX_DEPTH = 8  # nesting of [ and {: a valid config needs 5

# loaded by a check and dropped after it, unless they were loaded before it
_SETTINGS_ONLY = ("p1gen.app.configcheck", "p1gen.app.schedule", "p1gen.mqtt", "p1gen.web")


def _drop_new(before):
    """Drop the settings-only modules loaded since ``before`` (the names in sys.modules then)."""
    for module in [m for m in sys.modules if m not in before]:
        if module in _SETTINGS_ONLY or module.startswith("p1gen.policy."):
            heap.unload(module)


def _for_a_moment(fn, *args):
    """fn(*args); the modules it loaded only for their settings are dropped again."""
    before = set(sys.modules)
    try:
        return fn(*args)
    finally:
        _drop_new(before)


def _configcheck(name, *args):
    from p1gen.app import configcheck

    return getattr(configcheck, name)(*args)


def _checked(name, *args):
    """p1gen.app.configcheck's ``name``(*args), the validator loaded for the call."""
    return _for_a_moment(_configcheck, name, *args)


def validate(raw):
    """Check a config dict; return (config, errors). config is complete (defaults filled in)."""
    return _checked("validate", raw)


def fixed_sections():
    """(section, OPTIONS) of every section that is one flat object."""
    return _checked("fixed_sections")


def _policy_options():
    try:
        from p1gen import policy

        return {name: policy.get(name).OPTIONS for name in policy.NAMES}
    except ImportError:  # a firmware without policies
        return {}


def policy_options():
    """{policy name: OPTIONS} of every policy this firmware has (the modules of the policies
    that do not run are dropped again)."""
    return _for_a_moment(_policy_options)


def public(config):
    """config without any secret value (a secret left out is kept when the config is applied)."""
    return _checked("public", config)


def source_options(kind):
    """The OPTIONS of a source kind, () for "none"."""
    return _checked("source_options", kind)


def __getattr__(name):
    """The validator's other names (the tables WIFI, P1, APP, SECTIONS, ...), for the host's tools."""
    from p1gen.app import configcheck

    value = getattr(configcheck, name)
    heap.unload("p1gen.app.configcheck")
    return value


_policy_defaults = {}  # policy name -> its default settings, read once (the state MQTT publishes needs two)


def policy_settings(config, name):
    """The settings of policy ``name``: the saved ones, else its defaults (the module of a
    policy that does not run is dropped again)."""
    saved = config["policies"].get(name)
    if saved is not None:
        return saved
    defaults = _policy_defaults.get(name)
    if defaults is None:
        defaults = _for_a_moment(_defaults, name)
        if defaults:  # an unknown name is not kept
            _policy_defaults[name] = defaults
    return defaults


def _defaults(name):
    try:
        from p1gen import options, policy

        return options.defaults(policy.get(name).OPTIONS)
    except (ImportError, ValueError):
        return {}


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
