"""p1host.runner, which other tests use to run the firmware: the board's flash layout, the pty
UART read by dsmr_parser, the source tree mode, and nothing left behind after stop()."""
import os
import subprocess
import time

import pytest

from p1host import runner
from p1host.bench.runtime import get_json


def test_compiled_layout_like_a_provisioned_board_and_clean_stop():
    fw = runner.start({"control": {"policy": "off"}})
    state, pid = fw.state_dir, fw.proc.pid
    try:
        for path in ("main.py", "board.py", "config.json", "lib/p1gen/app/supervisor.mpy",
                     "lib/p1gen/telegram/__init__.mpy"):
            assert os.path.exists(os.path.join(state, path)), path
        assert not os.path.exists(os.path.join(state, "lib/p1gen/app/supervisor.py"))
        with fw.reader() as reader:
            got = reader.wait(3, timeout=30)
        assert all(parsed is not None and error is None for _, _, parsed, error in got)
        assert os.path.exists(fw.uart_path) and fw.alive()
    finally:
        fw.stop()
    assert not fw.alive() and not os.path.exists(state)
    assert subprocess.run(["kill", "-0", str(pid)], capture_output=True).returncode != 0


def test_source_tree_mode_runs_the_same_firmware():
    with runner.start({}, compiled=False) as fw, fw.reader() as reader:
        reader.wait(2, timeout=30)
        assert not os.path.exists(os.path.join(fw.state_dir, "lib"))
        assert "running on host" in fw.log()


@pytest.mark.slow
def test_a_reader_that_stops_reading_never_blocks_the_firmware():
    with runner.start({}) as fw:
        time.sleep(30)  # nobody reads: the pty fills (~20 KB), the host board drops what does not fit
        assert fw.alive()
        status = get_json(fw.http_port, "/api/status")
        assert status["telegram"]["dropped_bytes"] > 0 and status["telegram"]["skipped"] == 0
        assert status["telegram"]["count"] >= 28
        with fw.reader() as reader:
            got = reader.wait(3, timeout=10)  # and it sends fresh telegrams at once when read again
        gaps = [b[0] - a[0] for a, b in zip(got, got[1:])]
        assert all(0.5 < g < 1.5 for g in gaps), gaps
