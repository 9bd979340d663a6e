"""The supervisor on the unix-port firmware, faults injected through the host board's test hook
(runner.Firmware.inject): every task raises once, then hangs; the telegrams keep their
cadence, each task comes back and the status says so. A task that keeps failing resets the
board, which says why after the boot (status API, console, `p1gen status`)."""
import time

from p1host import runner, status as status_cmd
from p1host.bench.runtime import get_json

TASKS = ("telegram", "source", "schedule", "wifi", "led")
CONFIG = {"web": {"password": "pw-123456", "open_reads": True}}


def tasks_status(fw):
    try:
        return get_json(fw.http_port, "/api/status")["tasks"]
    except OSError as e:
        raise AssertionError("no status (%s): %s" % (e, fw.log()))


def wait_for(predicate, timeout, what, poll=0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError("no %s within %d s" % (what, timeout))


def max_gap(telegrams, since):
    times = [t for t, _, parsed, error in telegrams if t >= since and parsed is not None and error is None]
    return max(b - a for a, b in zip(times, times[1:]))


def test_every_task_raises_once_then_hangs_and_comes_back_while_telegrams_keep_their_cadence():
    with runner.start(CONFIG, models=True) as fw, fw.reader() as reader:
        reader.wait(3, timeout=30)
        start = time.monotonic()
        for name in TASKS:
            fw.inject(name, "raise", once=True)

        def all_restarted(n):
            st = tasks_status(fw)
            return all(st[name]["restarts"] >= n for name in TASKS) and st

        st = wait_for(lambda: all_restarted(1), 20, "restart of every task after one failure")
        for name in TASKS:
            assert "RuntimeError: fault injected by the test board" in st[name]["last_error"], (name, st[name])
        for name in TASKS:
            fw.inject(name, "hang", once=True)
        st = wait_for(lambda: all_restarted(2), 40, "restart of every hanging task")
        for name in TASKS:
            assert st[name]["last_error"].startswith("no sign of life for "), (name, st[name])
        time.sleep(3)
        st = get_json(fw.http_port, "/api/status")
        telegrams = list(reader.telegrams)
        log = fw.log()
    for name in TASKS:
        task = st["tasks"][name]
        assert task["restarts"] == 2 and task["last_run_age_ms"] < 6000, (name, task)
    assert max_gap(telegrams, start) < 1.5, max_gap(telegrams, start)
    assert [e for t, _, _, e in telegrams if t >= start and e] == []
    assert st["telegram"]["count"] >= time.monotonic() - start - 3
    assert "p1gen wifi: no sign of life for " in log and fw.resets == 0, log


def test_a_task_failing_again_and_again_resets_the_board_which_says_why():
    with runner.start(CONFIG, models=True) as fw, fw.reader() as reader:
        reader.wait(2, timeout=30)
        fw.inject("wifi", "raise")
        wait_for(lambda: "p1gen: stopped" in fw.log(), 60, "reset by the supervisor", poll=0.05)
        fw.inject("wifi", None)
        wait_for(lambda: fw.resets == 1, 10, "reboot")
        before = len(reader.telegrams)
        reader.wait(before + 3, timeout=30)  # telegrams again after the boot
        st = get_json(fw.http_port, "/api/status")
        log = fw.log()
    reason = "reset by the supervisor: wifi failed 5 times in 10 min: RuntimeError: fault injected by the test board"
    assert st["boot"]["reason"] == reason and st["boot"]["reset_cause"] == "soft reset", st["boot"]
    assert "p1gen: last reset: %s (reset cause: soft reset)" % reason in log, log
    assert st["tasks"]["wifi"]["restarts"] == 0 and st["wifi"]["state"] == "connected"
    shown = status_cmd.format_status(st)
    assert "last reset    %s (soft reset)" % reason in shown, shown
