"""A Dutch DSMR 5.0.2 meter: whole amps, voltages, per-phase power."""
from p1gen.telegram.template import NO_FAILURES, PHASE_POWERS

LOW_TARIFF_CODE = 1


def lines():
    return (
        "/XXX5P1GEN-DSMR5",
        "",
        "1-3:0.2.8(50)",
        "0-0:1.0.0({time})",
        "0-0:96.1.1(4530303030303030303030303030303030)",
        "1-0:1.8.1({imp_low:6.3}*kWh)",
        "1-0:1.8.2({imp_normal:6.3}*kWh)",
        "1-0:2.8.1({exp_low:6.3}*kWh)",
        "1-0:2.8.2({exp_normal:6.3}*kWh)",
        "0-0:96.14.0({tariff:4})",
        "1-0:1.7.0({p_imp:2.3}*kW)",
        "1-0:2.7.0({p_exp:2.3}*kW)",
    ) + NO_FAILURES + (
        "0-0:96.13.0()",
        "1-0:32.7.0({v1:3.1}*V)",
        "1-0:52.7.0({v2:3.1}*V)",
        "1-0:72.7.0({v3:3.1}*V)",
        "1-0:31.7.0({i1:3}*A)",
        "1-0:51.7.0({i2:3}*A)",
        "1-0:71.7.0({i3:3}*A)",
    ) + PHASE_POWERS
