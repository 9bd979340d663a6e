"""The changes the API refuses because they would lock the owner out of the board."""

from p1gen.app import config

config.validate({})


def test_changes_that_lock_the_owner_out_are_refused():
    """Issues 13.10 and 13.11."""
    from p1gen import web

    running, _ = config.validate({"wifi": {"ssid": "home"}})
    cases = [({"web": {"enabled": False}}, "web.enabled: "), ({"web": {"password": ""}}, "web.password: "),
             ({"web": {"password": "x"}}, "web.password: "), ({"web": {"password": "        "}}, "web.password: "),
             ({"web": {"password": 12345678}}, "web.password: "), ({"wifi": {"ssid": ""}}, "wifi.ssid: ")]
    for changes, key in cases:
        errors = web.refused_changes(changes, running)
        assert len(errors) == 1 and errors[0].startswith(key), (changes, errors)
    assert web.refused_changes({"web": {"enabled": True, "password": "a good one"}, "wifi": {"ssid": "garage"}},
                         running) == []
    no_wifi, _ = config.validate({})
    assert web.refused_changes({"wifi": {"ssid": ""}}, no_wifi) == []  # nothing to clear
