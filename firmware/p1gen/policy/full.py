"""``full``: report the real load, so the charge point behaves as with the original meter."""
from p1gen.policy import PASS

NAME = "full"
OPTIONS = ()


def budget(now, settings):
    return PASS
