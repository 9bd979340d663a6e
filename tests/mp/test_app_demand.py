"""The e-MUCS capacity-tariff figures of the reported load: quarter-hour average and month peak."""
from p1gen import ticks
from p1gen.app.demand import Demand

T0 = 1795251600  # a quarter-hour boundary (UTC)


def run(demand, watts, seconds, t_ms, utc, month=11):
    for _ in range(seconds):
        t_ms = ticks.add(t_ms, 1000)
        utc = None if utc is None else utc + 1
        demand.add(watts, 1000, t_ms, utc, month)
    return t_ms, utc


def test_average_of_the_quarter_so_far():
    d = Demand()
    t, utc = run(d, 4000, 300, 1000, T0)
    assert d.avg_w == 4000 and d.peak_w == 0
    t, utc = run(d, 1000, 300, t, utc)
    assert d.avg_w == 2500


def test_a_completed_quarter_becomes_the_peak_with_its_start():
    d = Demand()
    d.add(0, 0, 1000, T0, 11)
    t, utc = run(d, 6000, 900, 1000, T0)  # one full quarter at 6 kW
    assert d.peak_w == 0  # still open
    t, utc = run(d, 2000, 900, t, utc)  # it closed at once; a lower one does not replace it
    assert d.peak_w == 6000 and d.peak_utc_s == T0
    run(d, 8000, 901, t, utc)
    assert d.peak_w == 8000 and d.peak_utc_s == T0 + 1800


def test_a_new_month_starts_a_new_peak():
    d = Demand()
    d.add(0, 0, 1000, T0, 11)
    t, utc = run(d, 6000, 901, 1000, T0)
    assert d.peak_w == 6000
    d.add(100, 1000, ticks.add(t, 1000), utc + 1, 12)
    assert d.peak_w == 0 and d.peak_utc_s is None


def test_without_a_clock_quarters_follow_the_ticks_across_the_wrap():
    d = Demand()
    start = (1 << 30) - 300000
    d.add(0, 0, start, None)
    t, _ = run(d, 3000, 901, start, None)
    assert d.peak_w == 3000 and d.peak_utc_s is None
    assert d.avg_w == 3000  # the next quarter began with the same load
