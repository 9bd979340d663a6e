from p1gen import context, options, ticks
from p1gen.context import Context
from p1gen.options import Opt

NEAR_WRAP = ticks.PERIOD - 500


def test_ticks_wrap_like_the_rp2():
    later = ticks.add(NEAR_WRAP, 1000)
    assert later == 500
    assert ticks.diff(later, NEAR_WRAP) == 1000
    assert ticks.diff(NEAR_WRAP, later) == -1000
    assert 0 <= ticks.ms() < ticks.PERIOD


def test_context_ages_survive_the_wrap():
    ctx = Context()
    ctx.set(context.GRID_W, 1500, "sma", NEAR_WRAP)
    now = ticks.add(NEAR_WRAP, 9000)
    assert ctx.age_ms(context.GRID_W, now) == 9000
    assert ctx.fresh(context.GRID_W, now, 10000) == 1500
    assert ctx.fresh(context.GRID_W, ticks.add(now, 1001), 10000) is None
    assert ctx.fresh(context.PV_W, now, 10000) is None


def test_context_update_keeps_the_newer_value_and_the_error():
    a, b = Context(), Context()
    a.set(context.PV_W, 100, "sma", 1000)
    a.set(context.GRID_W, 5, "sma", 5000)
    b.set(context.PV_W, 200, "homewizard", 2000)
    b.set(context.GRID_W, 9, "homewizard", 4000)
    b.error = "timeout"
    a.update(b)
    assert a.get(context.PV_W) == 200 and a.origin(context.PV_W) == "homewizard"
    assert a.get(context.GRID_W) == 5
    assert a.error == "timeout"
    view = a.as_dict(6000)
    assert view[context.GRID_W] == {"value": 5, "origin": "sma", "age_ms": 1000}


def test_context_set_none_forgets():
    ctx = Context()
    ctx.set(context.GRID_PHASE_MA, (1, 2, 3), "p1", 0)
    assert ctx.as_dict(10)[context.GRID_PHASE_MA]["value"] == [1, 2, 3]
    ctx.set(context.GRID_PHASE_MA, None, "p1", 20)
    assert ctx.get(context.GRID_PHASE_MA) is None and ctx.names() == []


OPTS = (
    Opt("port", int, 502, "TCP port", lo=1, hi=65535),
    Opt("host", str, None, "address", required=True),
    Opt("mode", str, "a", "mode", choices=("a", "b")),
    Opt("on", bool, True, "switch"),
    Opt("days", list, None, "weekdays"),
)


def test_options_fill_defaults_and_name_every_error():
    settings, errors = options.validate(OPTS, {"host": "x"}, "source")
    assert errors == [] and settings == {"port": 502, "host": "x", "mode": "a", "on": True}
    settings, errors = options.validate(OPTS, {"port": 70000, "mode": "c", "on": 1, "days": [1, "2"],
                                               "colour": "red"}, "source")
    text = "\n".join(errors)
    assert "source.port: must be at most 65535, got 70000" in text
    assert "source.mode: must be one of a, b, got \"c\"" in text
    assert "source.on: must be true or false, got 1" in text
    assert "source.days: must hold whole numbers only" in text
    assert "source.colour: unknown key" in text
    assert "source.host: required" in text
    assert options.validate(OPTS, [], "source")[1] == ["source: must be an object, got []"]
