"""The last-hour ring buffer: fixed size, wraps, reads back in order, streams valid JSON."""
import json

from p1gen.web.history import CHANNELS, MISSING, History


def test_empty_history():
    h = History()
    assert h.size == 360
    assert h.series("grid_w") == []
    doc = json.loads("".join(h.json_chunks()))
    assert doc == {"interval_s": 10, "age_ms": None, "count": 0, "series": {c: [] for c in CHANNELS}}


def test_samples_read_back_oldest_first_with_gaps():
    h = History(interval_s=10, span_s=60)
    h.add((100, 0, 6004, None), 1)  # kept in tens
    h.add((-2000, 3000), 2)  # a short sample: the rest unknown
    assert h.series("grid_w") == [100, -2000]
    assert h.series("pv_w") == [0, 3000]
    assert h.series("report_ma") == [6000, None]  # 6004 in tens
    assert h.series("ev_ma") == [None, None]
    assert h.last_ms == 2


def test_ring_wraps_and_keeps_the_newest():
    h = History(interval_s=10, span_s=60)  # 6 slots
    for i in range(20):
        h.add((i * 10, -i * 10, i * 100, None), i)
    assert h.count == 6
    assert h.series("grid_w") == [140, 150, 160, 170, 180, 190]
    assert h.series("pv_w") == [-140, -150, -160, -170, -180, -190]


def test_buffer_is_allocated_once():
    h = History()
    columns = list(h._data)
    assert len(columns) == len(CHANNELS) and all(len(c) == 360 for c in columns)
    for i in range(1000):
        h.add((i, i, i, i), i)
    assert all(a is b for a, b in zip(h._data, columns))
    assert all(len(c) == 360 for c in h._data)
    assert sum(len(c) * 2 for c in h._data) == 4 * 360 * 2  # 16-bit: 2.9 KB for the hour


def test_out_of_range_is_clamped_not_missing():
    h = History(span_s=30)
    h.add((1 << 40, -(1 << 40), MISSING * 10, 0))
    assert h.series("grid_w")[0] == 327670
    assert h.series("pv_w")[0] == -327670
    assert h.series("report_ma")[0] == -327670  # only None means unknown
    assert h.series("ev_ma")[0] == 0


def test_json_chunks_parse_for_every_fill_level():
    for span in (10, 600, 1250):  # up to 125 slots: the text fits the MicroPython test heap in one piece
        for n in (0, 1, 59, 60, 61, 124, 125, 126, 400):
            h = History(span_s=span)
            for i in range(n):
                h.add((i * 10, None, -i * 10, 70), i)
            text = "".join(h.json_chunks(age_ms=1234, per_chunk=60))
            doc = json.loads(text)
            assert doc["count"] == min(n, h.size - 1)  # full: the oldest, which the next sample takes, is left out
            assert doc["age_ms"] == 1234
            assert doc["series"]["grid_w"] == h.series("grid_w")[len(h.series("grid_w")) - doc["count"]:]
            assert doc["series"]["pv_w"] == [None] * doc["count"]
            assert doc["series"]["ev_ma"] == [70] * doc["count"]


def test_chunks_stay_small():
    h = History()
    for i in range(500):
        h.add((-1000000, 1000000, 32000, 16000), i)
    assert max(len(c) for c in h.json_chunks(per_chunk=60)) <= 60 * 8


def test_the_answer_length_holds_while_a_sample_arrives():
    """Issue 13.5: the answer is measured, then sent (Content-Length); a sample that
    arrives in between must not change its length."""
    for fill in (5, 359, 360, 1000):
        h = History()
        for i in range(fill):
            h.add((i, None, 5, -3), i)
        held = h.held()
        before = sum(len(piece) for piece in h.json_chunks(1000, held))
        h.add((-327670, 123456, None, 1 << 40), fill)
        after = sum(len(piece) for piece in h.json_chunks(1000, held))
        assert before == after, fill
        assert held[1] == min(fill, h.size - 1)
