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
