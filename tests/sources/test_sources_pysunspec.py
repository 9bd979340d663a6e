"""pysunspec2, an independent SunSpec client, reads the SolarEdge simulator and gets the
same values the firmware (under MicroPython) reads: the register map is right."""
import pytest
import sunspec2.modbus.client as sunspec_client

from p1host.sim import solaredge
from p1host.sim.mprun import MicroPythonSource
from srchelp import free_port, sunny_site


def read_with_pysunspec(port):
    device = sunspec_client.SunSpecModbusClientDeviceTCP(slave_id=1, ipaddr="127.0.0.1", ipport=port, timeout=2)
    try:
        device.scan()
        inverter = device.models[103][0]
        meter = device.models[203][0]
        return {
            "models": sorted(m for m in device.models if isinstance(m, int)),
            "manufacturer": device.common[0].Mn.cvalue,
            "serial": device.common[0].SN.cvalue,
            "pv_w": inverter.W.cvalue,
            "grid_w": -meter.W.cvalue,  # SolarEdge meters count export positive
            "grid_phase_w": [-meter.WphA.cvalue, -meter.WphB.cvalue, -meter.WphC.cvalue],
            "grid_phase_ma_abs": [round(abs(meter.AphA.cvalue) * 1000), round(abs(meter.AphB.cvalue) * 1000),
                                  round(abs(meter.AphC.cvalue) * 1000)],
            "voltage_dv": [round(meter.PhVphA.cvalue * 10), round(meter.PhVphB.cvalue * 10),
                           round(meter.PhVphC.cvalue * 10)],
            "grid_import_wh": meter.TotWhImp.cvalue,
            "grid_export_wh": meter.TotWhExp.cvalue,
        }
    finally:
        device.close()


@pytest.mark.parametrize("phases", [3, 1])
def test_pysunspec2_and_the_firmware_read_the_same_values(phases):
    site = sunny_site()
    site.phases = phases
    port = free_port()
    with solaredge.simulator(site, port=port):
        theirs = read_with_pysunspec(port)
        with MicroPythonSource({"kind": "solaredge", "host": "127.0.0.1", "port": port}) as mp:
            ours = mp.poll()
    assert ours["error"] is None, ours
    values = ours["values"]
    assert theirs["models"] == [1, 103, 203]
    assert ours["info"]["manufacturer"] == theirs["manufacturer"] == "SolarEdge"
    assert ours["info"]["serial"] == theirs["serial"]
    assert values["pv_w"] == theirs["pv_w"] == site.pv_w
    assert values["grid_w"] == theirs["grid_w"] == site.grid_w()
    assert values["grid_phase_w"] == theirs["grid_phase_w"] == site.grid_phase_w()
    assert [abs(v) for v in values["grid_phase_ma"]] == theirs["grid_phase_ma_abs"]
    assert values["voltage_dv"] == theirs["voltage_dv"] == list(site.voltage_dv)
    assert values["grid_import_wh"] == theirs["grid_import_wh"] == site.import_wh
    assert values["grid_export_wh"] == theirs["grid_export_wh"] == site.export_wh


def test_pysunspec2_reads_the_meter_roles_the_firmware_picks_by():
    """The production-first layout (issue 13 item 3) as an independent SunSpec client sees it."""
    site = sunny_site()
    port = free_port()
    with solaredge.simulator(site, port=port, meters=solaredge.PRODUCTION_FIRST):
        device = sunspec_client.SunSpecModbusClientDeviceTCP(slave_id=1, ipaddr="127.0.0.1", ipport=port, timeout=2)
        try:
            device.scan()
            options = [c.Opt.cvalue for c in device.common]
            meters = device.models[203]
            production_w, grid_w = meters[0].W.cvalue, -meters[1].W.cvalue
        finally:
            device.close()
        with MicroPythonSource({"kind": "solaredge", "host": "127.0.0.1", "port": port}) as mp:
            ours = mp.poll()
    assert options[1:] == ["Production", "Export+Import"]
    assert production_w == site.pv_w
    assert ours["values"]["grid_w"] == grid_w == site.grid_w()
    assert ours["info"]["meter"].startswith("meter 2 ")
