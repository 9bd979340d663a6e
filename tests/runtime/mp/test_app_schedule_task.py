"""The schedule task runs the policy the weekly schedule asks for."""
import asyncio

from appdevice import device

from p1gen.app import tasks


def test_schedule_switches_policy_and_back():
    day = [{"policy": "off", "start": "00:00", "end": "12:00"}, {"policy": "off", "start": "12:00", "end": "00:00"}]
    dev = device({"control": {"policy": "full"}, "schedule": day})
    assert dev.config_errors == [], dev.config_errors

    async def scenario():
        task = tasks.Schedule(dev)
        await asyncio.sleep(0.2)
        running = dev.controller.status()["policy"]
        dev.config["schedule"] = []  # the user clears the schedule; seen at the next minute
        task.deinit()
        return running

    assert asyncio.run(scenario()) == "off"
    assert dev.schedule_active[0] == "off" and dev.status()["policy"]["schedule_active"] is True

