"""What the controller learned of the installation (the charge point's delays and minimum, the
car's ramp), kept in flash so a reboot does not relearn it.

Called from the telegram task right after a telegram is sent: a new controller
(after a boot or a settings change) gets what was learned; what it learns is
written when it changed, at most once a minute.
"""
import json

from p1gen import ticks
from p1gen.app.files import write_atomic

PATH = "learned.json"
_EVERY_MS = 60000


class Learned:
    def __init__(self, path: "str | None" = PATH):
        """path: the file, or None to keep nothing (tests without flash)."""
        self.path = path
        self.values = {}
        self.error = None
        self._controller = None
        self._saved_ms = None
        if path:
            try:
                with open(path) as f:
                    values = json.loads(f.read())
                if type(values) is dict:
                    self.values = values
            except (OSError, ValueError) as e:
                self.error = None if isinstance(e, OSError) else "learned.json unreadable: %s" % e

    def keep(self, controller, now_ms):
        """Give a new controller what was learned; save what the running one learned since."""
        if controller is not self._controller:
            self._controller = controller
            controller.learn(self.values)
            return False
        if not self.path or (self._saved_ms is not None and ticks.diff(now_ms, self._saved_ms) < _EVERY_MS):
            return False
        values = controller.learned()
        if values == self.values:
            return False
        self._saved_ms = now_ms
        write_atomic(self.path, json.dumps(values))
        self.values = values
        return True
