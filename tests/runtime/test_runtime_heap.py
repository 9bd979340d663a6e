"""The firmware with each source kind and the web server on, under the unix port at the heap
that matches a Pico W (p1host.bench.heapfrag.BOARD_HEAP, docs/heap.md): every source reads its
data (the p1 source from a meter on a pty), the web server runs, nothing failed to fit, and
the heap plan's start-up report is on the log. `p1gen bench runtime` prints the figures."""
import contextlib
import time

from p1host.bench import heapfrag
from p1host.bench.runtime import Installation

KINDS = ("sma", "solaredge", "homewizard", "p1")


def test_every_source_reads_its_data_with_the_web_server_on_at_the_board_heap():
    with contextlib.ExitStack() as stack:  # all four at once: they start in parallel
        env = {"P1GEN_HEAP_REPORT_S": "5"}
        insts = {kind: stack.enter_context(Installation(kind, heapsize=heapfrag.BOARD_HEAP, env=env))
                 for kind in KINDS}
        for kind, inst in insts.items():
            assert heapfrag.wait_for_data(inst, 30), (kind, inst.fw.log()[-2000:])
        statuses = {kind: inst.status() for kind, inst in insts.items()}
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not all(heapfrag.reports(i.fw.log()) for i in insts.values()):
            time.sleep(0.5)
        logs = {kind: inst.fw.log() for kind, inst in insts.items()}
    for kind, status in statuses.items():
        assert status["source"]["kind"] == kind and status["source"]["health"] == "ok", (kind, status["source"])
        assert status["web"]["running"] is True and status["web"]["error"] is None, (kind, status["web"])
        assert status["heap"]["failures"] == [], (kind, status["heap"])
        assert "does not fit" not in logs[kind] and "MemoryError" not in logs[kind], (kind, logs[kind])
        reports = heapfrag.reports(logs[kind])
        assert reports, (kind, logs[kind])
        _, free, largest = reports[0]
        assert 0 < largest <= free < heapfrag.bytes_of(heapfrag.BOARD_HEAP), (kind, reports)
    # the p1 source's frame buffer and read chunk are the heap plan's, allocated before the web server
    assert statuses["p1"]["heap"]["planned"] == ["source p1 buffers", "web history"], statuses["p1"]["heap"]
