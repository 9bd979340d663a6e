"""Helpers shared by the source tests (imported by plain name: pytest puts this folder on sys.path)."""
import socket

from p1host.sim.site import SiteState


def free_port(host="127.0.0.1"):
    """A TCP port nothing listens on right now at host."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def sunny_site(battery=True):
    """A site exporting on two phases and importing on one, with a battery charging."""
    site = SiteState()
    site.pv_w = 4500
    site.house_phase_w = [400, 2600, 250]
    site.voltage_dv = [2291, 2304, 2317]
    if battery:
        site.battery_soc = 64
        site.battery_w = 700
    site.import_wh = 1234567
    site.export_wh = 765432
    return site
