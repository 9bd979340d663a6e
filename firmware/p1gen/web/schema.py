"""The settings schema for the page's forms (``GET /api/schema``).

A source kind's options are read from its module, which is then unloaded again unless
it was loaded before (the running source): an unauthenticated read of every kind must
not keep four source modules in the heap for good. The answer holds the options
themselves (``Opt``), written out as their description piece by piece.
"""

from p1gen.app import config as configfile

_KIND_HELP = "where the energy data comes from"


def schema(source_kind=None):
    """Every config section's options: {section: [option, ...]}; "source" lists the kinds
    and the options of ``source_kind``."""
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
        source += borrowed(lambda: [o for o in configfile.source_options(source_kind) if o.name != "kind"])
    out["source"] = source
    return out


def borrowed(use):
    """``use()``, with every module it imported unloaded again afterwards."""
    import gc
    import sys

    before = set(sys.modules)
    try:
        return use()
    finally:
        for name in list(sys.modules):
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
        gc.collect()
