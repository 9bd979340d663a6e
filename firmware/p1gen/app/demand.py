"""The Belgian capacity-tariff figures of the reported load, as an e-MUCS meter shows them:
the current quarter-hour's average demand (1-0:1.4.0) and the month's highest quarter-hour
(1-0:1.6.0, with the quarter's start). Quarters follow the wall clock (:00 :15 :30 :45) when
it is set, else the ticks; integers only (W x ms), so nothing drifts on the board."""
from p1gen import ticks

_QUARTER_S = 900
_QUARTER_MS = 900000


class Demand:
    def __init__(self):
        self.avg_w = 0  # average import of the quarter so far, W
        self.peak_w = 0  # the month's highest completed quarter, W
        self.peak_utc_s = None  # when that quarter started
        self._wms = 0  # import energy of this quarter, W x ms
        self._start_ms = None
        self._start_utc = None
        self._month = None

    def add(self, import_w, dt_ms, now_ms, utc_s=None, month=None):
        """Count import_w (>= 0) flowing for the dt_ms up to now_ms (utc_s: the wall clock then,
        when set; month: the local month). An interval belongs to the quarter it starts in."""
        if month is not None and month != self._month:
            if self._month is not None:
                self.peak_w, self.peak_utc_s = 0, None  # a new month starts a new peak
            self._month = month
        start_ms = ticks.add(now_ms, -dt_ms)
        start_utc = None if utc_s is None else utc_s - dt_ms // 1000
        if self._start_ms is None:
            self._begin(start_ms, start_utc)
        elif self._new_quarter(start_ms, start_utc):
            quarter_w = self._wms // _QUARTER_MS  # the energy of the whole quarter, as a power
            if quarter_w > self.peak_w:
                self.peak_w, self.peak_utc_s = quarter_w, self._start_utc
            self._begin(start_ms, start_utc)
        self._wms += max(0, import_w) * dt_ms
        elapsed = ticks.diff(now_ms, self._start_ms)
        self.avg_w = self._wms // elapsed if elapsed > 0 else max(0, import_w)

    def _new_quarter(self, start_ms, start_utc):
        if start_utc is not None and self._start_utc is not None:
            return start_utc // _QUARTER_S != self._start_utc // _QUARTER_S
        return ticks.diff(start_ms, self._start_ms) >= _QUARTER_MS

    def _begin(self, now_ms, utc_s):
        self._wms = 0
        self._start_ms = now_ms
        self._start_utc = None if utc_s is None else utc_s - utc_s % _QUARTER_S
