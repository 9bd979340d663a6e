"""config.json on flash: missing, truncated or garbage files say why; saves are atomic."""
import os

import gc

from p1gen import telegram, control  # noqa: F401  the big ones first, while the heap is unfragmented

gc.collect()
from p1gen.app import config  # noqa: E402

config.validate({})

_n = [0]


def tmp_path(name):
    _n[0] += 1
    return "/tmp/p1gen-test-config-%d-%d-%s" % (os.getpid() if hasattr(os, "getpid") else 0, _n[0], name)


def remove(*paths):
    for p in paths:
        try:
            os.remove(p)
        except OSError:
            pass


def test_missing_file():
    raw, cfg, errors = config.load(tmp_path("missing.json"))
    assert raw == {} and cfg["source"] == {"kind": "none"}
    assert len(errors) == 1 and "not found" in errors[0] and "failsafe" in errors[0]


def test_truncated_file():
    path = tmp_path("truncated.json")
    with open(path, "w") as f:
        f.write('{"control": {"fuse_a": 25}, "source": {"kind": "sma", "ho')
    raw, cfg, errors = config.load(path)
    remove(path)
    assert raw is None
    assert len(errors) == 1 and "truncated" in errors[0], errors


def test_garbage_file():
    path = tmp_path("garbage.json")
    with open(path, "w") as f:
        f.write("fuse_a = 25\n")
    raw, _, errors = config.load(path)
    remove(path)
    assert raw is None and "not valid JSON" in errors[0], errors


def test_a_list_is_not_a_config():
    path = tmp_path("list.json")
    with open(path, "w") as f:
        f.write("[1, 2]")
    raw, _, errors = config.load(path)
    remove(path)
    assert raw is None and "one JSON object" in errors[0], errors


def test_save_is_atomic_and_round_trips():
    path = tmp_path("saved.json")
    raw = {"control": {"fuse_a": 32}, "wifi": {"ssid": "x"}}
    config.save(path, raw)
    assert config.read(path) == (raw, [])
    leftovers = [n for n in os.listdir("/tmp") if n.startswith(path.rsplit("/", 1)[1]) and n.endswith(".tmp")]
    assert leftovers == []
    remove(path)


def test_save_keeps_a_broken_file_aside():
    path = tmp_path("broken.json")
    bad = "/tmp/" + config.BAD_COPY
    remove(bad)
    with open(path, "w") as f:
        f.write('{"control": ')
    config.save(path, {"control": {"fuse_a": 20}})
    with open(bad) as f:
        assert f.read() == '{"control": '
    assert config.read(path)[0] == {"control": {"fuse_a": 20}}
    remove(path, bad)


def write_pieces(path, piece, times):
    """A file of ``piece`` repeated (in pieces: the test heap has no room for 200 KB at once)."""
    with open(path, "wb") as f:
        for _ in range(times):
            f.write(piece)


def test_broken_files_of_any_kind_give_an_error_never_an_exception():
    """Issue 13.7: bytes FF FE 00 01 raised UnicodeError at boot, a 10 KB "[[[[" file and a
    200 KB file MemoryError: no telegram was ever sent."""
    cases = [(b"\xff\xfe\x00\x01", 1, "not valid JSON"), (b"[" * 1024, 10, "nested deeper than 8"),
             (b"x" * 1000, 200, "too large (200000 bytes"), (b'{"a": "\xff\xfe"}', 1, "not valid JSON"),
             (b"{" * 100 + b"}" * 100, 1, "nested deeper"), (b"\x00" * 64, 1, "not valid JSON"),
             (b'{"wifi": {"ssid": "\\ud800"}}', 1, None)]
    for piece, times, why in cases:
        path = tmp_path("broken.json")
        write_pieces(path, piece, times)
        raw, cfg, errors = config.load(path)
        remove(path)
        assert errors, piece[:8]
        assert cfg["source"] == {"kind": "none"} and cfg["web"]["enabled"] is True
        if why is not None:
            assert raw is None and why in errors[0], (piece[:8], errors)
        assert "failsafe" in errors[0] or "wifi.ssid" in errors[0], errors


