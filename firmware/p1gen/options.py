"""Settings schema shared by every module that takes settings.

A module declares its settings as a tuple of ``Opt``; the config validator, the
web form and the README's configuration reference are all generated from them.
"""


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
        if kind is int and (type(value) is not int):
            return "must be a whole number, got %s" % _show(value)
        if kind is str and type(value) is not str:
            return "must be text, got %s" % _show(value)
        if kind is bool and type(value) is not bool:
            return "must be true or false, got %s" % _show(value)
        if kind is list:
            if type(value) is not list:
                return "must be a list, got %s" % _show(value)
            for item in value:
                if type(item) is not int:
                    return "must hold whole numbers only, got %s" % _show(item)
        if self.choices is not None and value not in self.choices:
            return "must be one of %s, got %s" % (", ".join(str(c) for c in self.choices), _show(value))
        if self.lo is not None and kind is int and value < self.lo:
            return "must be at least %d, got %d" % (self.lo, value)
        if self.hi is not None and kind is int and value > self.hi:
            return "must be at most %d, got %d" % (self.hi, value)
        return None


def _show(value):
    if value is None:
        return "null"
    if type(value) is str:
        return '"%s"' % value
    return str(value)


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
