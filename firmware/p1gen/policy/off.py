"""``off``: no charging; the charge point sees a full fuse and pauses at once."""
from p1gen.policy import STOP

NAME = "off"
OPTIONS = ()


def budget(now, settings):
    return STOP
