"""What only a settings form needs: the schema it is built from (``GET /api/schema``) and
the changes the API refuses because they would lock the owner out of the board.

Loaded only while a request uses it and unloaded again by ``borrowed``, with the source
kind's module the schema read unless that was loaded before (the running source): an
unauthenticated read of every kind does not keep four source modules in the heap for
good. The schema holds the options themselves (``Opt``), written out as their
description piece by piece.
"""

from p1gen.app import config as configfile

_KIND_HELP = "where the energy data comes from"
MIN_PASSWORD = 8  # characters of a web password set through the API


def schema(source_kind=None):
    """Every config section's options: {section: [option, ...]}; "source" lists the kinds
    and the options of ``source_kind``."""
    return borrowed(lambda: _schema(source_kind))


def _schema(source_kind):
    out = {}
    for name, opts in configfile.fixed_sections():
        out[name] = opts
    try:
        from p1gen.sources import KINDS
    except ImportError:
        KINDS = ()
    source = [{"name": "kind", "kind": "str", "default": "none", "help": _KIND_HELP, "secret": False,
               "lo": None, "hi": None, "choices": ["none"] + list(KINDS)}]
    if source_kind in KINDS:
        source += [o for o in configfile.source_options(source_kind) if o.name != "kind"]
    out["source"] = source
    return out


def refused(changes, config):
    """Errors for changes through the API that would lock the owner out of the board
    (they are allowed in a file written over USB); ``config`` is the running one."""
    return borrowed(lambda: _refused(changes, config))


def _refused(changes, config):
    errors = []
    if type(changes) is not dict:
        return errors
    web = changes.get("web")
    if type(web) is dict:
        if web.get("enabled") is False:
            errors.append("web.enabled: switching the web server off over the network would lock you out; "
                          "do it over USB (p1gen provision)")
        if "password" in web:
            pw = web["password"]
            if type(pw) is not str or len(pw) < MIN_PASSWORD or not pw.strip():
                errors.append("web.password: must be at least %d characters, not only spaces" % MIN_PASSWORD)
    wifi = changes.get("wifi")
    if type(wifi) is dict and wifi.get("ssid") == "" and config["wifi"].get("ssid"):
        errors.append("wifi.ssid: clearing it would take the board off the network; do it over USB "
                      "(p1gen provision)")
    return errors


def borrowed(use, families=("p1gen.web.forms", "p1gen.sources")):
    """``use()``, with every module of ``families`` it imported unloaded again afterwards
    (this one among them: it was imported for this call)."""
    import sys

    def loaded():
        return [name for name in sys.modules if name.startswith(families)]

    before = [name for name in loaded() if name != __name__]
    try:
        return use()
    finally:
        for name in loaded():
            if name in before:
                continue
            del sys.modules[name]
            package, _, leaf = name.rpartition(".")
            parent = sys.modules.get(package)
            if parent is not None and getattr(parent, leaf, None) is not None:
                try:
                    delattr(parent, leaf)
                except (AttributeError, TypeError):
                    pass
