"""What the web sampler takes from the device's status, and the web settings' defaults."""
from mptest import raises

from p1gen import web
from p1gen.web import server


def status(**over):
    st = {"context": {"grid_w": {"value": -1500, "origin": "sma", "age_ms": 300},
                      "pv_w": {"value": 4200, "origin": "sma", "age_ms": 300}},
          "reported_ma": [21000, 25000, 19000], "control": {"car_ma": 8000}}
    st.update(over)
    return st


def test_sample_takes_grid_pv_report_and_car():
    assert server.sample(status()) == (-1500, 4200, 25000, 8000)


def test_sample_prefers_a_measured_car_current():
    st = status()
    st["context"]["ev_phase_ma"] = {"value": [6000, 6100, 5900], "origin": "meter", "age_ms": 10}
    assert server.sample(st)[3] == 6100


def test_sample_of_an_empty_status_is_all_unknown():
    assert server.sample({}) == (None, None, None, None)
    assert server.sample(status(reported_ma=None, control=None, context={})) == (None, None, None, None)


def test_settings_fill_defaults_and_keep_the_password():
    s = web.settings({"web": {"password": "pw", "port": 8080}})
    assert s["port"] == 8080 and s["open_reads"] is True and s["password"] == "pw"
    assert web.settings({})["port"] == 80 and "password" not in web.settings({})


def test_password_option_is_secret():
    secret = [o.name for o in web.OPTIONS if o.secret]
    assert secret == ["password"]


class _Device:
    def __init__(self, config):
        self.config = config


def test_start_refuses_when_switched_off():
    e = raises(RuntimeError, web.start, _Device({"web": {"enabled": False}}))
    assert "web.enabled" in str(e)
