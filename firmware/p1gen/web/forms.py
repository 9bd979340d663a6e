"""The settings schema for the page's forms (``GET /api/schema``).

Loaded only while a request uses it: ``schema`` unloads this module again, and the
source kind's module it read unless that was loaded before (the running source), so
an unauthenticated read of every kind does not keep four source modules in the heap
for good. The answer holds the options themselves (``Opt``), written out as their
description piece by piece.
"""

from p1gen.app import config as configfile

_KIND_HELP = "where the energy data comes from"


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
