"""Register decoding, SunSpec scale factors and model scan, source settings (CPython and MicroPython)."""
import struct

from mptest import raises, run

from p1gen import sources
from p1gen.sources import modbus, solaredge


def test_s32_and_u32_decode_signs_and_nan_markers():
    assert modbus.s32([0xFFFF, 0xFC18], 0) == -1000
    assert modbus.s32([0x0000, 0x0BB8], 0) == 3000
    assert modbus.s32([0x8000, 0x0000], 0) is None
    assert modbus.u32([0x0001, 0x0000], 0) == 65536
    assert modbus.u32([0xFFFF, 0xFFFF], 0) is None
    assert modbus.u32([0, 0, 0x8000, 0x0001], 2) == 0x80000001


def test_s16_and_u16_not_implemented_markers():
    assert modbus.s16([0xFFFE], 0) == -2
    assert modbus.s16([0x8000], 0) is None
    assert modbus.u16([0xFFFF], 0) is None
    assert modbus.u16([2301], 0) == 2301


def test_float32_word_swapped():
    hi, lo = struct.unpack(">HH", struct.pack(">f", -1234.4))
    assert modbus.float32_swapped([lo, hi], 0) == -1234
    assert modbus.float32_swapped([0xFFFF, 0x7FFF], 0) is None  # NaN
    assert modbus.float32_swapped([0x0000, 0x7F80], 0) is None  # infinity


def test_register_text_stops_at_nul():
    regs = list(struct.unpack(">4H", b"SunS\0\0\0\0"))
    assert modbus.text(regs, 0, 4) == "SunS"


def test_scaled_applies_power_of_ten_with_rounding():
    assert solaredge.scaled(12345, -2) == 123
    assert solaredge.scaled(12355, -2) == 124
    assert solaredge.scaled(-12355, -2) == -124
    assert solaredge.scaled(23, 2) == 2300
    assert solaredge.scaled(2301, -1, 1) == 2301  # V with SF -1 -> dV
    assert solaredge.scaled(523, -2, 3) == 5230  # A with SF -2 -> mA
    assert solaredge.scaled(None, 0) is None
    assert solaredge.scaled(5, None) is None
    assert solaredge.scaled(5, -32768) is None


def _reader(regs):
    async def read(address, count):
        return [regs.get(address + i, 0) for i in range(count)]
    return read


def test_sunspec_scan_follows_the_model_chain():
    regs = {40000: 0x5375, 40001: 0x6E53, 40002: 1, 40003: 65, 40069: 103, 40070: 50,
            40121: 1, 40122: 65, 40188: 203, 40189: 105, 40295: 0xFFFF, 40296: 0}
    models = run(solaredge.scan(_reader(regs)))
    assert models == [(1, 40002), (103, 40069), (1, 40121), (203, 40188)]


def test_sunspec_scan_refuses_a_map_without_suns():
    e = raises(ValueError, run, solaredge.scan(_reader({40000: 0x1234})))
    assert "SunS" in str(e)


def test_settings_get_their_kind_defaults():
    settings, errors = sources.validate({"kind": "sma", "host": "192.168.1.20"})
    assert errors == []
    assert settings["port"] == 502 and settings["unit"] == 3 and settings["poll_ms"] >= 1000
    assert settings["timeout_ms"] <= 2000
    settings, errors = sources.validate({"kind": "solaredge", "host": "10.0.0.7"})
    assert errors == [] and settings["port"] == 1502 and settings["unit"] == 1


def test_settings_errors_name_the_key():
    _, errors = sources.validate({"kind": "sma", "host": "inverter.local", "unit": 2})
    assert len(errors) == 2
    assert any("source.unit" in e and "at least 3" in e for e in errors)
    assert any("source.host" in e and "IPv4" in e for e in errors)
    _, errors = sources.validate({"kind": "homewizard", "host": "10.0.0.9", "poll_ms": 200})
    assert errors and "500" in errors[0]
    _, errors = sources.validate({"kind": "fronius"})
    assert errors and "sma" in errors[0]
    _, errors = sources.validate({"kind": "sma", "timeout_ms": 5000})
    assert errors and "2000" in errors[0]


def test_make_refuses_bad_settings_with_every_reason():
    e = raises(ValueError, sources.make, {"kind": "sma", "host": "nas", "port": 0})
    assert "source.host" in str(e) and "source.port" in str(e)


def test_make_builds_the_kinds_source():
    for kind, settings in (("sma", {"host": "10.0.0.2"}), ("solaredge", {"host": "10.0.0.3"}),
                           ("homewizard", {"host": "10.0.0.4"}), ("p1", {})):
        settings["kind"] = kind
        source = sources.make(settings)
        assert source.KIND == kind
        assert kind in source.name or source.KIND == "p1"
