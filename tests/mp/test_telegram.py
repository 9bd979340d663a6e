from mptest import raises

from p1gen import telegram
from p1gen.reading import Reading, EnergyCounter
from p1gen.telegram import clock
from p1gen.telegram.crc import crc16
from p1vectors import V5, FLUVIUS


def _crc_of(text):
    data = text.encode()
    bang = data.find(b"!")
    return crc16(data, 0, bang + 1), int(data[bang + 1:bang + 5], 16)


def test_crc_check_value():
    assert crc16(b"123456789") == 0xBB3D


def test_crc_of_published_telegrams():
    for text in (V5, FLUVIUS):
        computed, given = _crc_of(text)
        assert computed == given, "%04X != %04X" % (computed, given)


def test_parse_published_dsmr5():
    r = telegram.parse(V5)
    assert r.import_wh == (4426, 2399)  # 1.8.1 is the low tariff in NL
    assert r.export_wh == (2444, 0)
    assert r.low_tariff is False
    assert r.current_ma == (480, 440, 860)
    assert r.voltage_dv == (2300, 2300, 2290)
    assert r.phase_w == (70, 32, 142)
    assert r.import_w() == 244


def test_parse_published_fluvius():
    r = telegram.parse(FLUVIUS)
    assert r.import_wh == (15758, 34)  # (low, normal): 1.8.2 is night in Belgium
    assert r.export_wh == (11, 0)
    assert r.low_tariff is False  # 0001 is the day tariff
    assert r.avg_demand_w == 2351 and r.peak_demand_w == 2589
    assert r.voltage_dv == (2347, 2347, 2347)
    # 2020-05-12 13:54:09 summer time in Brussels is 11:54:09 UTC
    assert r.utc_s == clock.days_from_civil(2020, 5, 12) * 86400 + 11 * 3600 + 54 * 60 + 9


def _reading(**kw):
    args = dict(current_ma=(16000, -5300, 200), voltage_dv=(2301, 2299, 2400), import_wh=(1234567, 89),
                export_wh=(5, 6), utc_s=1795250918)
    args.update(kw)
    return Reading(**args)


def test_round_trip_every_profile():
    for profile in telegram.PROFILES:
        for low in (False, True):
            r = _reading(low_tariff=low, voltage_dv=None if profile == "csp1" else (2301, 2299, 2400),
                         current_ma=(16000, -5000, 0) if profile == "dsmr5" else (16000, -5300, 200))
            back = telegram.parse(telegram.build(r, profile))
            assert back == r, "%s: %r != %r" % (profile, back, r)


def test_emucs_capacity_registers_round_trip():
    r = _reading(avg_demand_w=2351, peak_demand_w=4318, peak_utc_s=1795250000)
    back = telegram.parse(telegram.build(r, "emucs"))
    assert (back.avg_demand_w, back.peak_demand_w, back.peak_utc_s) == (2351, 4318, 1795250000)


def test_frame_is_fixed_width_crlf_and_under_1024_bytes():
    for profile in telegram.PROFILES:
        small = telegram.build(_reading(current_ma=(0, 0, 0), import_wh=(0, 0)), profile)
        big = telegram.build(_reading(current_ma=(999000, -999000, 999000), import_wh=(999999999, 1)), profile)
        assert len(small) == len(big) < 1024
        for t in (small, big):
            assert t.startswith(b"/") and t.find(b"/", 1) < 0
            assert t.endswith(b"\r\n")
            body = t[:t.find(b"!")]
            assert body.count(b"\n") == body.count(b"\r\n")
            crc = t[t.find(b"!") + 1:-2]
            assert len(crc) == 4 and crc == crc.upper()


def test_csp1_widths_follow_the_module():
    t = telegram.build(_reading(current_ma=(24000, 6000, 0)), "csp1").decode()
    assert "1-0:31.7.0(024.0*A)\r\n" in t
    assert "1-3:0.2.8(40)\r\n" in t and "0-0:96.13.1(XMX_P1CS_V06)\r\n" in t
    t = telegram.build(_reading(current_ma=(24000, 6000, 0)), "csp1", integer_amps=True).decode()
    assert "1-0:31.7.0(024*A)\r\n" in t


