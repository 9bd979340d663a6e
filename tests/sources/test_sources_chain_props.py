"""The whole chain for ANY register values (hypothesis): the real simulators serve arbitrary
values (NaN markers, 0, negative, u32 max, absurd magnitudes, keys missing, each phase on its
own), the firmware's source decodes them into the context, the controller reports, Output
composes the telegram and dsmr_parser reads it back with its CRC checked. Every call gives a
telegram with 0..999 A per phase, never under the import the served values show on a phase,
and a phase without a usable value of its own is reported as carrying the whole import."""
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from p1gen import policy
from p1host.sim import homewizard, sma, solaredge
from p1host.sim.site import SiteState
from srchelp import Chain, free_port

FUSE_A = 25
MAX_A = 999
PLAUSIBLE = 1000000  # W: what the firmware takes as a measurement (p1gen.context); draw - feed may land anywhere
NAN_U32, NAN_S32 = 0xFFFFFFFF, 0x80000000
NI16, NU16 = 0x8000, 0xFFFF

u32_watts = st.one_of(st.just(NAN_U32), st.just(0), st.just(0xFFFFFFFE), st.integers(0, 30000),
                      st.integers(10 ** 8, 0xFFFFFFFE))
s32_watts = st.one_of(st.just(NAN_S32), st.just(0), st.integers(-60000, 60000), st.just(0x7FFFFFFF),
                      st.integers(10 ** 8, 2 ** 31 - 1), st.integers(-(2 ** 31) + 1, -(10 ** 8)))
u32_centivolts = st.one_of(st.just(NAN_U32), st.just(0), st.just(5), st.integers(20000, 25000), st.just(0xFFFFFFFE))


def _volts(dv):
    """The voltage a phase is taken to have: its own if it is a mains voltage, else 230 V."""
    return dv if dv is not None and 2000 <= dv <= 2500 else 2300


