"""Update over Wi-Fi (`p1gen provision --host`, docs/update.md) on the emulated Pico W: the
MicroPython unix port with a littlefs flash, its web server on a host port, real HTTP."""
import hashlib
import json

import pytest
from hostcli import one_line_error, p1gen
from otaboard import (PASSWORD, LineWatch, config, image, login_cookie, provision_usb, raw_request, status,
                      telegrams, wait_status)

from p1gen import __version__ as VERSION
from p1host import ota
from p1host.errors import CommandError

NEW = VERSION + "+ota"


@pytest.fixture
def usb_board(emu_board, write_config, web_port):
    """A board provisioned over USB, running; its config file's bytes."""
    board = emu_board()
    provision_usb(board, write_config(config(web_port)))
    board.web_port = web_port
    board.config_bytes = board.files()["/config.json"]
    return board


def base(board):
    return "http://127.0.0.1:%d" % board.web_port


def test_a_full_update_then_a_one_file_update_then_a_no_op(usb_board):
    board = usb_board
    new = image(NEW)
    with LineWatch(board.uart) as line:  # while the files are sent and checked: no telegram left out
        first = ota.update(base(board), PASSWORD, new, NEW, "host", confirm_s=2, wait=0, log=lambda _: None,
                           send_all=True)
    assert len(line.ends) >= 2 and line.longest_gap_s() < 1.5, line.ends  # a fast upload spans ~3 telegrams
    ota.wait_confirmed(base(board), NEW, 60)
    assert first["files_sent"] == len(new) - 1 and first["sent_bytes"] > 150000, first  # all but main.py
    state = status(board.web_port)["update"]
    assert state["running"] == NEW and state["previous"] == VERSION
    assert state["confirmed"] and "confirmed after" in state["last_result"]
    wait_status(board.web_port, lambda s: s["uptime_s"] > 4)  # the old files deleted, one a telegram
    files = board.files()
    assert files["/config.json"] == board.config_bytes
    assert files["/lib/p1gen/__init__.mpy"] == new["/lib/p1gen/__init__.mpy"]
    assert not [p for p in files if p.startswith(("/fw/new/", "/fw/old/"))], sorted(files)
    assert telegrams(board.uart)[-1].P1_MESSAGE_HEADER.value == "50"

    edited = image(VERSION + "+two", {"telegram/crc.py": lambda t: t + "\nEDITED = 1\n"})
    second = ota.update(base(board), PASSWORD, edited, VERSION + "+two", "host", confirm_s=2, wait=60,
                        log=lambda _: None)
    assert second["files_sent"] == 2, second  # p1gen/__init__ (the version) and p1gen/telegram/crc
    assert second["sent_bytes"] < 20000, second
    state = status(board.web_port)["update"]
    assert state["running"] == VERSION + "+two" and state["previous"] == NEW
    assert board.files()["/lib/p1gen/telegram/crc.mpy"] == edited["/lib/p1gen/telegram/crc.mpy"]

    again = ota.update(base(board), PASSWORD, edited, VERSION + "+two", "host", confirm_s=2, wait=60,
                       log=lambda _: None)
    assert again["files_sent"] == 0 and again["result"].startswith("nothing to update"), again
    assert board.files()["/config.json"] == board.config_bytes


