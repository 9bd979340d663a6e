"""The Source contract (never raises, rate limit), HomeWizard JSON handling and the P1
input's framing and resynchronisation, on CPython and MicroPython."""
import asyncio

from mptest import run

from p1gen import context as q
from p1gen import telegram, ticks
from p1gen.reading import Reading
from p1gen.sources import Source, homewizard, p1meter


class _Broken(Source):
    KIND = "test"
    DISCOVERABLE = False

    def __init__(self, settings):
        Source.__init__(self, settings)
        self.reads = 0

    async def _read(self, context, now):
        self.reads += 1
        if self.reads == 1:
            return {}["missing"]
        context.set(q.GRID_W, 100, self.name, now)


def test_poll_never_raises_and_recovers():
    source = _Broken({"poll_ms": 0})
    ctx = run(source.poll())
    assert ctx.error is not None and ctx.error.startswith("test:")
    assert ctx.get(q.GRID_W) is None
    ctx = run(source.poll())
    assert ctx.error is None and ctx.get(q.GRID_W) == 100


def test_poll_reads_at_most_once_per_interval():
    source = _Broken({"poll_ms": 60000})

    async def twice():
        await source.poll()
        await source.poll()

    run(twice())
    assert source.reads == 1


def test_a_caller_pacing_by_poll_ms_reads_every_time():
    source = _Broken({"poll_ms": 100})

    async def paced():
        from p1gen.sources import net

        for _ in range(5):
            started = ticks.ms()
            await source.poll()
            await net.sleep_ms(100 - ticks.diff(ticks.ms(), started))

    run(paced())
    assert source.reads == 5


def _hw():
    return homewizard.Source({"kind": "homewizard", "host": "10.0.0.4", "port": 80, "timeout_ms": 500,
                              "poll_ms": 1000})


def test_homewizard_three_phase_values_and_signs():
    ctx = q.Context()
    data = {"active_power_w": -1234.6, "active_power_l1_w": -2000, "active_power_l2_w": 500.4,
            "active_power_l3_w": 265, "active_current_l1_a": 8.7, "active_current_l2_a": 2.2,
            "active_current_l3_a": 1.15, "active_voltage_l1_v": 229.9, "active_voltage_l2_v": 231,
            "active_voltage_l3_v": 230.4, "total_power_import_kwh": 1234.567, "total_power_export_kwh": 89.5}
    _hw().fill(ctx, data, ticks.ms())
    assert ctx.get(q.GRID_W) == -1235
    assert ctx.get(q.GRID_PHASE_W) == (-2000, 500, 265)
    assert ctx.get(q.GRID_PHASE_MA) == (-8700, 2200, 1150)
    assert ctx.get(q.VOLTAGE_DV) == (2299, 2310, 2304)
    assert abs(ctx.get(q.GRID_IMPORT_WH) - 1234567) <= 1  # single precision on the board
    assert ctx.get(q.GRID_EXPORT_WH) == 89500


def test_homewizard_missing_fields_stay_unknown():
    ctx = q.Context()
    _hw().fill(ctx, {"active_power_w": 812, "active_power_l1_w": 500, "active_power_l2_w": 312,
                     "active_current_l3_a": 1.0, "wifi_ssid": "x"}, ticks.ms())
    assert ctx.get(q.GRID_W) == 812
    assert ctx.get(q.GRID_PHASE_W) == (500, 312, None)  # l3 power missing: unknown, not guessed as 0
    assert ctx.get(q.GRID_PHASE_MA) == (None, None, 1000)  # the currents there are stay
    assert ctx.get(q.GRID_IMPORT_WH) is None


def test_homewizard_single_phase_meter():
    ctx = q.Context()
    _hw().fill(ctx, {"active_power_w": 1500, "active_power_l1_w": 1500, "active_current_l1_a": 6.5,
                     "active_voltage_l1_v": 230.0}, ticks.ms())
    assert ctx.get(q.GRID_PHASE_W) == (1500, 0, 0)
    assert ctx.get(q.GRID_PHASE_MA) == (6500, 0, 0)


