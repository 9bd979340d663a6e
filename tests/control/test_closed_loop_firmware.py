"""Issue 11 end to end: the firmware under the MicroPython unix port, polling the pymodbus SMA
simulator every 5 s, against a Shell-like charge point (8 A minimum, 5 s late, adding each
telegram's headroom to the car's current when it applies it) that reads the pty with dsmr_parser.
The control config names no minimum: the csp1 profile's 8 A is the first guess."""
import time
import types

import pytest

from p1host.demo import Demo
from p1host.sim.car import Car
from p1host.sim.chargepoint import ChargePoint

pytestmark = pytest.mark.slow

SECONDS = 80


def test_a_shell_like_charge_point_at_a_5_s_poll_starts_once_and_never_pauses():
    args = types.SimpleNamespace(duration=SECONDS, scenario="static", policy="solar", source="sma", speed=1.0,
                                 start_hour=12.0, rated_w=16000)  # 8 kW of steady sun, 550 W of house
    demo = Demo(args)
    demo.config["source"]["poll_ms"] = 5000
    demo.config["control"] = {"policy": "solar", "fuse_a": 25, "start_delay_s": 15, "smoothing_s": 15}
    demo.chargepoint = ChargePoint(fuse_a=25, min_a=8, max_a=16, reaction_s=5, restart_s=10, pairs="apply")
    demo.car = Car(max_a=16, phases=3, soc=40)
    demo.start()
    cars = []
    try:
        started = time.monotonic()
        for t in range(SECONDS):
            assert demo.fw.alive(), demo.fw.log()[-2000:]
            demo.tick(t)
            cars.append(demo.car.ma)
            time.sleep(max(0.0, started + t + 1 - time.monotonic()))
        status = demo.status()
    finally:
        demo.stop()
    assert demo.crc_failures == 0
    assert len(demo.reader.telegrams) >= 60
    control = status["control"]
    # it started on the sun, once, and the charge point never paused on its own
    assert demo.car.starts == 1, cars
    assert demo.chargepoint.pauses == 0, cars
    assert control["state"] == "charging" and control["starts"] == 1, control
    assert control["unasked_pauses"] == 0, control
    assert control["installation"]["min_ma"] == 8000, control
    # the start overshoots (the car wakes between two measurements); the law then brings it down
    # towards what the sun gives (7.45 kW over 3 phases: 10.8 A), never under the minimum
    peak = max(cars)
    assert 8000 <= cars[-1] < peak, cars
    assert min(cars[cars.index(peak):]) >= 8000, cars