def test_the_cli_updates_over_wifi_and_usb_provisioning_takes_over_again(usb_board, write_config, tmp_path):
    board = usb_board
    cfg = write_config(config(board.web_port))
    dry = p1gen("provision", "--host", "127.0.0.1", "--config", cfg, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "0 files to write" in dry.stdout and "the board runs p1gen %s" % VERSION in dry.stdout
    proc = p1gen("provision", "--host", "127.0.0.1", "--config", cfg, "--confirm-s", 2, "--wait", 60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "nothing to update" in proc.stdout
    # over USB again: its firmware runs, the update slots are gone
    ota.update(base(board), PASSWORD, image(NEW), NEW, "host", confirm_s=2, wait=60, log=lambda _: None)
    provision_usb(board, cfg)
    assert status(board.web_port)["update"]["running"] == VERSION
    assert not [p for p in board.files() if p.startswith("/fw/")]


def test_a_wrong_password_writes_nothing(usb_board, write_config, monkeypatch):
    board = usb_board
    before = board.files()
    monkeypatch.setenv("P1GEN_PASSWORD", "not the password")
    proc = p1gen("provision", "--host", "127.0.0.1:%d" % board.web_port, "--wait", 10)
    line = one_line_error(proc, "provision")
    assert "login to http://127.0.0.1:%d failed: wrong password; nothing was written" % board.web_port in line
    assert board.files() == before
    # and without a login the update API refuses every step
    code, answer = raw_request(board.web_port, "POST", "/api/update/begin", b'{"version": "x", "bytes": 1}',
                               {"Content-Type": "application/json"})
    assert code == 401 and answer["error"] == "log in first"


def _begin(board, size=100000):
    cookie = login_cookie(board.web_port)
    code, answer = raw_request(board.web_port, "POST", "/api/update/begin",
                               json.dumps({"version": "9.9.9", "bytes": size}).encode(),
                               {"Content-Type": "application/json", "Cookie": cookie})
    assert code == 200, answer
    return cookie, answer["token"]


def _piece(board, cookie, token, path, data, size=None, digest=None, offset=0):
    import hashlib
    import urllib.parse

    query = urllib.parse.urlencode({"token": token, "path": path, "size": len(data) if size is None else size,
                                    "sha256": digest or hashlib.sha256(data).hexdigest(), "offset": offset})
    return raw_request(board.web_port, "POST", "/api/update/file?" + query, data,
                       {"Content-Type": "application/octet-stream", "Cookie": cookie})


def _commit(board, cookie, token, files, digest="0" * 64):
    return raw_request(board.web_port, "POST", "/api/update/commit",
                       json.dumps({"token": token, "files": files, "digest": digest, "confirm_s": 2}).encode(),
                       {"Content-Type": "application/json", "Cookie": cookie})


def test_bad_uploads_are_refused_and_the_board_runs_on(usb_board):
    board = usb_board
    cookie, token = _begin(board)
    # a corrupted file: its bytes do not match its hash
    code, answer = _piece(board, cookie, token, "p1gen/x.mpy", b"M\x06 corrupted", digest="ab" * 32)
    assert code == 400 and "sha256 does not match" in answer["error"], answer
    # a path out of the firmware's tree
    for path in ("../main.py", "p1gen/../../config.json", "/config.json", "config.json", "p1gen/.hidden",
                 "lib/p1gen/x.mpy"):
        code, answer = _piece(board, cookie, token, path, b"x")
        assert code == 400 and "not a firmware file" in answer["error"], (path, answer)
    # oversize: a body over the board's limit, a file over its own declared size, a huge file
    code, answer = _piece(board, cookie, token, "p1gen/big.mpy", b"x" * 5000)
    assert code == 413, answer
    code, answer = _piece(board, cookie, token, "p1gen/x.mpy", b"x" * 100, size=50)
    assert code == 413 and "more than its 50 bytes" in answer["error"]
    code, answer = _piece(board, cookie, token, "p1gen/x.mpy", b"x", size=10 ** 7)
    assert code == 413
    # a truncated upload: the first piece of two, then the switch is asked for
    whole = hashlib.sha256(b"x" * 200).hexdigest()
    code, answer = _piece(board, cookie, token, "p1gen/half.mpy", b"x" * 100, size=200, digest=whole)
    assert code == 200 and answer["have"] == 100
    code, answer = _commit(board, cookie, token, 1)
    assert code == 400 and "p1gen/half.mpy: only 100 of its 200 bytes arrived" in answer["error"]
    # the rest of it, then a switch to a set that is not the one sent
    code, answer = _piece(board, cookie, token, "p1gen/half.mpy", b"x" * 100, size=200, digest=whole, offset=100)
    assert code == 200 and answer["have"] == 200
    code, answer = _commit(board, cookie, token, 5)
    assert code == 400 and "nothing switched" in answer["error"]
    # a second update while this one runs
    code, answer = raw_request(board.web_port, "POST", "/api/update/begin", b'{"version": "x", "bytes": 1}',
                               {"Content-Type": "application/json", "Cookie": cookie})
    assert code == 409 and "another update is running" in answer["error"]
    # none of it switched anything: the board runs what USB installed, with its config
    state = status(board.web_port)
    assert state["update"]["running"] == VERSION and state["update"]["last_result"] is None
    assert "/fw/boot.json" not in board.files()
    assert board.files()["/config.json"] == board.config_bytes
    count = state["telegram"]["count"]
    wait_status(board.web_port, lambda s: s["telegram"]["count"] > count + 1)


def test_a_truncated_request_body_writes_nothing(usb_board):
    import socket

    board = usb_board
    cookie, token = _begin(board)
    with socket.create_connection(("127.0.0.1", board.web_port), 5) as s:
        s.sendall(("POST /api/update/file?token=%s&path=p1gen/t.mpy&size=3000&sha256=%s&offset=0 HTTP/1.1\r\n"
                   "Host: x\r\nCookie: %s\r\nContent-Type: application/octet-stream\r\nContent-Length: 3000\r\n\r\n"
                   % (token, "0" * 64, cookie)).encode() + b"x" * 1000)
        s.shutdown(socket.SHUT_WR)
        answer = s.recv(4096)
    assert b" 400 " in answer.split(b"\r\n")[0] or not answer
    assert not [p for p in board.files() if p.startswith("/fw/new/p1gen")]


@pytest.mark.parametrize("how, edit, why", [
    ("raises at import", lambda t: 'raise RuntimeError("broken on purpose")\n' + t, "RuntimeError: broken on purpose"),
    ("hangs before its first telegram", lambda t: "while True:\n    pass\n" + t, "none; it hung or reset"),
])
def test_a_broken_firmware_is_rolled_back_within_its_boot_limit(emu_board, write_config, web_port, how, edit, why):
    board = emu_board(env={"P1GEN_MODELS": "1", "P1GEN_WATCHDOG": "1"})  # the host board's watchdog
    provision_usb(board, write_config(config(web_port)), models=True)
    board.web_port = web_port
    before = board.files()["/config.json"]
    broken = image("6.6.6", {"app/supervisor.py": edit})
    with pytest.raises(CommandError, match="rolled back: 6.6.6 did not confirm itself within 3 boots"):
        ota.update(base(board), PASSWORD, broken, "6.6.6", "host", confirm_s=2, wait=90, log=lambda _: None)
    state = status(board.web_port)["update"]
    assert state["running"] == VERSION and state["confirmed"]
    assert why in state["last_result"], state
    assert board.resets >= 4  # into the new firmware, its 3 boots, back to the old one
    assert board.files()["/config.json"] == before
    size = len(open(board.uart, "rb").read())
    wait_status(web_port, lambda s: s["telegram"]["count"] > 2)
    assert telegrams(board.uart, size)


def test_power_cuts_during_updates_leave_one_whole_firmware_and_the_config(usb_board):
    """A quick slice: `tests/host/bench_update.py` cuts the power 30 times."""
    from otaboard import power_cuts

    outcomes = power_cuts(usb_board, usb_board.web_port, cuts=4, seed=16, say=lambda _: None)
    assert len(outcomes) == 3


def test_a_board_config_the_new_firmware_would_refuse_stops_the_update_before_anything_is_written():
    ota._check_config({"web": {"port": 80}, "control": {"policy": "fixed"}})  # the board's, secrets left out
    with pytest.raises(CommandError, match=r"not valid for the new firmware .*wifi\.sid: unknown key.*nothing was"):
        ota._check_config({"wifi": {"sid": "home"}})
