"""What only the settings form needs: the schema (whose source modules do not stay
imported) and the changes the API refuses because they would lock the owner out."""
import asyncio  # noqa: F401  loaded on the board anyway; the sources package imports it
import gc
import sys

from p1gen.app import config

config.validate({})
ALL_KINDS = ("sma", "solaredge", "homewizard", "p1")
# compiling the Modbus kinds from .py takes more heap than the MicroPython test has; the
# firmware test (tests/web, compiled .mpy) reads every kind
KINDS = ("homewizard", "p1")


def loaded():
    return sorted(name for name in sys.modules if name.startswith(("p1gen.sources.", "p1gen.web.forms")))


def free():
    gc.collect()
    return gc.mem_free() if hasattr(gc, "mem_free") else 0


def test_schema_of_every_kind_leaves_no_module_behind():
    """Issue 13.5: GET /api/schema?source=... imported every source module for good
    (free heap 36.8 KB -> 17.5 KB on the board)."""
    from p1gen.web import forms

    before = loaded()
    for kind in KINDS:
        gc.collect()  # compiling a source module from .py takes more heap than loading its .mpy
        found = forms.schema(kind)
        names = [o.name for o in found["source"][1:]]
        assert "poll_ms" in names or kind == "p1", (kind, names)
        assert found["source"][0]["choices"] == ["none"] + list(ALL_KINDS)
    assert loaded() == [name for name in before if name != "p1gen.web.forms"], loaded()
    first = free()
    for _ in range(3):
        from p1gen.web import forms

        for kind in KINDS:
            gc.collect()
            forms.schema(kind)
    if first:  # MicroPython: the heap is back where it was (a little garbage aside)
        assert free() > first - 2048, (first, free())


class RunningSource:
    """Stands for the running source's module (importing a real one from source takes more
    heap than this test has)."""
    from p1gen.options import Opt

    OPTIONS = (Opt("kind", str, None, "kind"), Opt("host", str, None, "where it is"))


def test_schema_keeps_a_module_that_was_loaded_before():
    from p1gen.web import forms

    sys.modules["p1gen.sources.homewizard"] = RunningSource
    try:
        found = forms.schema("homewizard")
        assert [o.name for o in found["source"][1:]] == ["host"]
        assert sys.modules["p1gen.sources.homewizard"] is RunningSource
    finally:
        del sys.modules["p1gen.sources.homewizard"]


def test_changes_that_lock_the_owner_out_are_refused():
    """Issues 13.10 and 13.11."""
    from p1gen.web import forms

    running, _ = config.validate({"wifi": {"ssid": "home"}})
    cases = [({"web": {"enabled": False}}, "web.enabled: "), ({"web": {"password": ""}}, "web.password: "),
             ({"web": {"password": "x"}}, "web.password: "), ({"web": {"password": "        "}}, "web.password: "),
             ({"web": {"password": 12345678}}, "web.password: "), ({"wifi": {"ssid": ""}}, "wifi.ssid: ")]
    for changes, key in cases:
        errors = forms.refused(changes, running)
        assert len(errors) == 1 and errors[0].startswith(key), (changes, errors)
    assert forms.refused({"web": {"enabled": True, "password": "a good one"}, "wifi": {"ssid": "garage"}},
                         running) == []
    no_wifi, _ = config.validate({})
    assert forms.refused({"wifi": {"ssid": ""}}, no_wifi) == []  # nothing to clear
    assert "p1gen.web.forms" not in sys.modules
