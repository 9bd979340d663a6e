"""Password check, sessions and the brute-force brake, with an injected clock."""
from p1gen import ticks
from p1gen.web import auth as authmod
from p1gen.web.auth import Auth


class Clock:
    def __init__(self, t=0):
        self.t = t

    def __call__(self):
        return self.t

    def step(self, ms):
        self.t = ticks.add(self.t, ms)


def make(password="s3cret!", t=0):
    clock = Clock(t)
    box = {"pw": password}
    return Auth(lambda: box["pw"], session_ms=60000, clock=clock), clock, box


def test_same_compares_texts():
    assert authmod.same("abc", "abc")
    assert not authmod.same("abc", "abd")
    assert not authmod.same("abc", "abcd")
    assert not authmod.same("", "x")
    assert authmod.same(b"\x00\xff", b"\x00\xff")


def test_right_and_wrong_password():
    a, clock, _ = make()
    assert a.check("s3cret!") is True
    assert a.check("S3cret!") is False
    assert a.check(None) is False  # a missing password is a wrong one
    assert a.check(123) is False
    assert a.failures == 3


def test_no_password_set_refuses_everything():
    a, clock, box = make(password=None)
    assert not a.password_set()
    assert a.check("") is None and a.check("anything") is None
    box["pw"] = ""
    assert a.check("") is None
    assert a.failures == 0


def test_delays_grow_and_cap():
    got = [authmod.delay_ms(n) for n in range(1, 20)]
    free = authmod.FREE_FAILURES
    assert got[:free] == [0] * free
    assert got[free:free + 4] == [1000, 2000, 4000, 8000]
    assert max(got) == authmod.MAX_DELAY_MS
    assert all(got[i] <= got[i + 1] for i in range(len(got) - 1))
    assert authmod.delay_ms(10 ** 6) == authmod.MAX_DELAY_MS


def test_lockout_refuses_even_the_right_password_then_releases():
    a, clock, _ = make()
    for _ in range(authmod.FREE_FAILURES):
        assert a.check("guess") is False
        assert a.locked_ms() == 0
    assert a.check("guess") is False  # the 4th: 1 s brake
    assert a.locked_ms() == 1000
    assert a.check("s3cret!") is None  # not even compared while locked
    clock.step(999)
    assert a.check("s3cret!") is None
    clock.step(1)
    assert a.check("guess") is False  # 5th: 2 s
    assert a.locked_ms() == 2000
    clock.step(2000)
    assert a.check("s3cret!") is True
    assert a.locked_ms() == 0
    assert a.check("guess") is False and a.locked_ms() == 0  # its own count starts again


def test_guessing_in_a_loop_is_slow_and_uses_no_memory():
    a, clock, _ = make()
    tried = 0
    slots = len(a.__dict__) if hasattr(a, "__dict__") else None
    # an attacker trying as fast as allowed for 10 simulated minutes
    for _ in range(5000):
        verdict = a.check("guess%d" % tried)
        if verdict is False:
            tried += 1
        clock.step(100)
    assert tried < 20, tried  # 3 free, then 1+2+4+...+256 s of brake in 500 s
    assert a.failures == tried and a.failures < 1000
    assert a.sessions() == 0
    if slots is not None:
        assert len(a.__dict__) == slots


def test_failures_are_forgotten_after_an_hour_quiet():
    a, clock, _ = make()
    for _ in range(6):
        a.check("x")
        clock.step(authmod.MAX_DELAY_MS)
    assert a.failures == 6
    clock.step(3600001)
    a.expire()
    assert a.failures == 0


def test_sessions_open_live_and_expire():
    a, clock, _ = make()
    assert a.check("s3cret!")
    token = a.open_session()
    assert len(token) == 32
    assert a.session(token)
    assert not a.session(token[:-1] + ("0" if token[-1] != "0" else "1"))
    assert not a.session("") and not a.session(None) and not a.session(42)
    clock.step(50000)
    assert a.session(token)  # used: kept alive
    clock.step(50000)
    assert a.session(token)
    clock.step(60001)
    assert not a.session(token)
    assert a.sessions() == 0


def test_sessions_are_bounded_and_logout_works():
    a, clock, _ = make()
    tokens = []
    for i in range(authmod.MAX_SESSIONS + 3):
        tokens.append(a.open_session())
        clock.step(10)
    assert a.sessions() == authmod.MAX_SESSIONS
    assert len(set(tokens)) == len(tokens)
    assert not a.session(tokens[0])  # the least recently used made room
    assert a.session(tokens[-1])
    a.logout(tokens[-1])
    assert not a.session(tokens[-1])
    assert a.sessions() == authmod.MAX_SESSIONS - 1
    a.logout_all()
    assert a.sessions() == 0


