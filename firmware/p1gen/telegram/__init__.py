"""P1 telegrams: build one from a Reading in a profile's exact layout, or parse one.

    telegram.build(reading, "csp1") -> bytes, CRLF line ends, "!" + CRC-16/ARC
    telegram.parse(data) -> Reading (raises TelegramError on a bad CRC or telegram)
"""

from p1gen.options import Opt
from p1gen.telegram import clock, csp1, dsmr5, emucs
from p1gen.telegram.parse import TelegramError, parse  # noqa: F401
from p1gen.telegram.template import Template

PROFILES = {"csp1": csp1, "dsmr5": dsmr5, "emucs": emucs}

OPTIONS = (
    Opt("profile", str, "csp1", "telegram layout the charger expects: csp1 (Shell Recharge / NewMotion "
        "with Xemex CSP1), dsmr5 (Dutch DSMR 5), emucs (Belgian e-MUCS)", choices=tuple(PROFILES)),
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
        module = PROFILES.get(profile)
        if module is None:
            raise ValueError("profile: %r is not one of %s" % (profile, ", ".join(PROFILES)))
        if integer_amps and module is not csp1:
            raise ValueError("integer_amps: only the csp1 profile has whole-amp firmware")
        lines = module.lines(integer_amps) if module is csp1 else module.lines()
        tpl = _templates[key] = Template(lines, module.LOW_TARIFF_CODE)
    return tpl


def build(reading, profile="csp1", integer_amps=False, utc_offset_min=clock.CET_MIN, eu_dst=True):
    """One complete telegram for reading, as bytes, ready for a single UART write."""
    return template(profile, integer_amps).render(reading, utc_offset_min, eu_dst)
