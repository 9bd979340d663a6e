"""Properties of the source code paths, checked against independent references:
struct and fractions for the decoders, pymodbus's own decoder for the SMA map,
and any chunking of a P1 byte stream for the framer."""
from fractions import Fraction

from hypothesis import given, settings, strategies as st
from pymodbus.client import ModbusTcpClient

from p1gen import telegram
from p1gen.reading import Reading
from p1gen.sources import modbus, p1meter, solaredge
from p1host.sim import sma
from srchelp import free_port, sunny_site

import struct


@given(st.integers(-(2 ** 31) + 1, 2 ** 31 - 1))
def test_s32_matches_struct(value):
    regs = list(struct.unpack(">HH", struct.pack(">i", value)))
    assert modbus.s32(regs, 0) == value


@given(st.integers(0, 2 ** 32 - 2))
def test_u32_matches_struct(value):
    regs = list(struct.unpack(">HH", struct.pack(">I", value)))
    assert modbus.u32(regs, 0) == value


@given(st.floats(-1e6, 1e6, width=32))
def test_float32_swapped_matches_struct(value):
    hi, lo = struct.unpack(">HH", struct.pack(">f", value))
    assert modbus.float32_swapped([lo, hi], 0) == round(value)


@given(st.integers(-32767, 32767), st.integers(-6, 4), st.integers(0, 3))
def test_scaled_rounds_like_exact_arithmetic(raw, sf, exp):
    exact = Fraction(raw) * Fraction(10) ** (sf + exp)
    got = solaredge.scaled(raw, sf, exp)
    assert abs(got - exact) <= Fraction(1, 2)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 300), min_size=1, max_size=40), st.binary(max_size=40).filter(lambda b: b"/" not in b))
def test_framer_finds_every_telegram_however_the_bytes_are_cut(cuts, noise):
    telegrams = [telegram.build(Reading(current_ma=(1000 * i, 2000, -500)), "dsmr5") for i in range(3)]
    stream = noise + b"".join(telegrams)
    framer = p1meter.Framer()
    out, pos, i = [], 0, 0
    while pos < len(stream):
        step = cuts[i % len(cuts)]
        out.extend(framer.feed(stream[pos:pos + step]))
        pos += step
        i += 1
    assert out == telegrams


def test_sma_map_decoded_by_pymodbus_matches_the_site():
    site = sunny_site()
    port = free_port()
    with sma.simulator(site, port=port):
        client = ModbusTcpClient("127.0.0.1", port=port, timeout=2)
        assert client.connect()
        try:
            def read(address, count, kind):
                regs = client.read_input_registers(address, count=count, device_id=3).registers
                return client.convert_from_registers(regs, kind)

            s32, u32 = ModbusTcpClient.DATATYPE.INT32, ModbusTcpClient.DATATYPE.UINT32
            assert read(30775, 2, s32) == site.pv_w
            draw, feed = read(30865, 4, s32)
            assert draw - feed == site.grid_w()
            volts = read(31253, 6, u32)
            assert [v // 10 for v in volts] == list(site.voltage_dv)
            feeds, draws = read(31259, 6, u32), read(31265, 6, u32)
            assert [d - f for d, f in zip(draws, feeds)] == site.grid_phase_w()
            assert read(30845, 2, u32) == site.battery_soc
            charge, discharge = read(31393, 4, u32)
            assert charge - discharge == site.battery_w
            assert read(30231, 2, u32) == site.rated_w
        finally:
            client.close()
