"""The on-board status page and HTTP API (see docs/web.md).

``start(device)`` adds two tasks to the running asyncio loop: the microdot server and
the sampler that fills the last-hour history and ages out idle logins. This module only
declares the settings; the server (and microdot) is imported by ``start``, so the config
validator stays light and a board without the heap for the server still sends its
telegrams (``start`` then raises and the runtime reports why).
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


def settings(config):
    """The "web" settings of a config, defaults filled in."""
    out = defaults(OPTIONS)
    out.update(config.get("web") or {})
    return out


def start(device, host="0.0.0.0", port=None):
    """Serve ``device`` on ``port`` (default: config web.port); returns the running ``Web``.
    Raises RuntimeError when the config switches the server off."""
    if not settings(device.config)["enabled"]:
        raise RuntimeError("switched off (web.enabled is false)")
    from p1gen.web import server

    return server.start(device, host, port)
