"""The schedule task runs the policy the weekly schedule asks for."""
import asyncio
import json
import os

from p1gen import ticks
from p1gen.app import tasks
from p1gen.app.device import Device


class Wifi:
    up = True

    def isconnected(self):
        return self.up


class Board:
    NAME = "test"

    def __init__(self):
        self.wifi = Wifi()


def device_with(raw):
    path = "/tmp/p1gen-test-schedule-%d.json" % ticks.ms()
    with open(path, "w") as f:
        f.write(json.dumps(raw))
    dev = Device(Board(), path)
    os.remove(path)
    return dev


def test_schedule_switches_policy_and_back():
    day = [{"policy": "off", "start": "00:00", "end": "12:00"}, {"policy": "off", "start": "12:00", "end": "00:00"}]
    dev = device_with({"control": {"policy": "full"}, "schedule": day})
    assert dev.config_errors == [], dev.config_errors

    async def scenario():
        task = asyncio.create_task(tasks.schedule(dev))
        await asyncio.sleep(0.2)
        running = dev.controller.status()["policy"]
        dev.config["schedule"] = []  # the user clears the schedule; seen at the next minute
        task.cancel()
        return running

    assert asyncio.run(scenario()) == "off"
    assert dev.schedule_active[0] == "off" and dev.status()["policy"]["schedule_active"] is True