def test_homewizard_without_any_power_is_an_error():
    e = None
    try:
        _hw().fill(q.Context(), {"wifi_ssid": "x", "active_power_l1_w": None}, ticks.ms())
    except homewizard.HttpError as exc:
        e = exc
    assert e is not None and "active_power_w" in str(e)


def _telegram(l1_ma=5000, l2_ma=-3000, l3_ma=1000):
    r = Reading(current_ma=(l1_ma, l2_ma, l3_ma), voltage_dv=(2300, 2310, 2320), import_wh=(1000, 2000),
                export_wh=(30, 40))
    return telegram.build(r, "dsmr5")


def test_framer_cuts_telegrams_from_small_chunks():
    framer = p1meter.Framer()
    data = b"noise" + _telegram() + _telegram(7000)
    out = []
    for i in range(0, len(data), 7):
        out.extend(framer.feed(data[i:i + 7]))
    assert len(out) == 2 and out[0] == _telegram() and out[1] == _telegram(7000)


def test_framer_resynchronises_on_the_next_slash():
    framer = p1meter.Framer()
    good = _telegram()
    out = framer.feed(good[:len(good) // 2] + good)
    assert len(out) == 2
    assert type(out[0]) is str and "half" in out[0]
    assert out[1] == good


def test_framer_drops_endless_garbage():
    framer = p1meter.Framer()
    out = framer.feed(b"/")
    chunk = b"x" * 64
    for _ in range(p1meter.MAX_TELEGRAM // 64 + 2):
        out.extend(framer.feed(chunk))
    assert len(out) == 1 and "dropped" in out[0]
    assert framer.feed(_telegram()) == [_telegram()]


class _Line:
    """A P1 input: chunks put() by the test, read(n) as a UART stream would."""

    def __init__(self):
        self.chunks = []
        self.event = asyncio.Event()

    def put(self, data):
        self.chunks.append(data)
        self.event.set()

    async def read(self, n):
        while not self.chunks:
            self.event.clear()
            await self.event.wait()
        data = self.chunks.pop(0)
        if len(data) > n:
            self.chunks.insert(0, data[n:])
            data = data[:n]
        return data


def _bad_crc(data):
    bang = data.rindex(b"!")
    return data[:bang + 1] + (b"0000" if data[bang + 1:bang + 5] != b"0000" else b"FFFF") + data[bang + 5:]


def test_p1_source_reads_rejects_and_recovers():
    line = _Line()
    source = p1meter.Source({"kind": "p1", "poll_ms": 0, "timeout_ms": 1000}, stream=line, chunk=64)

    async def main():
        results = []
        line.put(_telegram(6000, 0, 2000))
        ctx = await source.poll()
        results.append((ctx.error, ctx.get(q.GRID_PHASE_MA), ctx.get(q.GRID_IMPORT_WH)))
        line.put(_bad_crc(_telegram(9000)))
        ctx = await source.poll()
        results.append((ctx.error, ctx.get(q.GRID_PHASE_MA)))
        good = _telegram(4000)
        line.put(good[:100])  # and then the line goes quiet
        ctx = await source.poll()
        results.append((ctx.error,))
        line.put(good)
        ctx = await source.poll()
        results.append((ctx.error, ctx.get(q.GRID_PHASE_MA)))
        t = ticks.ms()
        ctx = await source.poll()  # nothing comes
        results.append((ctx.error, ticks.diff(ticks.ms(), t)))
        await source.close()
        return results

    results = run(main())
    assert results[0][0] is None and results[0][1][0] == 6000 and results[0][2] == 3000
    assert "CRC" in results[1][0] and results[1][1][0] == 6000  # the old value stays, aging
    assert "half" in results[2][0]
    assert results[3][0] is None and results[3][1][0] == 4000
    assert "no telegram" in results[4][0] and 900 <= results[4][1] < 3000
    assert source.telegrams == 2 and source.rejected == 2
