"""The changes the API refuses because they would lock the owner out of the board.

Only a settings form sends them: loaded while a request uses it, and unloaded again by
``_unload`` (a module the firmware needs once in a while need not stay in the heap).
"""

MIN_PASSWORD = 8  # characters of a web password set through the API


def refused(changes, config):
    """Errors for changes through the API that would lock the owner out of the board
    (they are allowed in a file written over USB); ``config`` is the running one."""
    try:
        return _refused(changes, config)
    finally:
        _unload()


def _refused(changes, config):
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


def _unload():
    """This module out of sys.modules again: it was imported for one request."""
    import sys

    sys.modules.pop(__name__, None)
    try:
        delattr(sys.modules["p1gen.web"], "forms")
    except (AttributeError, KeyError, TypeError):
        pass