def test_brake_and_sessions_across_the_tick_wrap():
    start = ticks.PERIOD - 1500 if hasattr(ticks, "PERIOD") else (1 << 30) - 1500
    a, clock, _ = make(t=start)
    token = a.open_session()
    for _ in range(authmod.FREE_FAILURES + 1):
        assert a.check("x") is False
    assert a.locked_ms() == 1000
    clock.step(1000)
    assert a.check("x") is False
    assert a.locked_ms() == 2000
    clock.step(1999)  # now past the wrap
    assert clock.t < start
    assert a.locked_ms() == 1
    clock.step(1)
    assert a.locked_ms() == 0
    assert a.session(token)


def test_state_has_no_secret():
    a, clock, _ = make(password="hunter2-very-secret")
    a.check("wrong")
    text = repr(a.state())
    assert "hunter2" not in text and "wrong" not in text
    assert a.state()["failures"] == 1 and a.state()["password_set"] is True
    assert set(a.state()) == {"failures", "locked_clients", "sessions", "password_set"}


def test_client_key_is_the_host_part_of_a_peer():
    assert authmod.client_key(("192.168.1.7", 50123)) == "192.168.1.7"
    # the unix port's raw sockaddr_in: family, port, address, padding
    raw = b"\x02\x00\xc3\x50\x7f\x00\x00\x02" + b"\x00" * 8
    other_port = b"\x02\x00\x11\x11\x7f\x00\x00\x02" + b"\x00" * 8
    assert authmod.client_key(raw) == authmod.client_key(other_port) == b"\x7f\x00\x00\x02"
    assert authmod.client_key(None) is None


def test_a_right_password_elsewhere_does_not_reset_a_guesser():
    """Issue 13.8: a SoC modem posting the right password every 10 s reset the one
    shared counter, and a guesser beside it got 36 guesses in 120 s."""
    a, clock, _ = make()
    guesses = 0
    for second in range(120):
        if second % 10 == 0:
            assert a.check("s3cret!", "modem") is True
        for _ in range(10):
            if a.check("guess%d" % guesses, "guesser") is False:
                guesses += 1
        clock.step(1000)
    # 3 free, then 1 + 2 + 4 + 8 + 16 + 32 + 64 s of brake: 7 more within 120 s
    assert guesses <= 10, guesses
    assert a.locked_ms("guesser") > 0 and a.locked_ms("modem") == 0


def test_the_owner_logs_in_from_a_client_that_has_not_failed():
    """Issue 13.9: while someone guesses, the owner was locked out without bound."""
    a, clock, _ = make()
    owner_ok = 0
    for minute in range(7):
        for _ in range(600):
            a.check("guess", "guesser")
            clock.step(100)
        owner_ok += a.check("s3cret!", "owner") is True
    assert owner_ok == 7
    assert a.check("s3cret!", "guesser") is None  # the guesser itself stays locked


def test_the_global_ceiling_holds_for_many_addresses_together():
    a, clock, _ = make()
    heard = 0
    # 40 addresses, each within its own free guesses, as fast as they can for 10 minutes
    for step in range(6000):
        client = "10.0.0.%d" % (step % 40)
        if a.check("guess%d" % step, client) is False:
            heard += 1
        clock.step(100)
    # GLOBAL_FREE, one more per GLOBAL_REFILL_MS, and a first try for each of the tracked addresses
    allowed = authmod.GLOBAL_FREE + 600000 // authmod.GLOBAL_REFILL_MS + authmod.MAX_TRACKED
    assert heard <= allowed, (heard, allowed)
    assert len(a._clients) <= authmod.MAX_TRACKED  # memory bounded whatever the number of addresses
    # once the table has room again (an hour quiet), an address that never failed is heard at once
    clock.step(3600001)
    a.expire()
    assert a.check("s3cret!", "owner") is True


def test_a_new_address_above_the_ceiling_is_heard_once():
    a, clock, _ = make()
    for i in range(authmod.GLOBAL_FREE):
        a.check("guess", "g%d" % (i % 5))
    assert a.check("s3cret!", "owner") is True  # never failed: heard
    assert a.check("guess", "newcomer") is False  # heard once
    assert a.check("guess", "newcomer") is None  # then waits for the ceiling
    assert 0 < a.locked_ms("newcomer") <= authmod.GLOBAL_REFILL_MS


def test_logout_all_keeps_the_session_that_changed_the_password():
    """Issue 13.12: a password change ends every other session."""
    a, clock, _ = make()
    mine, other, third = a.open_session(), a.open_session(), a.open_session()
    a.logout_all(keep=mine)
    assert a.session(mine) and not a.session(other) and not a.session(third)
    a.logout_all()
    assert not a.session(mine)
