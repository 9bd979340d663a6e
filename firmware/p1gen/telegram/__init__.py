"""P1 telegrams: build one from a Reading in a profile's exact layout, or parse one.

    telegram.build(reading, "csp1") -> bytes, CRLF line ends, "!" + CRC-16/ARC
    telegram.parse(data) -> Reading (raises TelegramError on a bad CRC or telegram)

A profile's module (its lines) and the parser are imported on first use (``template``,
``__getattr__``): a board runs one profile and parses only with the p1 source.
"""

from p1gen.options import Opt
from p1gen.telegram import clock
from p1gen.telegram.template import Template

PROFILES = ("csp1", "dsmr5", "emucs")

OPTIONS = (
    Opt("profile", str, "csp1", "telegram layout the charger expects: csp1 (Shell Recharge / NewMotion "
        "with Xemex CSP1), dsmr5 (Dutch DSMR 5), emucs (Belgian e-MUCS)", choices=PROFILES),
    Opt("integer_amps", bool, False, "csp1 only: whole amps as CSP1 firmware V05 sent them (V06 sends 024.0)"),
    Opt("utc_offset_min", int, clock.CET_MIN, "local standard time offset from UTC in minutes", lo=-720, hi=840),
    Opt("eu_dst", bool, True, "apply EU summer time to the telegram clock"),
)

_templates = {}


def template(profile="csp1", integer_amps=False):
    """The compiled template of a profile (compiled once, then reused)."""
    key = (profile, integer_amps)
    tpl = _templates.get(key)
    if tpl is None:
        if profile not in PROFILES:
            raise ValueError("profile: %r is not one of %s" % (profile, ", ".join(PROFILES)))
        if integer_amps and profile != "csp1":
            raise ValueError("integer_amps: only the csp1 profile has whole-amp firmware")
        module = __import__("p1gen.telegram." + profile, None, None, ("lines",))
        lines = module.lines(integer_amps) if profile == "csp1" else module.lines()
        tpl = _templates[key] = Template(lines, module.LOW_TARIFF_CODE)
    return tpl


def build(reading, profile="csp1", integer_amps=False, utc_offset_min=clock.CET_MIN, eu_dst=True):
    """One complete telegram for reading, as bytes, ready for a single UART write."""
    return template(profile, integer_amps).render(reading, utc_offset_min, eu_dst)


def __getattr__(name):
    """``parse`` and ``TelegramError`` (p1gen.telegram.parser), imported on first use."""
    if name not in ("parse", "TelegramError"):
        raise AttributeError(name)
    module = __import__("p1gen.telegram.parser", None, None, (name,))
    globals()["parse"], globals()["TelegramError"] = module.parse, module.TelegramError
    return globals()[name]
