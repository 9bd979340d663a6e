"""`p1gen telegram` prints one telegram exactly as the board would send it."""
import subprocess
import sys

from dsmr_parser import telegram_specifications
from dsmr_parser.parsers import TelegramParser


def p1gen(*args):
    return subprocess.run([sys.executable, "-m", "p1host", *args], capture_output=True, timeout=60)


def test_prints_a_telegram_that_dsmr_parser_accepts_with_crlf_kept():
    proc = p1gen("telegram", "--profile", "dsmr5", "--current", "16,8.5,0", "--export", "0,0,2.5",
                 "--voltage", "231,229,230", "--time", "1795250918")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith(b"/XXX5") and out.endswith(b"\r\n") and b"\r\n\r\n1-3:0.2.8(50)\r\n" in out
    parsed = TelegramParser(telegram_specifications.V5).parse(out.decode(), throw_ex=True)
    assert [str(parsed.INSTANTANEOUS_CURRENT_L1.value), str(parsed.INSTANTANEOUS_CURRENT_L2.value),
            str(parsed.INSTANTANEOUS_CURRENT_L3.value)] == ["16", "9", "2"]
    assert str(parsed.INSTANTANEOUS_ACTIVE_POWER_L3_NEGATIVE.value) == "0.575"
    assert str(parsed.INSTANTANEOUS_VOLTAGE_L2.value) == "229.0"


def test_bad_input_is_one_line_and_a_nonzero_exit():
    for args, words in ((("--current", "a,b,c"), b"not a list of numbers"),
                        (("--current", "1,2"), b"one value or three"),
                        (("--profile", "dsmr5", "--integer-amps", "--current", "1"), b"only the csp1")):
        proc = p1gen("telegram", *args)
        assert proc.returncode == 1
        assert words in proc.stderr and proc.stderr.count(b"\n") == 1 and proc.stdout == b""
