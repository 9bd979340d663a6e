"""Telegram deadlines: drift-free, skip after a stall, correct across the 2**30 ms tick wrap."""
from p1gen import ticks
from p1gen.app.pacer import Pacer, backoff_ms

WRAP = 1 << 30


def test_deadlines_are_fixed_points_not_wakeup_plus_period():
    p = Pacer(1000, 5000)
    assert p.due == 5000
    for late in (3, 40, 0, 250, 999):
        now = p.due + late
        assert p.late_ms(now) == late
        assert p.advance(now) == 0
    assert p.due == 10000  # five periods later, whatever the lateness was
    assert p.skipped == 0


def test_first_deadline_can_be_offset_to_the_second():
    p = Pacer(1000, 100, first_ms=905)
    assert p.due == 1005


def test_wait_ms_with_lead_and_never_negative():
    p = Pacer(1000, 0, first_ms=1000)
    assert p.wait_ms(0) == 1000
    assert p.wait_ms(0, lead_ms=100) == 900
    assert p.wait_ms(950, lead_ms=100) == 0
    assert p.wait_ms(1500) == 0


def test_a_stall_skips_missed_deadlines_instead_of_bursting():
    p = Pacer(1000, 0)
    missed = p.advance(3500)  # the loop was held for 3.5 s
    assert missed == 3
    assert p.due == 4000
    assert p.skipped == 3
    assert p.wait_ms(3500) == 500


def test_across_the_tick_wrap():
    start = WRAP - 2500
    p = Pacer(1000, start)
    dues = []
    for _ in range(6):
        now = ticks.add(p.due, 7)
        assert p.late_ms(now) == 7
        p.advance(now)
        dues.append(p.due)
    assert dues == [WRAP - 1500, WRAP - 500, 500, 1500, 2500, 3500]
    assert p.wait_ms(ticks.add(3500, -100)) == 100
    assert p.skipped == 0


def test_a_stall_across_the_wrap_is_still_a_stall():
    p = Pacer(1000, WRAP - 200)
    assert p.advance(2300) == 2  # 2500 ms late, across the wrap
    assert p.due == 2800


def test_backoff_doubles_up_to_the_cap():
    assert [backoff_ms(n, 2000, 60000) for n in (1, 2, 3, 4, 5, 6, 10)] == [
        2000, 4000, 8000, 16000, 32000, 60000, 60000]
