"""The on-board status page and HTTP API (see docs/web.md).

This module holds the settings (read through ``settings`` only) and the changes to them,
and to the Wi-Fi, that the API refuses because they would lock the owner out
(``refused_changes``; they remain possible over USB). ``start(device)`` adds two tasks to
the running asyncio loop: the microdot server and the sampler that fills the last-hour
history and ages out idle logins. The server (and microdot) is imported by ``start``, so
the config validator stays light and a board without the heap for the server still sends
its telegrams (``start`` then raises and the runtime reports why).
"""

from p1gen.options import Opt, defaults

OPTIONS = (
    Opt("enabled", bool, True, "serve the status page and the HTTP API"),
    Opt("port", int, 80, "TCP port of the status page and the API", lo=1, hi=65535),
    Opt("open_reads", bool, True, "anyone on the LAN may read status, policy, schedule, config and history "
        "without logging in; changes always need the password"),
    Opt("password", str, None, "password for every change (set when provisioning the board)", secret=True),
    Opt("session_minutes", int, 1440, "a login ends after this many minutes without use", lo=5, hi=4320),
)
MIN_PASSWORD = 8  # characters of a web password set through the API


def settings(config):
    """The "web" settings of a config, defaults filled in."""
    out = defaults(OPTIONS)
    out.update(config.get("web") or {})
    return out


def refused_changes(changes, config):
    """Errors for changes through the API that would lock the owner out of the board
    (they are allowed in a file written over USB); ``config`` is the running one."""
    errors = []
    if type(changes) is not dict:
        return errors
    web = changes.get("web")
    if type(web) is dict:
        if web.get("enabled") is False:
            errors.append("web.enabled: switching the web server off over the network would lock you out; "
                          "do it over USB (p1gen provision)")
        if "password" in web:
            pw = web["password"]
            if type(pw) is not str or len(pw) < MIN_PASSWORD or not pw.strip():
                errors.append("web.password: must be at least %d characters, not only spaces" % MIN_PASSWORD)
    wifi = changes.get("wifi")
    if type(wifi) is dict and wifi.get("ssid") == "" and config["wifi"].get("ssid"):
        errors.append("wifi.ssid: clearing it would take the board off the network; do it over USB "
                      "(p1gen provision)")
    return errors


def start(device, host="0.0.0.0", port=None):
    """Serve ``device`` on ``port`` (default: config web.port); returns the running ``Web``.
    Raises RuntimeError when the config switches the server off."""
    if not settings(device.config)["enabled"]:
        raise RuntimeError("switched off (web.enabled is false)")
    from p1gen.web import server

    return server.start(device, host, port)
