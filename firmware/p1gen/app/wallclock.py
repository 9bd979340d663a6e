"""Wall-clock time in Unix seconds or ms, None while the board's clock is not set (no NTP yet)."""
import time

_EPOCH_2000 = 946684800  # seconds from 1970 to 2000, for ports whose time() counts from 2000
_CLOCK_SET = 1704067200  # 2024-01-01: an earlier time() means the clock was never set


def utc_ms():
    """Unix time in ms, or None while the clock is not set (no NTP yet)."""
    t = time.time_ns() // 1000000
    if time.gmtime(0)[0] == 2000:
        t += _EPOCH_2000 * 1000
    return t if t >= _CLOCK_SET * 1000 else None


def utc_now():
    """Unix time in s, or None while the clock is not set."""
    t = utc_ms()
    return None if t is None else t // 1000