def test_currents_round_towards_import():
    # 10.01 A imported must never be shown as 10 A; 10.9 A exported never as 11 A
    t = telegram.build(_reading(current_ma=(10010, -10900, 0)), "dsmr5").decode()
    assert "1-0:31.7.0(011*A)" in t and "1-0:51.7.0(010*A)" in t


def test_every_field_tells_the_same_story():
    r = _reading(current_ma=(16000, 8000, -4000), voltage_dv=(2300, 2300, 2300))
    t = telegram.build(r, "dsmr5").decode()
    assert "1-0:21.7.0(03.680*kW)" in t and "1-0:41.7.0(01.840*kW)" in t
    assert "1-0:62.7.0(00.920*kW)" in t and "1-0:61.7.0(00.000*kW)" in t
    assert "1-0:1.7.0(04.600*kW)" in t and "1-0:2.7.0(00.000*kW)" in t


def test_out_of_range_is_clamped_or_refused():
    r = Reading(current_ma=(1500000, -2000000, 5))
    assert r.current_ma == (999000, -999000, 5)
    assert "L2" in str(raises(ValueError, Reading, current_ma=(0, float("nan"), 0)))
    assert "L3" in str(raises(ValueError, Reading, current_ma=(0, 0, None)))
    assert "voltage L1" in str(raises(ValueError, Reading, current_ma=(0, 0, 0), voltage_dv=(-1, 2300, 2300)))
    assert "negative" in str(raises(ValueError, Reading, current_ma=(0, 0, 0), import_wh=(-1, 0)))
    assert "three" in str(raises(ValueError, Reading, current_ma=(1, 2)))
    assert "profile" in str(raises(ValueError, telegram.build, r, "dsmr9"))


def test_parse_rejects_bad_crc_and_half_telegrams():
    good = telegram.build(_reading(), "dsmr5")
    bad = good.replace(b"016*A", b"017*A")
    assert "CRC" in str(raises(telegram.TelegramError, telegram.parse, bad))
    assert "half" in str(raises(telegram.TelegramError, telegram.parse, good[:300]))
    assert "start" in str(raises(telegram.TelegramError, telegram.parse, b"garbage"))


def test_summer_time_follows_the_eu_rule():
    # 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC
    start = clock.days_from_civil(2026, 3, 29) * 86400 + 3600
    end = clock.days_from_civil(2026, 10, 25) * 86400 + 3600
    assert not clock.is_summer(start - 1) and clock.is_summer(start)
    assert clock.is_summer(end - 1) and not clock.is_summer(end)
    assert clock.local_fields(start) == (26, 3, 29, 3, 0, 0, True)
    assert clock.local_fields(start - 1) == (26, 3, 29, 1, 59, 59, False)
    # 2024: 31 March and 27 October
    assert clock.is_summer(clock.days_from_civil(2024, 3, 31) * 86400 + 3600)
    assert not clock.is_summer(clock.days_from_civil(2024, 10, 27) * 86400 + 3600)


def test_calendar_round_trip():
    for days in range(-800, 40000, 37):
        y, m, d = clock.civil_from_days(days)
        assert clock.days_from_civil(y, m, d) == days


def test_energy_counter_is_exact_and_never_decreases():
    c = EnergyCounter()
    last = 0
    for _ in range(3600):
        c.add(1000, 0, 1000, low_tariff=False)
        total = c.import_wh[1]
        assert total >= last
        last = total
    assert c.import_wh == [0, 1000]
    c.add(0, 7200, 500, low_tariff=True)
    assert c.export_wh == [1, 0]


def _with_crc(data):
    bang = data.find(b"!")
    return data[:bang + 1] + b"%04X\r\n" % crc16(data, 0, bang + 1)


def test_parse_names_the_line_it_cannot_read():
    good = telegram.build(_reading(), "dsmr5")
    err = raises(telegram.TelegramError, telegram.parse, _with_crc(good.replace(b"(016*A)", b"(0x6*A)")))
    assert "1-0:31.7.0" in str(err)
    err = raises(telegram.TelegramError, telegram.parse, _with_crc(good.replace(b"1.0.0(261121", b"1.0.0(26112X")))
    assert "time stamp" in str(err)
    assert telegram.parse(_with_crc(good)) == telegram.parse(good)
