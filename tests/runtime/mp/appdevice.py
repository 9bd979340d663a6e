"""A real Device on a throw-away config file, with the little of a board it needs (both runtimes)."""
import json
import os

from p1gen.app import config
from p1gen.app.device import Device

_n = [0]


class Wifi:
    up = True

    def isconnected(self):
        return self.up


class Board:
    NAME = "test"

    def __init__(self):
        self.wifi = Wifi()


def device_with(raw):
    """A Device on a fresh config file holding raw (a dict, text, or None for no file); (device, path)."""
    _n[0] += 1
    path = "/tmp/p1gen-test-device-%d-%d.json" % (os.getpid() if hasattr(os, "getpid") else 0, _n[0])
    if raw is not None:
        with open(path, "w") as f:
            f.write(raw if type(raw) is str else json.dumps(raw))
    return Device(Board(), path), path


def cleanup(path):
    for p in (path, "/tmp/" + config.BAD_COPY):
        try:
            os.remove(p)
        except OSError:
            pass


def device(raw):
    """A Device configured from raw, its config file already removed."""
    dev, path = device_with(raw)
    cleanup(path)
    return dev
