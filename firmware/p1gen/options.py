"""Settings schema shared by every module that takes settings.

A module declares its settings as a tuple of ``Opt``; the config validator, the
web form and the README's configuration reference are all generated from them.
"""

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


class Opt:
    __slots__ = ("name", "kind", "default", "help", "lo", "hi", "choices", "secret", "required")

    def __init__(self, name, kind, default, help, lo=None, hi=None, choices=None, secret=False, required=False):
        self.name = name
        self.kind = kind  # int, str, bool, list (of ints)
        self.default = default  # None: not set unless given
        self.help = help
        self.lo = lo
        self.hi = hi
        self.choices = choices
        self.secret = secret  # never shown by the status or config API
        self.required = required

    def check(self, value):
        """Return an error text for ``value``, or None when it is allowed."""
        kind = self.kind
        show = _hidden if self.secret else _show  # an error never echoes a secret, whatever its type
        if kind is int and (type(value) is not int):
            return "must be a whole number, got %s" % show(value)
        if kind is str:
            if type(value) is not str:
                return "must be text, got %s" % show(value)
            longest = self.hi if self.hi is not None else TEXT_MAX
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
        if self.choices is not None and value not in self.choices:
            return "must be one of %s, got %s" % (", ".join(str(c) for c in self.choices), show(value))
        if self.lo is not None and kind is int and value < self.lo:
            return "must be at least %d, got %d" % (self.lo, value)
        if self.hi is not None and kind is int and value > self.hi:
            return "must be at most %d, got %d" % (self.hi, value)
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
        why = o.check(values[key])
        if why:
            errors.append("%s.%s: %s" % (where, key, why))
        else:
            settings[key] = values[key]
    for o in opts:
        if o.required and o.name not in settings:
            errors.append("%s.%s: required (%s)" % (where, o.name, o.help))
    return settings, errors
