"""The weekly schedule: switch policy at a time of day, or run one inside a weekly window.

The config's "schedule" is a list of entries such as

    {"policy": "solar", "start": "07:30", "days": [0, 1, 2, 3, 4]}
    {"policy": "fixed", "settings": {"current_ma": 16000}, "start": "22:00", "end": "06:00", "days": [6]}

``days`` are weekdays, 0 = Monday .. 6 = Sunday (default: every day); times are local
"HH:MM". An entry with ``end`` is a window: it runs from start to end (past midnight when
end < start) on each of its days, and wins over everything else while it lasts (the first
listed window wins when windows overlap). An entry without ``end`` is a switch: its policy
runs from its start until the next switch of the week. Outside every window, with no switch
at all, the schedule says nothing and the device keeps its configured policy.

Pure: the runtime asks ``active(entries, weekday, minute_of_day)`` once a minute.
"""

from p1gen.options import Opt, validate as _validate_opts

MAX_ENTRIES = 16
_DAY = 1440
_WEEK = 7 * _DAY
_EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]

# one entry; "settings" (the policy's own settings) is checked against that policy's OPTIONS
OPTIONS = (
    Opt("policy", str, None, "policy to run", required=True),
    Opt("start", str, None, "local time it starts, HH:MM", required=True),
    Opt("end", str, None, "local time a window ends, HH:MM; without it the policy runs until the next switch"),
    Opt("days", list, _EVERY_DAY, "weekdays, 0 = Monday .. 6 = Sunday"),
)


def minute(text):
    """Minutes since midnight of "HH:MM", or None when ``text`` is no such time."""
    if type(text) is not str or len(text) != 5 or text[2] != ":":
        return None
    hh, mm = text[:2], text[3:]
    if not (hh.isdigit() and mm.isdigit()):
        return None
    h, m = int(hh), int(mm)
    if h > 23 or m > 59:
        return None
    return h * 60 + m


def validate(entries, where="schedule", policies=None):
    """Check the schedule list; return (entries, errors) like ``options.validate``.

    ``policies`` maps each known policy name to its OPTIONS; when given, the policy
    name and its settings are checked too. Errors name the entry: "schedule.2.start: ...".
    """
    if type(entries) is not list:
        return [], ["%s: must be a list of entries, got %s" % (where, type(entries).__name__)]
    if len(entries) > MAX_ENTRIES:
        return [], ["%s: at most %d entries, got %d" % (where, MAX_ENTRIES, len(entries))]
    out = []
    errors = []
    for i, entry in enumerate(entries):
        here = "%s.%d" % (where, i)
        if type(entry) is not dict:
            errors.append("%s: must be an object with policy, start, end, days" % here)
            continue
        fields = {}
        for key in entry:
            if key != "settings":
                fields[key] = entry[key]
        clean, errs = _validate_opts(OPTIONS, fields, here)
        errors.extend(errs)
        for key in ("start", "end"):
            value = clean.get(key)
            if type(value) is str and minute(value) is None:
                errors.append('%s.%s: must be a time of day "HH:MM" (00:00 .. 23:59), got "%s"' % (here, key, value))
        if "end" in clean and clean.get("end") == clean.get("start"):
            errors.append("%s.end: a window must not end when it starts (leave end out to switch)" % here)
        days = clean.get("days")
        if type(days) is list:
            if not days:
                errors.append("%s.days: name at least one day (0 = Monday .. 6 = Sunday)" % here)
            for i, day in enumerate(days):
                if type(day) is int and not 0 <= day <= 6:
                    errors.append("%s.days: %d is no weekday (0 = Monday .. 6 = Sunday)" % (here, day))
                    break
                if day in days[:i]:
                    errors.append("%s.days: %d is named twice" % (here, day))
                    break
        settings = entry.get("settings", {})
        name = clean.get("policy")
        if policies is not None and type(name) is str:
            opts = policies.get(name)
            if opts is None:
                errors.append("%s.policy: unknown policy \"%s\" (allowed: %s)" % (here, name, ", ".join(sorted(policies))))
            else:
                settings, errs = _validate_opts(opts, settings, here + ".settings")
                errors.extend(errs)
        elif type(settings) is not dict:
            errors.append("%s.settings: must be an object" % here)
        clean["settings"] = settings
        out.append(clean)
    return out, errors


def active(entries, weekday, minute_of_day):
    """The (policy_name, settings) the schedule asks for now, or None when it asks nothing.

    ``weekday`` 0 = Monday .. 6 = Sunday and ``minute_of_day`` 0..1439 are local time;
    ``entries`` is a validated schedule.
    """
    now = weekday * _DAY + minute_of_day
    for entry in entries:
        if entry.get("end") is None:
            continue
        start = minute(entry["start"]) or 0  # validated entries always have their times
        length = ((minute(entry["end"]) or 0) - start) % _DAY
        for day in entry.get("days", _EVERY_DAY):
            if (now - (day * _DAY + start)) % _WEEK < length:
                return entry["policy"], entry.get("settings", {})
    best = None
    best_ago = _WEEK
    for entry in entries:
        if entry.get("end") is not None:
            continue
        start = minute(entry["start"]) or 0
        for day in entry.get("days", _EVERY_DAY):
            ago = (now - (day * _DAY + start)) % _WEEK
            if ago < best_ago:
                best, best_ago = entry, ago
    if best is None:
        return None
    return best["policy"], best.get("settings", {})
