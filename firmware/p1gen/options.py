"""Settings schema shared by every module that takes settings.

A module declares its settings as a tuple of ``Opt``; the config validator, the
web form and the README's configuration reference are all generated from them.
"""

from collections import namedtuple

TEXT_MAX = 64  # characters of a text setting unless its Opt says otherwise (hi): a config has a largest size
LIST_MAX = 16  # items of a list setting
MAX_ERRORS = 20  # error texts kept: a file of unknown keys must not fill the heap with them


def is_ipv4(text):
    """A dotted IPv4 address, four numbers 0..255 (the board resolves no names)."""
    if type(text) is not str:
        return False
    parts = text.split(".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not p or len(p) > 3 or not p.isdigit() or int(p) > 255:
            return False
    return True


def bad_text(text):
    """Why ``text`` cannot be a setting (a control character, a lone surrogate), or None.

    MicroPython's json turns "\\ud800" into the bytes ED A0 80, which it reads back as the
    code point 0xD800: both runtimes are caught by the same test."""
    for c in text:
        n = ord(c)
        if n < 0x20 or 0x7F <= n < 0xA0:
            return "must not hold control characters"
        if 0xD800 <= n < 0xE000:
            return "must be valid Unicode text (a lone surrogate)"
    return None


# one setting: name, kind (int, str, bool, list of ints), default (None: not set unless
# given), help, lo, hi, choices, secret (never shown by the status or config API), required.
# A tuple, not an instance: a firmware holds dozens of them, and an instance costs twice
# the heap (its attribute dict).
Option = namedtuple("Opt", ("name", "kind", "default", "help", "lo", "hi", "choices", "secret", "required"))


def Opt(name, kind, default, help, lo=None, hi=None, choices=None, secret=False, required=False):
    """A setting (an ``Option``) of a module's OPTIONS."""
    return Option(name, kind, default, help, lo, hi, choices, secret, required)


def check(opt, value):
    """An error text for ``value`` as setting ``opt``, or None when it is allowed."""
    kind = opt.kind
    show = _hidden if opt.secret else _show  # an error never echoes a secret, whatever its type
    if kind is int and (type(value) is not int):
        return "must be a whole number, got %s" % show(value)
    if kind is str:
        if type(value) is not str:
            return "must be text, got %s" % show(value)
        longest = opt.hi if opt.hi is not None else TEXT_MAX
        if len(value) > longest:
            return "must be at most %d characters, got %d" % (longest, len(value))
        why = bad_text(value)
        if why:
            return why
    if kind is bool and type(value) is not bool:
        return "must be true or false, got %s" % show(value)
    if kind is list:
        if type(value) is not list:
            return "must be a list, got %s" % show(value)
        if len(value) > LIST_MAX:
            return "must hold at most %d items, got %d" % (LIST_MAX, len(value))
        for item in value:
            if type(item) is not int:
                return "must hold whole numbers only, got %s" % show(item)
    if opt.choices is not None and value not in opt.choices:
        return "must be one of %s, got %s" % (", ".join(str(c) for c in opt.choices), show(value))
    if opt.lo is not None and kind is int and value < opt.lo:
        return "must be at least %d, got %d" % (opt.lo, value)
    if opt.hi is not None and kind is int and value > opt.hi:
        return "must be at most %d, got %d" % (opt.hi, value)
    return None


def _show(value):
    """``value`` for an error text: short, and only printable characters."""
    if value is None:
        return "null"
    kind = type(value)
    if kind is dict or kind is list:  # never the whole (perhaps large) value
        return ("{}" if kind is dict else "[]") if not value else ("an object" if kind is dict else "a list")
    text = value if kind is str else str(value)
    if len(text) > 40:
        text = text[:40] + "..."
    if bad_text(text):
        text = "".join(c if not bad_text(c) else "?" for c in text)
    return '"%s"' % text if kind is str else text


def _hidden(value):
    return "a value of type %s (not shown: secret)" % type(value).__name__


def defaults(opts):
    """The settings dict of every option that has a default."""
    return {o.name: o.default for o in opts if o.default is not None}


def validate(opts, values, where):
    """Check ``values`` (a dict) against ``opts``; return (settings, errors).

    settings has the defaults filled in; errors is a list of "where.key: why"
    texts, empty when everything is allowed. Unknown keys are errors.
    """
    errors = []
    if type(values) is not dict:
        return {}, ["%s: must be an object, got %s" % (where, _show(values))]
    known = {}
    for o in opts:
        known[o.name] = o
    settings = defaults(opts)
    for key in values:
        if len(errors) >= MAX_ERRORS:
            break
        o = known.get(key)
        if o is None:
            errors.append("%s.%s: unknown key (allowed: %s)" % (where, key, ", ".join(sorted(known))))
            continue
        why = check(o, values[key])
        if why:
            errors.append("%s.%s: %s" % (where, key, why))
        else:
            settings[key] = values[key]
    for o in opts:
        if o.required and o.name not in settings:
            errors.append("%s.%s: required (%s)" % (where, o.name, o.help))
    return settings, errors
