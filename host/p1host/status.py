"""`p1gen status URL`: print a board's status from its JSON API (GET /api/status, docs/web.md)."""
import json
import os

from p1host import webapi
from p1host.errors import CommandError

STATUS_PATH = "/api/status"
LOGIN_PATH = "/api/login"
PASSWORD_ENV = "P1GEN_PASSWORD"


def add_arguments(parser):
    parser.add_argument("url", help="the board's address, e.g. http://p1gen.local or http://192.168.1.50:8080")
    parser.add_argument("--json", action="store_true", help="print the whole status as JSON")
    parser.add_argument("--timeout", type=float, default=5, metavar="SECONDS", help="give up after this long")
    parser.add_argument("--password-env", default=PASSWORD_ENV, metavar="NAME",
                        help="environment variable holding the web password, used only when the board "
                             "does not allow open reads (default: %s)" % PASSWORD_ENV)


def run(args):
    status = fetch_status(args.url, args.timeout, os.environ.get(args.password_env), args.password_env)
    if args.json:
        print(json.dumps(status, indent=1, sort_keys=True))
    else:
        print(format_status(status))
    return 0


def base_url(url):
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    if url.endswith(STATUS_PATH):
        url = url[: -len(STATUS_PATH)]
    return url


def fetch_status(url, timeout=5, password=None, password_env=PASSWORD_ENV):
    """The board's status as a dict; CommandError with one clear line when it cannot be had."""
    base = base_url(url)
    try:
        try:
            return _status(base, timeout)
        except webapi.WebError as e:
            if e.status != 401:
                raise
        if not password:
            raise CommandError("%s needs a login to read (web.open_reads is off): put the web password in "
                               "the environment variable %s" % (base, password_env))
        try:
            _, headers = webapi.call(base + LOGIN_PATH, {"password": password}, timeout)
        except webapi.WebError as e:
            if e.status == 401:
                raise CommandError("login to %s failed: %s" % (base, e.detail))
            raise
        return _status(base, timeout, {"Cookie": headers.get("Set-Cookie", "").split(";", 1)[0]})
    except webapi.WebError as e:
        if e.status is None:
            raise CommandError("%s (is the board on the network? see docs/troubleshooting.md)" % e)
        raise CommandError("%s: is this a p1gen board?" % e if e.status == 200 else str(e))


def _status(base, timeout, headers=None):
    value = webapi.get(base + STATUS_PATH, timeout, headers)
    if type(value) is not dict:
        raise CommandError("%s answered %s, not a status object" % (base + STATUS_PATH, type(value).__name__))
    return value


def _amps(ma):
    return "%.1f A" % (ma / 1000.0) if type(ma) is int else "-"


def _phases(values):
    if not values:
        return "-"
    return " / ".join(_amps(v) for v in values)


def _age(ms):
    return "-" if ms is None else "%.1f s ago" % (ms / 1000.0)