def limits_config():
    """A config with every list and text at the longest the validator accepts."""
    from p1gen.app import schedule
    from p1gen.options import LIST_MAX, TEXT_MAX

    text = "\u00e9" * TEXT_MAX  # two bytes each in UTF-8
    days = [0, 1, 2, 3, 4, 5, 6]  # each weekday once (a list setting holds at most LIST_MAX)
    assert len(days) < LIST_MAX
    policies = config.policy_options()
    entries = []
    for i in range(schedule.MAX_ENTRIES):
        name = sorted(policies)[i % len(policies)]
        entries.append({"policy": name, "start": "%02d:00" % i, "end": "%02d:30" % i, "days": days,
                        "settings": config.options.defaults(policies[name])})
    return {"wifi": {"ssid": "s" * 32, "password": text, "hostname": "h" * 32, "country": "NL",
                     "ntp": "192.168.100.100"},
            "web": {"password": text, "port": 65535, "session_minutes": 4320},
            "source": {"kind": "none"},  # a source's settings are numbers and an address: the test heap has no room
            "policies": {name: config.options.defaults(policies[name]) for name in policies},
            "schedule": entries}


def test_the_largest_config_saves_and_reads_back():
    """Issue 13.6: a schedule of 12 entries made config.save fail with MemoryError in 9 of
    10 tries; save and read now work at the limit of every list and string."""
    raw = limits_config()
    cfg, errors = config.validate(raw)
    assert errors == [], errors
    path = tmp_path("largest.json")
    for _ in range(5):
        config.save(path, raw)
        size = os.stat(path)[6]
        assert size <= config.MAX_FILE, size
        again, errors = config.read(path)
        assert errors == [] and again == raw
    remove(path)


def test_text_refuses_control_characters_and_lone_surrogates():
    """Issue 13.14: "\\ud800" was accepted and written as bytes that are not UTF-8."""
    import json

    for bad in ('"\\ud800"', '"a\\u0000b"', '"tab\\there"', '"\\u007f"', '"\\udc00x"'):
        raw = json.loads('{"wifi": {"ssid": %s, "hostname": "p1gen"}}' % bad)
        errors = config.validate(raw)[1]
        assert errors and errors[0].startswith("wifi.ssid: must "), (bad, errors)
    assert config.validate({"wifi": {"ssid": "caf\u00e9 \u2603"}})[1] == []
    errors = config.validate({"wifi": {"ssid": "s" * 33}})[1]
    assert errors == ["wifi.ssid: must be at most 32 characters, got 33"], errors
    errors = config.validate({"wifi": {"ssid": "\u00e9" * 17}})[1]  # 34 bytes
    assert errors and "32 bytes" in errors[0], errors


def test_cross_field_rules():
    """Issue 13.15: min_a 32 with max_a 6, or a 3-phase car on 1 phase, were accepted."""
    errors = config.validate({"control": {"min_a": 32, "max_a": 6}})[1]
    assert errors == ["control.min_a: must be at most max_a (6), got 32"], errors
    errors = config.validate({"control": {"phases": 1, "car_phases": 3}})[1]
    assert len(errors) == 1 and errors[0].startswith("control.car_phases: "), errors
    assert config.validate({"control": {"phases": 1, "car_phases": 1, "min_a": 16, "max_a": 16}})[1] == []


def test_country_codes():
    for bad in ("ZZZZ", "", "nl", "N1", 7):
        errors = config.validate({"wifi": {"country": bad}})[1]
        assert errors and errors[0].startswith("wifi.country: "), (bad, errors)
    assert config.validate({"wifi": {"country": "BE"}})[1] == []


def test_errors_never_echo_a_secret_whatever_its_type():
    """Issue 13.13: "wifi.password: must be text, got 8675309123" in the public status."""
    for value in (8675309123, [8675309123], {"pin": 8675309123}, True, 86753.09123):
        for section in ("wifi", "web"):
            errors = config.validate({section: {"password": value}})[1]
            assert errors and errors[0].startswith(section + ".password: must be text"), errors
            assert "8675309" not in " ".join(errors) and "pin" not in " ".join(errors), errors


def test_errors_are_short_and_few():
    raw = {"control": {}, "wifi": {"hostname": "x" * 5000}}
    for i in range(100):  # each would cost an error naming every allowed key (30 KB in all)
        raw["control"]["x%d" % i] = i
    errors = config.validate(raw)[1]
    assert len(errors) == config.options.MAX_ERRORS and errors[-1] == "... and more errors"
    assert max(len(e) for e in errors) < 400
