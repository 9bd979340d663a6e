"""CPython checks of the web server's pure pieces: the streamed JSON against json.dumps, the
bounded head reader, the SoC callback's query, and the schedule against a brute-force
reference that walks back minute by minute."""
import asyncio
import json

from hypothesis import given, settings, strategies as st

from p1gen.app import schedule
from p1gen.options import Opt
from p1gen.web import changes, http

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.text(max_size=400),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=40)


@settings(max_examples=300, deadline=None)
@given(value=json_values)
def test_streamed_json_is_the_same_document(value):
    pieces = list(http._batched(http.json_parts(value)))
    assert json.loads("".join(pieces)) == value
    # bounded: a batch of about 200 plus at most one 128-character slice of a string,
    # which CPython's json.dumps may escape to 12 characters each (\\ud835\\udc8a)
    assert all(len(p) < 200 + 128 * 12 + 20 for p in pieces)


def test_the_stored_source_schemas_are_current():
    """GET /api/schema streams firmware/p1gen/web/schema/KIND.json instead of importing the
    source module (issue 13.5); the files must say what the OPTIONS say."""
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
    import gen_source_schema

    assert gen_source_schema.stale() == [], "run python tools/gen_source_schema.py"
    for name, text in gen_source_schema.texts().items():
        options = json.loads(text)
        assert options[0]["name"] == "kind" and name[:-5] in options[0]["choices"]


def test_a_json_file_is_written_as_it_is_and_measured(tmp_path):
    path = tmp_path / "part.json"
    path.write_text('[{"a":' + '"x"' * 0 + '"' + "y" * 300 + '"}]')
    doc = {"before": [1, "\u00e9"], "file": http.JsonFile(str(path)), "after": None}
    text = "".join(http.json_parts(doc))
    assert json.loads(text)["file"] == [{"a": "y" * 300}]
    assert http.json_size(doc) == len(text.encode())


@settings(max_examples=200, deadline=None)
@given(value=json_values)
def test_json_size_is_the_length_of_the_text(value):
    assert http.json_size(value) == len("".join(http.json_parts(value)).encode())


def test_long_strings_are_cut_into_small_pieces():
    telegram = "/XMX5\r\n\r\n" + "1-0:31.7.0(003.0*A)\r\n" * 60 + '!"\\\u00e9'
    parts = list(http.json_parts({"text": telegram}))
    assert json.loads("".join(parts)) == {"text": telegram}
    assert max(len(p) for p in parts) < 200


def test_options_are_streamed_as_their_description():
    opt = Opt("port", int, 80, "TCP port", lo=1, hi=65535)
    doc = json.loads("".join(http.json_parts({"web": (opt, Opt("host", str, "", "name"))})))
    assert doc == {"web": [{"name": "port", "kind": "int", "default": 80, "help": "TCP port", "secret": False,
                            "lo": 1, "hi": 65535, "choices": None},
                           {"name": "host", "kind": "str", "default": "", "help": "name", "secret": False,
                            "lo": None, "hi": 64, "choices": None}]}


def test_a_dict_changed_while_streaming_does_not_break_the_answer():
    data = {"a": 1, "b": 2, "c": 3}
    parts = http.json_parts(data)
    out = [next(parts), next(parts)]  # '{"a":' and '1'
    data["z"] = 26  # another task adds a key meanwhile
    del data["c"]
    out.extend(parts)
    doc = json.loads("".join(out))
    assert doc["a"] == 1 and doc["b"] == 2 and doc["c"] is None and "z" not in doc


def read_head(data, cap=64):
    async def go():
        stream = asyncio.StreamReader()
        stream.feed_data(data)
        stream.feed_eof()
        reader = http._BoundedReader(stream, cap)
        lines = []
        while True:
            line = await reader.readline()
            lines.append(line)
            if line in (b"\r\n", b""):
                break
        return lines, await reader.readexactly(2) if data.endswith(b"{}") else None
    return asyncio.run(go())


def test_bounded_reader_gives_lines_and_the_body():
    lines, body = read_head(b"PUT / HTTP/1.1\r\nA: 1\r\n\r\n{}")
    assert lines == [b"PUT / HTTP/1.1\r\n", b"A: 1\r\n", b"\r\n"] and body == b"{}"


def test_bounded_reader_stops_at_the_cap():
    for data in (b"GET / HTTP/1.1\r\nX: " + b"a" * 500 + b"\r\n\r\n", b"x" * 100000):
        try:
            read_head(data)
        except http.HeadTooLarge:
            continue
        raise AssertionError("no HeadTooLarge")


def test_bounded_reader_refuses_a_negative_length():
    async def go():
        stream = asyncio.StreamReader()
        stream.feed_eof()
        await http._BoundedReader(stream, 10).readexactly(-1)
    try:
        asyncio.run(go())
    except ValueError:
        return
    raise AssertionError("no ValueError")


def test_ev_params_leave_out_what_the_car_did_not_say():
    args = {"current_soc": "55", "full_soc": "-1", "energy_capacity": "", "energy_request": "31000", "evccid": ""}
    assert changes.ev_params(args) == ({"current_soc": "55", "energy_request": "31000"}, [])


def test_ev_params_refuse_control_characters_and_lone_surrogates():
    """Issue 13.14: a lone surrogate in evccid made /api/status undecodable."""
    for bad in ("\ud800", "E1\x00", "a\nb", "\x7f"):
        params, errors = changes.ev_params({"current_soc": "50", "evccid": bad})
        assert "evccid" not in params and errors and errors[0].startswith("ev_state.evccid: "), (bad, errors)


POLICIES = {"a": (), "b": (), "c": ()}
entries_st = st.lists(st.fixed_dictionaries(
    {"policy": st.sampled_from(sorted(POLICIES)),
     "start": st.integers(0, 1439).map(lambda m: "%02d:%02d" % divmod(m, 60)),
     "days": st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True)},
    optional={"end": st.integers(0, 1439).map(lambda m: "%02d:%02d" % divmod(m, 60))}), max_size=5)


def reference(entries, weekday, minute):
    """The schedule's meaning, the slow way: the first window covering now, else the
    switch that started most recently, walking back minute by minute over a week."""
    now = weekday * 1440 + minute
    for e in entries:
        if "end" not in e:
            continue
        start, end = schedule.minute(e["start"]), schedule.minute(e["end"])
        length = (end - start) % 1440
        for back in range(length):
            t = (now - back) % (7 * 1440)
            if t % 1440 == start and t // 1440 in e["days"]:
                return e["policy"]
    for back in range(7 * 1440):
        t = (now - back) % (7 * 1440)
        for e in entries:
            if "end" not in e and t % 1440 == schedule.minute(e["start"]) and t // 1440 in e["days"]:
                return e["policy"]
    return None


@settings(max_examples=120, deadline=None)
@given(entries=entries_st, weekday=st.integers(0, 6), minute=st.integers(0, 1439))
def test_active_agrees_with_the_brute_force_reference(entries, weekday, minute):
    clean, errors = schedule.validate(entries, "schedule", POLICIES)
    if errors:  # an empty window (end == start) is refused; nothing to compare
        assert any("end" in e for e in errors)
        return
    got = schedule.active(clean, weekday, minute)
    assert (got[0] if got else None) == reference(clean, weekday, minute)
