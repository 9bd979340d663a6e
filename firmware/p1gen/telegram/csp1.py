"""The Xemex CSP1 module shipped with Shell Recharge / NewMotion Home Advanced.

Line order, identifiers and widths as the module sends them (DSMR 4.0 framing).
Firmware V06 writes currents with one decimal; V05 wrote whole amps.
"""
from p1gen.telegram.template import NO_FAILURES, PHASE_POWERS

LOW_TARIFF_CODE = 1


def lines(integer_amps=False):
    amps = "{i%d:3}*A" if integer_amps else "{i%d:3.1}*A"
    return (
        "/XMX5XMXCQA0000020863",
        "",
        "1-3:0.2.8(40)",
        "0-0:1.0.0({time})",
        "0-0:96.1.1(4530303030303030303030303030303030)",
        "1-0:1.8.1({imp_low:6.3}*kWh)",
        "1-0:2.8.1({exp_low:6.3}*kWh)",
        "1-0:1.8.2({imp_normal:6.3}*kWh)",
        "1-0:2.8.2({exp_normal:6.3}*kWh)",
        "0-0:96.14.0({tariff:4})",
        "1-0:1.7.0({p_imp:2.3}*kW)",
        "1-0:2.7.0({p_exp:2.3}*kW)",
        "0-0:17.0.0(000.0*kW)",
        "0-0:96.3.10(1)",
    ) + NO_FAILURES + (
        "0-0:96.13.1(XMX_P1CS_V06)",
        "0-0:96.13.0()",
        "1-0:31.7.0(" + amps % 1 + ")",
        "1-0:51.7.0(" + amps % 2 + ")",
        "1-0:71.7.0(" + amps % 3 + ")",
    ) + PHASE_POWERS
