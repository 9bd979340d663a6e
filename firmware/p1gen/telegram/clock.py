"""Local time stamps for telegrams without a time zone database.

Meters write local time with S (summer) or W (winter). The EU rule: summer time
from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC.
Dates come from integer civil-calendar arithmetic (Howard Hinnant's days_from_civil
algorithm), so the result does not depend on the port's epoch or gmtime.
"""

CET_MIN = 60  # Netherlands and Belgium: UTC+1 in winter


def days_from_civil(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z):
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


def _last_sunday_utc_s(year, month):
    """01:00 UTC on the last Sunday of month (March or October: 31 days)."""
    last = days_from_civil(year, month, 31)
    weekday = (last + 3) % 7  # 0 = Monday; 1970-01-01 was a Thursday
    return (last - (weekday + 1) % 7) * 86400 + 3600


def is_summer(utc_s):
    year = civil_from_days(utc_s // 86400)[0]
    return _last_sunday_utc_s(year, 3) <= utc_s < _last_sunday_utc_s(year, 10)


def local_fields(utc_s, std_offset_min=CET_MIN, eu_dst=True):
    """(yy, mm, dd, hh, mi, ss, summer) of local time at utc_s."""
    summer = eu_dst and is_summer(utc_s)
    local = utc_s + std_offset_min * 60 + (3600 if summer else 0)
    days, secs = local // 86400, local % 86400
    y, m, d = civil_from_days(days)
    return y % 100, m, d, secs // 3600, secs // 60 % 60, secs % 60, summer


def utc_from_local(yy, mm, dd, hh, mi, ss, summer, std_offset_min=CET_MIN):
    """Inverse of local_fields for a stamp that says S or W (years 2000-2099)."""
    local = days_from_civil(2000 + yy, mm, dd) * 86400 + hh * 3600 + mi * 60 + ss
    return local - std_offset_min * 60 - (3600 if summer else 0)
