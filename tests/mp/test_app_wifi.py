"""The Wi-Fi supervisor on a test board: connect, back off while the network is missing,
reconnect when it drops, never block the loop."""
import asyncio

from p1gen import ticks
from p1gen.app import tasks
from p1gen.app.config import WIFI
from p1gen.options import defaults


class Wifi:
    """Connects on the ``works_from``-th connect() call, 150 ms after it."""

    def __init__(self, works_from):
        self.works_from = works_from
        self.calls = []  # (tick, ssid, hostname)
        self.up_at = None

    def connect(self, ssid, password, hostname, country):
        self.calls.append((ticks.ms(), ssid, hostname))
        if len(self.calls) >= self.works_from:
            self.up_at = ticks.add(ticks.ms(), 150)

    def isconnected(self):
        return self.up_at is not None and ticks.diff(ticks.ms(), self.up_at) >= 0

    def address(self):
        return "192.168.1.77" if self.isconnected() else None

    def gateway(self):
        return "192.168.1.1"

    def state(self):
        return "network not found"

    def drop(self):
        self.up_at = None


class Board:
    NAME = "test"

    def __init__(self, wifi):
        self.wifi = wifi


class Device:
    """What the Wi-Fi task reads of the Device (p1gen.app.device)."""

    def __init__(self, wifi):
        self.board = Board(wifi)
        self.config = {"wifi": defaults(WIFI)}
        self.config["wifi"].update({"ssid": "home", "password": "pw", "hostname": "carport", "ntp": ""})


def device(wifi):
    return Device(wifi)


def test_backoff_then_connect_then_reconnect():
    wifi = Wifi(works_from=3)
    dev = device(wifi)

    async def main():
        beats = [0]

        async def heartbeat():
            while True:
                beats[0] += 1
                await asyncio.sleep(0.05)

        hb = asyncio.create_task(heartbeat())
        task = tasks.Wifi(dev, wait_ms=300, first_backoff_ms=200, max_backoff_ms=1000)
        await asyncio.sleep(1.6)
        up = (task.state["state"], task.state["address"], len(wifi.calls))
        wifi.drop()
        await asyncio.sleep(1.0)
        task.deinit()
        hb.cancel()
        return up, beats[0], task.state

    (state, address, calls), beats, st = asyncio.run(main())
    assert (state, address, calls) == ("connected", "192.168.1.77", 3), (state, address, calls)
    # two failures: 300 ms wait + 200 ms, then 300 ms wait + 400 ms back-off before the third try
    gaps = [ticks.diff(b[0], a[0]) for a, b in zip(wifi.calls, wifi.calls[1:])]
    assert 450 <= gaps[0] <= 700 and 650 <= gaps[1] <= 950, gaps
    assert wifi.calls[0][1:] == ("home", "carport")
    assert len(wifi.calls) == 4 and st["reconnects"] == 1  # dropped, connected again
    assert st["state"] == "connected" and st["failures"] == 2
    assert beats >= 40  # the loop was never blocked


def test_no_ssid_no_wifi():
    wifi = Wifi(works_from=1)
    dev = device(wifi)
    dev.config["wifi"]["ssid"] = ""

    async def main():
        task = tasks.Wifi(dev)
        await asyncio.sleep(0.1)
        return task

    task = asyncio.run(main())
    assert wifi.calls == [] and task.state["state"].startswith("not configured") and task.done

