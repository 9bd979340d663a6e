"""`p1gen repl`: the emulated board's REPL through mpremote, typed into from a terminal (a pty)."""
import os
import select
import subprocess
import sys
import time

from hostcli import one_line_error, p1gen


def read_until(fd, wanted, timeout):
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    return seen


def test_the_repl_runs_what_the_user_types_and_ctrl_bracket_leaves(emu_board):
    board = emu_board()
    master, slave = os.openpty()  # the user's terminal
    proc = subprocess.Popen([sys.executable, "-m", "p1host", "repl", "--port", board.port],
                            stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    try:
        banner = read_until(master, b"Ctrl-] leaves", 30)
        assert b"REPL of the board at" in banner, banner
        os.write(master, b"\r")
        assert b">>> " in read_until(master, b">>> ", 30)
        os.write(master, b"import sys; print(sys.platform, 6 * 7)\r")
        assert b"linux 42" in read_until(master, b"linux 42", 30)
        os.write(master, b"\x1d")  # Ctrl-]
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        os.close(master)
        os.close(slave)


def test_a_busy_port_is_one_line(emu_board):
    board = emu_board()
    import serial

    with serial.Serial(board.port, exclusive=True):
        line = one_line_error(p1gen("repl", "--port", board.port), "repl")
    assert "cannot open %s" % board.port in line and "another program" in line


def test_no_board_is_one_line():
    assert "no board found at /dev/ttyACM9" in one_line_error(p1gen("repl", "--port", "/dev/ttyACM9"), "repl")
