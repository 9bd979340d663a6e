"""Who may change things: the password, login sessions and the brake on guessing.

Written here rather than taken from microdot's session/login extensions: those keep
the session in a signed cookie (a JWT library the board does not have) and nothing
there limits password guessing.

The brake is per client address: after ``FREE_FAILURES`` wrong passwords every further
one locks that address for a delay that doubles up to ``MAX_DELAY_MS``; its right
password, or an hour without a wrong one, releases it. A right password from one
address never resets another's count. ``MAX_TRACKED`` addresses have a brake of their
own; any further address shares one brake, so memory stays bounded whatever the number
of addresses. Above all of them a global ceiling: ``GLOBAL_FREE`` wrong passwords from
everyone together, then one more per ``GLOBAL_REFILL_MS``. While the ceiling is reached
only an address that has never failed is still heard (once): the owner on their own
phone can always log in while others guess. Passwords and tokens are compared in
constant time; nothing here logs anything.
"""

import binascii
import hashlib
import os

from p1gen import ticks

FREE_FAILURES = 3
BASE_DELAY_MS = 1000
MAX_DELAY_MS = 300000
MAX_TRACKED = 8
GLOBAL_FREE = 20
GLOBAL_REFILL_MS = 30000
_FORGET_MS = 3600000  # an hour without a wrong password clears an address's count
_MAX_COUNT = 1000  # counters saturate: they never become big integers
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
    """How long an address stays locked after its ``failures``-th wrong password in a row."""
    if failures <= FREE_FAILURES:
        return 0
    shift = failures - FREE_FAILURES - 1
    if shift > 9:
        return MAX_DELAY_MS
    return min(BASE_DELAY_MS << shift, MAX_DELAY_MS)


def client_key(addr):
    """The address part of a peer (a (host, port) tuple, or the unix port's raw sockaddr_in),
    so that every connection from one host shares its brake."""
    if type(addr) is tuple and addr:
        return str(addr[0])
    if type(addr) in (bytes, bytearray) and len(addr) >= 8:
        return bytes(addr[4:8])  # family (2), port (2), IPv4 address (4)
    return None


class Auth:
    """``password`` is a function returning the configured password (None: none set)."""

    def __init__(self, password, session_ms=86400000, clock=ticks.ms):
        self._password = password
        self.session_ms = session_ms
        self._clock = clock
        self.failures = 0  # wrong passwords from everyone (saturating; for the status)
        self._clients = {}  # address -> [failures, tick of the last one], at most MAX_TRACKED
        self._shared = [0, 0]  # the brake of every address beyond MAX_TRACKED
        self._tokens = GLOBAL_FREE  # wrong passwords the global ceiling still allows
        self._tokens_ms = clock()
        self._sessions = []  # [token, tick of last use], at most MAX_SESSIONS

    def password_set(self):
        return bool(self._password())

    def _brake(self, client):
        """The brake of ``client``: its own, the shared one (table full), or None (never failed)."""
        brake = self._clients.get(client)
        if brake is None and len(self._clients) >= MAX_TRACKED:
            return self._shared
        return brake

    def _refill(self, now):
        passed = ticks.diff(now, self._tokens_ms)
        if passed < 0:
            self._tokens_ms = now
            return
        more = passed // GLOBAL_REFILL_MS
        if more:
            self._tokens = min(GLOBAL_FREE, self._tokens + more)
            self._tokens_ms = now if self._tokens == GLOBAL_FREE else ticks.add(self._tokens_ms, more * GLOBAL_REFILL_MS)

    def locked_ms(self, client=None, now=None):
        """Milliseconds until ``client`` may try a password again (0: now)."""
        now = self._clock() if now is None else now
        brake = self._brake(client)
        if brake is None or not brake[0]:
            return 0
        wait = delay_ms(brake[0])
        left = wait - ticks.diff(now, brake[1]) if wait else 0
        left = left if 0 < left <= wait else 0
        self._refill(now)
        if self._tokens <= 0:  # the ceiling: an address that failed waits for the next allowance
            left = max(left, GLOBAL_REFILL_MS - ticks.diff(now, self._tokens_ms), 1)
        return left

    def check(self, given, client=None, now=None):
        """Test a password from address ``client``: True, False, or None while that address
        is locked or when no password is set. A locked attempt is not even compared."""
        now = self._clock() if now is None else now
        secret = self._password()
        if not secret or self.locked_ms(client, now):
            return None
        brake = self._brake(client)
        if type(given) is str and same(given, secret):
            if brake is not None and brake is not self._shared:
                del self._clients[client]
            return True
        self.failures = min(self.failures + 1, _MAX_COUNT)
        if brake is None:
            # above the ceiling a new address was heard once; its next wrong one waits
            brake = self._clients[client] = [0 if self._tokens > 0 else FREE_FAILURES, now]
        brake[0] = min(brake[0] + 1, _MAX_COUNT)
        brake[1] = now
        self._tokens = max(0, self._tokens - 1)
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

    def logout_all(self, keep=None):
        """End every session but ``keep`` (the one that changed the password)."""
        self._sessions = [e for e in self._sessions if keep and same(keep, e[0])]

    def sessions(self):
        return len(self._sessions)

    def expire(self, now=None):
        """Forget idle sessions and quiet addresses; call it at least every few minutes."""
        now = self._clock() if now is None else now
        self._sessions = [e for e in self._sessions if 0 <= ticks.diff(now, e[1]) <= self.session_ms]
        for client in list(self._clients):
            if not 0 <= ticks.diff(now, self._clients[client][1]) <= _FORGET_MS:
                del self._clients[client]
        if self._shared[0] and not 0 <= ticks.diff(now, self._shared[1]) <= _FORGET_MS:
            self._shared[0] = 0
        if not self._clients and not self._shared[0]:
            self.failures = 0

    def state(self, now=None):
        """The brake's state for the status API (no secret, no address in it)."""
        now = self._clock() if now is None else now
        locked = 0
        for client in self._clients:
            if self.locked_ms(client, now):
                locked += 1
        return {"failures": self.failures, "locked_clients": locked, "sessions": len(self._sessions),
                "password_set": self.password_set()}