def format_status(s):
    """A short human summary of the status dict (the fields docs/web.md lists; missing ones show "-")."""
    tg = s.get("telegram") or {}
    src = s.get("source") or {}
    policy = s.get("policy") or {}
    control = s.get("control") or {}
    info = s.get("context_info") or {}  # which SolarEdge meter, for one
    rows = [
        ("board", "%s, firmware %s, up %s s, free heap %s" % (
            s.get("board", "-"), s.get("version", "-"), s.get("uptime_s", "-"), s.get("free_heap", "-"))),
        ("policy", "%s%s" % (policy.get("running", policy.get("name", "-")),
                             " (by schedule)" if policy.get("schedule_active") else "")),
        ("reported", _phases(s.get("reported_ma"))),
        ("failsafe", _failsafe(control)),
        ("energy data", _data_age(control)),
        ("installation", _installation(control.get("installation"))),
        ("source", "%s%s: %s, last reading %s%s" % (
            src.get("kind", "-"), ", " + info["meter"] if info.get("meter") else "", src.get("health", "-"),
            _age(src.get("last_ok_age_ms")),
            "; last error: %s" % src["last_error"] if src.get("last_error") else "")),
        ("telegrams", "%s sent (%s profile), last %s, %s errors" % (
            tg.get("count", "-"), tg.get("profile", "-"), _age(tg.get("age_ms")), tg.get("errors", "-"))),
        ("data request", _data_request(s)),
        ("wifi", _wifi(s.get("wifi"))),
        ("tasks", _tasks(s.get("tasks"))),
    ]
    update = s.get("update") or {}
    if update.get("last_result") or update.get("previous"):
        rows.append(("update", "%s, before it %s; %s" % (update.get("state", "-"), update.get("previous") or "-",
                                                         update.get("last_result") or "-")))
    boot = s.get("boot") or {}
    if boot.get("reason"):
        rows.append(("last reset", "%s (%s)" % (boot["reason"], boot.get("reset_cause") or "-")))
    if s.get("config_errors"):
        rows.append(("config", "ERRORS: " + "; ".join(s["config_errors"])))
    else:
        rows.append(("config", "ok"))
    width = max(len(name) for name, _ in rows)
    return "\n".join("%-*s  %s" % (width, name, value) for name, value in rows)


def _failsafe(control):
    if "failsafe" not in control:
        return "-"
    if not control["failsafe"]:
        return "off"
    why = control.get("failsafe_why")
    return "ACTIVE" + (": %s" % why if why else "")


def _data_age(control):
    age = control.get("data_age_ms")
    if type(age) is not int:
        return "-"
    if control.get("data_old"):
        return "OLD: %.1f s, older than the fuse protection needs (the report keeps a margin; poll the source faster)" % (
            age / 1000.0)
    return "%.1f s old" % (age / 1000.0)


# what the controller learned of the charge point and the car (docs/control.md), in ms, mA and mA/s
_LEARNED = (("response_ms", lambda v: "reaction %.1f s" % (v / 1000.0)),
            ("period_ms", lambda v: "takes a telegram every %.1f s" % (v / 1000.0) if v else "takes each telegram"),
            ("ramp_ma_s", lambda v: "car ramp %.1f A/s" % (v / 1000.0)),
            ("start_ms", lambda v: "start delay %.0f s" % (v / 1000.0)),
            ("min_ma", lambda v: "minimum %.1f A" % (v / 1000.0)))


def _installation(inst):
    """Each learned value, and whether the settings fix it (set), it was learned, or it is the first guess."""
    if not inst:
        return "-"
    parts = []
    for key, text in _LEARNED:
        if type(inst.get(key)) is not int:
            continue
        how = "set" if key in (inst.get("fixed") or ()) else "learned" if key in (inst.get("learned") or ()) else "guess"
        parts.append("%s (%s)" % (text(inst[key]), how))
    return ", ".join(parts) or "-"


def _tasks(tasks):
    """The app's tasks (firmware/p1gen/app/supervisor.py): which restarted, and their last error."""
    if not tasks:
        return "-"
    restarted = ["%s restarted %d x (%s)" % (name, t["restarts"], t.get("last_error") or "-")
                 for name, t in sorted(tasks.items()) if t.get("restarts")]
    return "; ".join(restarted) or "%d running, none restarted" % len(tasks)


def _wifi(wifi):
    if not wifi:
        return "-"
    if not isinstance(wifi, dict):
        return str(wifi)
    text = "%s %s" % (wifi.get("state", ""), wifi.get("address") or "")
    if wifi.get("reconnects"):
        text += ", %s reconnects" % wifi["reconnects"]
    return text.strip()


def _data_request(s):
    value = s.get("data_request")
    text = {True: "high (a charge point is reading)", False: "low (nobody asks for data)"}.get(value, "unknown")
    if s.get("data_request_required"):
        text += "; telegrams only while high"
    return text
