"""A Belgian e-MUCS 1.7.1 meter (Fluvius): amps with two decimals, capacity tariff
registers 1.4.0 and 1.6.0, and tariff 1 = day (normal), 2 = night (low)."""
from p1gen.telegram.template import PHASE_POWERS

LOW_TARIFF_CODE = 2


def lines():
    return (
        "/FLU5\\253769484_A",
        "",
        "0-0:96.1.4(50217)",
        "0-0:96.1.1(3153414733313031303231363035)",
        "0-0:1.0.0({time})",
        "1-0:1.8.1({imp_normal:6.3}*kWh)",
        "1-0:1.8.2({imp_low:6.3}*kWh)",
        "1-0:2.8.1({exp_normal:6.3}*kWh)",
        "1-0:2.8.2({exp_low:6.3}*kWh)",
        "1-0:1.4.0({avg:2.3}*kW)",
        "1-0:1.6.0({peak_time})({peak:2.3}*kW)",
        "0-0:96.14.0({tariff:4})",
        "1-0:1.7.0({p_imp:2.3}*kW)",
        "1-0:2.7.0({p_exp:2.3}*kW)",
    ) + PHASE_POWERS + (
        "1-0:32.7.0({v1:3.1}*V)",
        "1-0:52.7.0({v2:3.1}*V)",
        "1-0:72.7.0({v3:3.1}*V)",
        "1-0:31.7.0({i1:3.2}*A)",
        "1-0:51.7.0({i2:3.2}*A)",
        "1-0:71.7.0({i3:3.2}*A)",
        "0-0:96.3.10(1)",
        "0-0:17.0.0(999.9*kW)",
        "1-0:31.4.0(999*A)",
        "0-0:96.13.0()",
    )
