"""The weekly schedule: validation messages and which entry is active when."""
from p1gen.app import schedule
from p1gen.options import Opt

POLICIES = {
    "full": (),
    "off": (),
    "solar": (Opt("margin_w", int, 100, "grid export kept", lo=0, hi=5000),),
    "fixed": (Opt("current_ma", int, 6000, "current", lo=6000, hi=32000),),
}

MON, TUE, WED, THU, FRI, SAT, SUN = 0, 1, 2, 3, 4, 5, 6


def valid(entries):
    out, errors = schedule.validate(entries, "schedule", POLICIES)
    assert errors == [], errors
    return out


def errors_of(entries):
    out, errors = schedule.validate(entries, "schedule", POLICIES)
    assert errors, "expected errors for %r" % (entries,)
    return errors


def test_minute_parses_only_real_times():
    assert schedule.minute("00:00") == 0
    assert schedule.minute("07:30") == 450
    assert schedule.minute("23:59") == 1439
    for bad in ("24:00", "7:30", "07:60", "0730", "ab:cd", "", None, 730, "07:3x"):
        assert schedule.minute(bad) is None, bad


def test_validate_fills_days_and_settings():
    out = valid([{"policy": "solar", "start": "07:00"}])
    assert out[0]["days"] == [0, 1, 2, 3, 4, 5, 6]
    assert out[0]["settings"] == {"margin_w": 100}
    assert "end" not in out[0]


def test_validate_names_entry_and_key():
    errs = errors_of([{"policy": "solar", "start": "07:00"}, {"policy": "solar", "start": "25:00"}])
    assert len(errs) == 1 and errs[0].startswith("schedule.1.start:"), errs
    assert "HH:MM" in errs[0]


def test_validate_rejects_bad_entries_with_clear_messages():
    cases = [
        ({"policy": "warp", "start": "07:00"}, "schedule.0.policy: unknown policy"),
        ({"start": "07:00"}, "schedule.0.policy: required"),
        ({"policy": "solar"}, "schedule.0.start: required"),
        ({"policy": "solar", "start": "07:00", "end": "07:00"}, "schedule.0.end:"),
        ({"policy": "solar", "start": "07:00", "days": [7]}, "schedule.0.days: 7 is no weekday"),
        ({"policy": "solar", "start": "07:00", "days": []}, "schedule.0.days: name at least one day"),
        ({"policy": "solar", "start": "07:00", "days": [1, 2, 1]}, "schedule.0.days: 1 is named twice"),
        ({"policy": "solar", "start": "07:00", "days": "mon"}, "schedule.0.days: must be a list"),
        ({"policy": "solar", "start": "07:00", "colour": 1}, "schedule.0.colour: unknown key"),
        ({"policy": "fixed", "start": "07:00", "settings": {"current_ma": 1}}, "schedule.0.settings.current_ma: must be at least"),
        ("solar at 7", "schedule.0: must be an object"),
    ]
    for entry, expected in cases:
        errs = errors_of([entry])
        assert any(e.startswith(expected) for e in errs), (entry, errs)


def test_validate_rejects_non_list_and_too_many():
    assert schedule.validate({"policy": "off"}, "schedule", POLICIES)[1][0].startswith("schedule: must be a list")
    many = [{"policy": "off", "start": "00:00"}] * (schedule.MAX_ENTRIES + 1)
    assert "at most" in schedule.validate(many, "schedule", POLICIES)[1][0]


def test_no_entries_means_no_opinion():
    assert schedule.active([], MON, 600) is None


def test_switch_runs_until_next_switch_across_days():
    entries = valid([
        {"policy": "solar", "start": "07:00", "days": [MON, TUE, WED, THU, FRI]},
        {"policy": "full", "start": "22:00", "days": [MON, TUE, WED, THU, FRI]},
    ])
    assert schedule.active(entries, MON, 7 * 60)[0] == "solar"
    assert schedule.active(entries, MON, 21 * 60 + 59)[0] == "solar"
    assert schedule.active(entries, MON, 22 * 60)[0] == "full"
    assert schedule.active(entries, TUE, 6 * 60 + 59)[0] == "full"  # overnight
    # the weekend has no switch: Friday 22:00 "full" lasts until Monday 07:00
    assert schedule.active(entries, SAT, 12 * 60)[0] == "full"
    assert schedule.active(entries, MON, 6 * 60)[0] == "full"  # wraps back over the week's end
    assert schedule.active(entries, MON, 7 * 60)[1] == {"margin_w": 100}


def test_window_wins_and_ends():
    entries = valid([
        {"policy": "solar", "start": "00:00"},
        {"policy": "fixed", "start": "22:00", "end": "06:00", "days": [SUN], "settings": {"current_ma": 16000}},
    ])
    assert schedule.active(entries, SUN, 21 * 60 + 59)[0] == "solar"
    assert schedule.active(entries, SUN, 22 * 60) == ("fixed", {"current_ma": 16000})
    assert schedule.active(entries, MON, 5 * 60 + 59)[0] == "fixed"  # past midnight into Monday
    assert schedule.active(entries, MON, 6 * 60)[0] == "solar"
    assert schedule.active(entries, SAT, 23 * 60)[0] == "solar"  # only Sunday nights


def test_window_alone_leaves_the_rest_to_the_config():
    entries = valid([{"policy": "off", "start": "17:00", "end": "21:00", "days": [MON, TUE, WED, THU, FRI]}])
    assert schedule.active(entries, WED, 18 * 60)[0] == "off"
    assert schedule.active(entries, WED, 21 * 60) is None
    assert schedule.active(entries, SAT, 18 * 60) is None


def test_first_window_wins_on_overlap():
    entries = valid([
        {"policy": "off", "start": "10:00", "end": "12:00"},
        {"policy": "full", "start": "11:00", "end": "13:00"},
    ])
    assert schedule.active(entries, THU, 11 * 60 + 30)[0] == "off"
    assert schedule.active(entries, THU, 12 * 60 + 30)[0] == "full"


def test_every_minute_of_a_week_has_an_answer_with_a_switch():
    entries = valid([{"policy": "solar", "start": "09:15", "days": [WED]}])
    for day in range(7):
        for m in range(0, 1440, 7):
            assert schedule.active(entries, day, m)[0] == "solar"
