"""Who may change things: the password, login sessions and the brake on guessing.

Written here rather than taken from microdot's session/login extensions: those keep
the session in a signed cookie (a JWT library the board does not have) and nothing
there limits password guessing. The brake needs no memory per attempt or per client:
one failure counter and the tick of the last failure. After ``FREE_FAILURES`` wrong
passwords every further one locks logins for a delay that doubles up to
``MAX_DELAY_MS``; a right password, or an hour without a wrong one, releases it.
Passwords and tokens are compared in constant time; nothing here logs anything.
"""

import binascii
import hashlib
import os

from p1gen import ticks

FREE_FAILURES = 3
BASE_DELAY_MS = 1000
MAX_DELAY_MS = 300000
_FORGET_MS = 3600000  # an hour without a wrong password clears the counter
_MAX_COUNT = 1000  # the counter saturates: it never becomes a big integer
MAX_SESSIONS = 4


def same(a, b):
    """True when texts a and b are equal, in a time that does not depend on where they differ."""
    da = hashlib.sha256(a.encode() if type(a) is str else a).digest()
    db = hashlib.sha256(b.encode() if type(b) is str else b).digest()
    diff = 0
    for i in range(len(da)):
        diff |= da[i] ^ db[i]
    return diff == 0


def delay_ms(failures):
    """How long logins stay locked after the ``failures``-th wrong password in a row."""
    if failures <= FREE_FAILURES:
        return 0
    shift = failures - FREE_FAILURES - 1
    if shift > 9:
        return MAX_DELAY_MS
    return min(BASE_DELAY_MS << shift, MAX_DELAY_MS)


class Auth:
    """``password`` is a function returning the configured password (None: none set)."""

    def __init__(self, password, session_ms=86400000, clock=ticks.ms):
        self._password = password
        self.session_ms = session_ms
        self._clock = clock
        self.failures = 0
        self._failed_ms = 0  # tick of the last wrong password
        self._sessions = []  # [token, tick of last use], at most MAX_SESSIONS

    def password_set(self):
        return bool(self._password())

    def locked_ms(self, now=None):
        """Milliseconds until the next password may be tried (0: now)."""
        wait = delay_ms(self.failures)
        if not wait:
            return 0
        now = self._clock() if now is None else now
        left = wait - ticks.diff(now, self._failed_ms)
        return left if 0 < left <= wait else 0

    def check(self, given, now=None):
        """Test a password: True, False, or None while locked or when no password is set.

        Every wrong answer counts towards the brake; a locked attempt is not even compared.
        """
        now = self._clock() if now is None else now
        secret = self._password()
        if not secret or self.locked_ms(now):
            return None
        if type(given) is str and same(given, secret):
            self.failures = 0
            return True
        self.failures = min(self.failures + 1, _MAX_COUNT)
        self._failed_ms = now
        return False

    def open_session(self, now=None):
        """A new session token (call it after ``check`` said True); the least recently used
        session makes room when ``MAX_SESSIONS`` are open."""
        now = self._clock() if now is None else now
        token = binascii.hexlify(os.urandom(16)).decode()
        if len(self._sessions) >= MAX_SESSIONS:
            oldest = 0
            for i in range(1, len(self._sessions)):
                if ticks.diff(self._sessions[i][1], self._sessions[oldest][1]) < 0:
                    oldest = i
            self._sessions.pop(oldest)
        self._sessions.append([token, now])
        return token

    def session(self, token, now=None):
        """True when ``token`` is a live session; using it keeps it alive."""
        if not token or type(token) is not str:
            return False
        now = self._clock() if now is None else now
        self.expire(now)
        found = None
        for entry in self._sessions:
            if same(token, entry[0]):
                found = entry
        if found is None:
            return False
        found[1] = now
        return True

    def logout(self, token):
        self._sessions = [e for e in self._sessions if not same(token or "", e[0])]

    def logout_all(self):
        self._sessions = []

    def sessions(self):
        return len(self._sessions)

    def expire(self, now=None):
        """Forget idle sessions and an old failure count; call it at least every few minutes."""
        now = self._clock() if now is None else now
        self._sessions = [e for e in self._sessions if 0 <= ticks.diff(now, e[1]) <= self.session_ms]
        if self.failures and not 0 <= ticks.diff(now, self._failed_ms) <= _FORGET_MS:
            self.failures = 0

    def state(self, now=None):
        """The brake's state for the status API (no secret in it)."""
        return {"failures": self.failures, "locked_s": (self.locked_ms(now) + 999) // 1000,
                "sessions": len(self._sessions), "password_set": self.password_set()}
