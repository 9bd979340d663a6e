"""The last hour of a few integer channels, in a ring buffer allocated once.

One sample every ``interval_s`` (default 10 s, 360 per hour) of each channel, stored in
one preallocated ``array('h')`` per channel (small blocks, easy to place on a fragmented
heap): the buffers never grow, however long the device runs. Values are kept in tens
(10 W, 10 mA: finer than a chart shows), from -327 670 to 327 670; a value that is
unknown at a sample is stored as ``MISSING`` and read back as None.

The JSON answer writes every value in the same width (JSON allows the spaces), so its
length depends only on how many samples it holds: it can be measured, then sent, while a
new sample arrives (``held`` leaves out the oldest slot, the one that sample overwrites).
"""

from array import array

MISSING = -0x8000  # int16 minimum: "unknown at this sample"
_HI = 0x7FFF  # in tens: 327 kW or 327 A, and 7 characters with its sign
_NULL = "   null"  # as wide as -327670

# what the status page charts: grid power, PV power, reported current and the car's current
CHANNELS = ("grid_w", "pv_w", "report_ma", "ev_ma")


class History:
    def __init__(self, channels=CHANNELS, interval_s=10, span_s=3600):
        self.channels = tuple(channels)
        self.interval_s = interval_s
        self.size = span_s // interval_s
        self._data = []
        for _ in self.channels:
            column = array("h", bytes(2 * self.size))  # allocated once, never grows
            for i in range(self.size):
                column[i] = MISSING
            self._data.append(column)
        self._next = 0  # slot the next sample goes to
        self.count = 0  # samples held, at most size
        self.last_ms = None  # tick of the newest sample

    def add(self, values, t_ms=None):
        """Store one sample: ``values`` holds one int (or None) per channel, in order."""
        slot = self._next
        for i in range(len(self.channels)):
            value = values[i] if i < len(values) else None
            if value is None:
                value = MISSING
            else:
                value = min(_HI, max(-_HI, (value + 5) // 10))
            self._data[i][slot] = value
        self._next = (self._next + 1) % self.size
        if self.count < self.size:
            self.count += 1
        self.last_ms = t_ms

    def _slots(self):
        first = (self._next - self.count) % self.size
        for k in range(self.count):
            yield (first + k) % self.size

    def series(self, channel):
        """The samples of ``channel``, oldest first, None where unknown."""
        column = self._data[self.channels.index(channel)]
        out = []
        for slot in self._slots():
            value = column[slot]
            out.append(None if value == MISSING else value * 10)
        return out

    def held(self):
        """(first slot, count) of the samples an answer started now sends: all of them, but
        the oldest once the buffer is full (the next sample overwrites it meanwhile)."""
        count = min(self.count, self.size - 1)
        return (self._next - count) % self.size, count

    def json_chunks(self, age_ms=None, held=None, per_chunk=20):
        """The history as JSON text, in small pieces (for an HTTP body); ``held`` from
        ``held()`` fixes which samples, so two calls give texts of the same length.

        {"interval_s": 10, "age_ms": <age of the newest sample>, "count": n,
         "series": {"grid_w": [...oldest first...], ...}}
        """
        first, count = self.held() if held is None else held
        yield '{"interval_s":%d,"age_ms":%s,"count":%d,"series":{' % (
            self.interval_s, "null" if age_ms is None else str(age_ms), count)
        for col, name in enumerate(self.channels):
            yield '%s"%s":[' % ("," if col else "", name)
            column = self._data[col]
            k = 0
            while k < count:
                end = min(k + per_chunk, count)
                parts = []
                for j in range(k, end):
                    value = column[(first + j) % self.size]
                    parts.append(_NULL if value == MISSING else "%7d" % (value * 10))
                yield ("," if k else "") + ",".join(parts)
                k = end
            yield "]"
        yield "}}"
