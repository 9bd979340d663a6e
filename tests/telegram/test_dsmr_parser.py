"""dsmr_parser, the parser Home Assistant and dsmr-reader use, reads every profile
with CRC validation on and gets back the values put in."""
from decimal import Decimal

from dsmr_parser import telegram_specifications
from dsmr_parser.parsers import TelegramParser
from hypothesis import given, settings, strategies as st

from p1gen import telegram
from p1gen.reading import Reading

SPEC = {"csp1": telegram_specifications.V5, "dsmr5": telegram_specifications.V5,
        "emucs": telegram_specifications.BELGIUM_FLUVIUS}
DECIMALS = {"csp1": 1, "dsmr5": 0, "emucs": 2}

currents = st.tuples(*[st.integers(-999000, 999000)] * 3)
voltages = st.tuples(*[st.integers(1800, 2600)] * 3)
counters = st.tuples(st.integers(0, 999999999), st.integers(0, 999999999))
moments = st.integers(978307200, 3124137599)  # 2001 .. 2068: dsmr_parser reads a two-digit 69 as 1969


def _amps_shown(ma, decimals):
    """What the profile shows: the magnitude, rounded towards import."""
    div = 10 ** (3 - decimals)
    shown = -((-ma) // div) if ma >= 0 else (-ma) // div
    return Decimal(shown) / (10 ** decimals)


def _check(profile, reading, integer_amps=False):
    data = telegram.build(reading, profile, integer_amps=integer_amps).decode()
    parsed = TelegramParser(SPEC[profile], apply_checksum_validation=True).parse(data, throw_ex=True)
    decimals = 0 if integer_amps else DECIMALS[profile]
    kw = lambda w: Decimal(w) / 1000  # noqa: E731
    names = ("L1", "L2", "L3")
    for i, name in enumerate(names):
        assert getattr(parsed, "INSTANTANEOUS_CURRENT_" + name).value == _amps_shown(reading.current_ma[i], decimals)
        w = reading.phase_w[i]
        assert getattr(parsed, "INSTANTANEOUS_ACTIVE_POWER_%s_POSITIVE" % name).value == kw(max(w, 0))
        assert getattr(parsed, "INSTANTANEOUS_ACTIVE_POWER_%s_NEGATIVE" % name).value == kw(max(-w, 0))
        if profile != "csp1":
            assert getattr(parsed, "INSTANTANEOUS_VOLTAGE_" + name).value == Decimal(reading.voltage_dv[i]) / 10
    assert parsed.CURRENT_ELECTRICITY_USAGE.value == kw(reading.import_w())
    assert parsed.CURRENT_ELECTRICITY_DELIVERY.value == kw(reading.export_w())
    low, normal = (2, 1) if profile == "emucs" else (1, 2)
    assert getattr(parsed, "ELECTRICITY_USED_TARIFF_%d" % low).value == kw(reading.import_wh[0])
    assert getattr(parsed, "ELECTRICITY_USED_TARIFF_%d" % normal).value == kw(reading.import_wh[1])
    assert getattr(parsed, "ELECTRICITY_DELIVERED_TARIFF_%d" % low).value == kw(reading.export_wh[0])
    assert getattr(parsed, "ELECTRICITY_DELIVERED_TARIFF_%d" % normal).value == kw(reading.export_wh[1])
    code = low if reading.low_tariff else normal
    assert parsed.ELECTRICITY_ACTIVE_TARIFF.value == "%04d" % code
    if reading.utc_s is not None:
        assert int(parsed.P1_MESSAGE_TIMESTAMP.value.timestamp()) == reading.utc_s
    return parsed


@settings(max_examples=150, deadline=None)
@given(profile=st.sampled_from(sorted(SPEC)), current=currents, voltage=voltages, imp=counters, exp=counters,
       low=st.booleans(), utc=moments)
def test_dsmr_parser_reads_back_every_profile(profile, current, voltage, imp, exp, low, utc):
    reading = Reading(current_ma=current, voltage_dv=voltage, import_wh=imp, export_wh=exp, low_tariff=low, utc_s=utc)
    _check(profile, reading)


@settings(max_examples=50, deadline=None)
@given(current=currents, utc=moments)
def test_dsmr_parser_reads_csp1_whole_amps(current, utc):
    _check("csp1", Reading(current_ma=current, utc_s=utc), integer_amps=True)


@settings(max_examples=50, deadline=None)
@given(avg=st.integers(0, 99999), peak=st.integers(0, 99999), peak_at=moments)
def test_dsmr_parser_reads_emucs_capacity_tariff(avg, peak, peak_at):
    reading = Reading(current_ma=(0, 0, 0), avg_demand_w=avg, peak_demand_w=peak, peak_utc_s=peak_at, utc_s=peak_at)
    parsed = _check("emucs", reading)
    assert parsed.BELGIUM_CURRENT_AVERAGE_DEMAND.value == Decimal(avg) / 1000
    assert parsed.BELGIUM_MAXIMUM_DEMAND_MONTH.value == Decimal(peak) / 1000
    assert int(parsed.BELGIUM_MAXIMUM_DEMAND_MONTH.datetime.timestamp()) == peak_at


def test_dsmr_parser_agrees_on_the_crc_of_every_profile():
    reading = Reading(current_ma=(12345, -6789, 0), utc_s=1795250918)
    for profile in SPEC:
        TelegramParser.validate_checksum(telegram.build(reading, profile).decode())