def _bounds(phase_ma, total_w, volts):
    """The least each phase may be reported as, mA: its own measured import where it has one
    (the larger of current and power), else the whole import; None (the failsafe) when a phase
    has neither."""
    if total_w is None and None in phase_ma:
        return None
    out = []
    for i in range(3):
        if phase_ma[i] is not None:
            out.append(phase_ma[i])
        else:
            out.append(max(total_w, 0) * 10000 // volts[i])
    return out


def _serve(simulator):
    """One simulator and one chain reading it, for every example of a test."""
    sim = simulator.simulator(SiteState(), port=free_port()).start()
    chain = Chain({"kind": simulator.__name__.rsplit(".", 1)[1], "host": "127.0.0.1", "port": sim.port},
                  {"fuse_a": FUSE_A})
    yield sim, chain
    chain.close()
    sim.stop()


def _check(r, bounds, name):
    assert r["error"] is None, r
    for a in r["amps"]:
        assert 0 <= a <= MAX_A, r
    if bounds is None:  # no grid measurement at all: the failsafe
        assert r["status"]["failsafe"] is True and min(r["amps"]) >= FUSE_A, r
        return
    for i in range(3):
        assert r["amps"][i] * 1000 >= min(bounds[i], MAX_A * 1000), (i, bounds, r, name)
    if name == "off":
        assert min(r["amps"]) >= FUSE_A


@pytest.fixture(scope="module")
def sma_chain():
    yield from _serve(sma)


def _u32_regs(address, value):
    return {address: value >> 16, address + 1: value & 0xFFFF}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(draw=s32_watts, feed=s32_watts, phase_draw=st.tuples(*[u32_watts] * 3),
       phase_feed=st.tuples(*[u32_watts] * 3), volts=st.tuples(*[u32_centivolts] * 3),
       name=st.sampled_from(policy.NAMES))
@example(draw=-10 ** 8, feed=-10 ** 8 - 200001, phase_draw=(NAN_U32,) * 3, phase_feed=(NAN_U32,) * 3,
         volts=(NAN_U32,) * 3, name="full")  # two absurd totals whose difference is a real 200 kW
def test_sma_any_registers(sma_chain, draw, feed, phase_draw, phase_feed, volts, name):
    sim, chain = sma_chain
    regs = {}
    regs.update(_u32_regs(30865, draw))
    regs.update(_u32_regs(30867, feed))
    for i in range(3):
        regs.update(_u32_regs(31253 + 2 * i, volts[i]))
        regs.update(_u32_regs(31259 + 2 * i, phase_feed[i]))
        regs.update(_u32_regs(31265 + 2 * i, phase_draw[i]))
    sim.overrides = regs
    assert chain.device.controller.set_policy(name) == []
    r = chain.step(fresh=True)

    def signed(v):
        v &= 0xFFFFFFFF
        return v - 2 ** 32 if v & 0x80000000 else v

    if NAN_S32 in (draw, feed):  # no grid values: the source says so and sets none
        return _check(r, None, name)
    total = signed(draw) - signed(feed)
    total = total if abs(total) <= PLAUSIBLE else None
    dv = [_volts(None if v == NAN_U32 else v // 10) for v in volts]
    phase_ma = []
    for i in range(3):
        w = None if NAN_U32 in (phase_draw[i], phase_feed[i]) else phase_draw[i] - phase_feed[i]
        phase_ma.append(None if w is None or abs(w) > PLAUSIBLE else w * 10000 // dv[i])
    _check(r, _bounds(phase_ma, total, dv), name)


@pytest.fixture(scope="module")
def solaredge_chain():
    yield from _serve(solaredge)


i16 = st.one_of(st.just(NI16), st.just(0), st.integers(-32767, 32767), st.just(0x7FFF))
centiamps = st.one_of(st.just(NI16), st.just(0), st.integers(-20000, 20000), st.just(0x7FFF))
decivolts = st.one_of(st.just(NU16), st.just(0), st.just(5), st.integers(2000, 2500), st.just(0x7FFF))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(total=i16, watts=st.tuples(*[i16] * 3), amps=st.tuples(*[centiamps] * 3), volts=st.tuples(*[decivolts] * 3),
       w_sf=st.sampled_from([0, NI16]), name=st.sampled_from(policy.NAMES))
def test_solaredge_any_registers(solaredge_chain, total, watts, amps, volts, w_sf, name):
    sim, chain = solaredge_chain
    base = 40190  # the grid meter's data (model 203 at 40188)
    regs = {base + 16: total & 0xFFFF, base + 20: w_sf, base + 4: (-2) & 0xFFFF, base + 13: (-1) & 0xFFFF}
    for i in range(3):
        regs[base + 17 + i] = watts[i] & 0xFFFF
        regs[base + 1 + i] = amps[i] & 0xFFFF
        regs[base + 6 + i] = volts[i]
    sim.overrides = regs
    assert chain.device.controller.set_policy(name) == []
    r = chain.step(fresh=True)
    if total == NI16 or w_sf == NI16:
        return _check(r, None, name)

    def s16(v):
        return None if v == NI16 else v - 0x10000 if v >= 0x8000 else v

    dv = [_volts(None if v == NU16 else v) for v in volts]
    phase_ma = []
    for i in range(3):
        w = s16(watts[i])
        w = None if w is None else -w  # the meter counts export positive
        a = s16(amps[i])
        a = None if a is None else abs(a) * 10 * (-1 if w is not None and w < 0 else 1)
        candidates = [x for x in (a, None if w is None else w * 10000 // dv[i]) if x is not None]
        phase_ma.append(max(candidates) if candidates else None)
    _check(r, _bounds(phase_ma, -s16(total), dv), name)


@pytest.fixture(scope="module")
def homewizard_chain():
    yield from _serve(homewizard)


MISSING = object()
watts_json = st.one_of(st.just(MISSING), st.none(), st.just("x"), st.just(0), st.integers(-60000, 60000),
                       st.floats(-60000, 60000), st.just(4294967295), st.just(-1e30))
amps_json = st.one_of(st.just(MISSING), st.none(), st.just(0), st.floats(0, 200), st.integers(0, 200),
                      st.just(4294967295))
volts_json = st.one_of(st.just(MISSING), st.none(), st.just(0), st.just(0.05), st.floats(200, 250), st.just(-230),
                       st.just(4294967295))


def _num(v):
    """What the dongle said as a number (HomeWizard's own NaN-free JSON), else None."""
    return v if type(v) in (int, float) and abs(v) < 1e12 else None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(total=watts_json, watts=st.tuples(*[watts_json] * 3), amps=st.tuples(*[amps_json] * 3),
       volts=st.tuples(*[volts_json] * 3), name=st.sampled_from(policy.NAMES))
def test_homewizard_any_values(homewizard_chain, total, watts, amps, volts, name):
    sim, chain = homewizard_chain
    keys = {"active_power_w": total}
    for i, p in enumerate(("l1", "l2", "l3")):
        keys["active_power_%s_w" % p] = watts[i]
        keys["active_current_%s_a" % p] = amps[i]
        keys["active_voltage_%s_v" % p] = volts[i]
    sim.drop = {k for k, v in keys.items() if v is MISSING}
    sim.overrides = {k: v for k, v in keys.items() if v is not MISSING}
    assert chain.device.controller.set_policy(name) == []
    r = chain.step(fresh=True)

    raw_w, raw_a, raw_v, raw_t = [_num(x) for x in watts], [_num(x) for x in amps], [_num(x) for x in volts], \
        _num(total)
    single = raw_w[1:] == raw_a[1:] == raw_v[1:] == [None, None] and (raw_w[0], raw_a[0]) != (None, None)
    if single:  # a single-phase meter: L2 and L3 carry nothing
        raw_w[1:] = raw_a[1:] = [0, 0]
        if raw_w[0] is None:
            raw_w[0] = raw_t
    if raw_t is None and None not in raw_w:
        raw_t = sum(raw_w)
    if raw_t is None:  # the source refuses the answer
        return _check(r, None, name)
    t = raw_t if abs(raw_t) <= PLAUSIBLE else None
    dv = [_volts(None if v is None else round(v * 10)) for v in raw_v]
    phase_ma = []
    for i in range(3):
        w = raw_w[i] if raw_w[i] is not None and abs(raw_w[i]) <= PLAUSIBLE else None
        a = None if raw_a[i] is None or raw_a[i] > 1000 else round(raw_a[i] * 1000)
        if a is not None and w is not None and w < 0:
            a = -a
        candidates = [x for x in (a, None if w is None else round(w) * 10000 // dv[i]) if x is not None]
        phase_ma.append(max(candidates) if candidates else None)
    _check(r, _bounds(phase_ma, t, dv), name)
