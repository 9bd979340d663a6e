"""The model's prediction of the car's current between two measurements (ticks that wrap)."""
from p1gen import ticks
from p1gen.control.model import Model

T0 = ticks.PERIOD - 2500  # the ticks wrap during the test


def at(ms):
    return ticks.add(T0, ms)


def test_the_prediction_follows_every_limit_in_turn():
    m = Model(settle_ms=2000)  # each limit reaches the car 2 s after its telegram; up 1 A/s, down 3 A/s
    m.measured(at(0), 10000)
    for tick, limit in ((0, 8000), (1000, 6000), (2000, 12000)):
        m.offered(at(tick), limit, limit, 10000, limit - 10000)
    assert [m.predict(at(ms)) for ms in (2000, 3000, 4000, 5000, 20000)] == [10000, 8000, 6000, 7000, 12000]


def test_moving_adds_the_limit_in_force_when_the_data_was_sampled():
    m = Model(settle_ms=2000)
    m.offered(at(-4000), 16000, 16000, 0, 16000)  # in force 2 s before the sample
    m.measured(at(0), 6000)
    m.offered(at(1000), 9000, 9000, 6000, 3000)
    assert m.predict(at(2000)) == 6000  # the measurement shows where the first limit took the car
    assert m.predict(at(6000)) == 9000
    assert m.predict(at(2000), moving=True) == 8000  # still rising towards 16 A, 1 A/s
    assert m.predict(at(4000), moving=True) == 9000  # then the next limit holds it
