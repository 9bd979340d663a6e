"""`p1gen provision` against an emulated Pico W: the MicroPython unix port with a
littlefs flash, behind a pty, driven by mpremote exactly as a board on USB."""
import glob
import json
import os
import subprocess
import urllib.request

import pytest
from dsmr_parser import telegram_specifications
from dsmr_parser.clients.telegram_buffer import TelegramBuffer
from dsmr_parser.parsers import TelegramParser
from hostcli import one_line_error, p1gen

from p1gen import __version__ as VERSION
from p1host import board_image, board_link, boot_watch, paths, runner
from p1host.board_link import BoardInfo
from p1host.errors import CommandError


def base_config(web_port, profile="dsmr5"):
    return {"wifi": {"hostname": "garage"}, "telegram": {"profile": profile},
            "web": {"port": web_port, "password": "correct horse battery"}, "control": {"policy": "fixed"}}


def read_status(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/api/status" % port, timeout=5) as res:
        return json.loads(res.read())


def telegrams_on(uart_path, spec=telegram_specifications.V5):
    """Every telegram the board wrote to its UART, parsed by dsmr_parser with the CRC checked."""
    buffer = TelegramBuffer()
    with open(uart_path, "rb") as f:
        buffer.append(f.read().decode("ascii"))
    parser = TelegramParser(spec, apply_checksum_validation=True)
    return [(text, parser.parse(text, throw_ex=True)) for text in buffer.get_all()]


def mpremote(board, *args):
    proc = subprocess.run([paths.tool("mpremote"), "connect", board.port, "resume"] + list(args),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_a_bare_board_is_provisioned_and_comes_up_with_the_config(emu_board, write_config, web_port):
    board = emu_board()
    config = write_config(base_config(web_port))

    proc = p1gen("provision", "--port", board.port, "--config", config, "--wait", 60)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert board.resets == 1  # it left USB and came back, as a real board does
    assert "p1gen %s for host; the board has no p1gen yet" % VERSION in proc.stdout
    assert "0 unchanged, 0 to remove" in proc.stdout
    assert "the board is up: " in proc.stdout and "dsmr5 profile" in proc.stdout
    files = board.files()
    # the layout the firmware expects, compiled, nothing else
    assert files["/main.py"] == open(os.path.join(paths.FIRMWARE, "main.py"), "rb").read()
    assert files["/board.py"] == open(os.path.join(paths.BOARDS, "host", "board.py"), "rb").read()
    assert json.loads(files["/config.json"]) == base_config(web_port)
    lib = [p for p in files if p.startswith("/lib/")]
    assert "/lib/p1gen/telegram/__init__.mpy" in lib and "/lib/microdot/microdot.mpy" in lib
    assert not [p for p in lib if p.endswith(".py")], lib
    assert all(files[p][:2] == b"M\x06" for p in lib if p.endswith(".mpy"))
    # it runs the new config: its API and its P1 line both say so
    status = read_status(web_port)
    assert status["board"] == "host" and status["telegram"]["profile"] == "dsmr5"
    assert status["version"] == VERSION
    assert status["config_ok"], status["config_errors"]
    text, parsed = telegrams_on(board.uart)[-1]
    assert parsed.P1_MESSAGE_HEADER.value == "50"  # dsmr5, not the csp1 default (40)
    assert "correct horse" not in json.dumps(status)


def test_provisioning_again_copies_only_what_changed_and_keeps_the_users_files(emu_board, write_config, web_port,
                                                                                 tmp_path):
    board = emu_board()
    first = base_config(web_port)
    image_before = board_image.build_image("host")
    assert p1gen("provision", "--port", board.port, "--config", write_config(first), "--wait", 60).returncode == 0
    stale = tmp_path / "old.mpy"
    stale.write_bytes(b"M\x06\x00\x1f")
    note = tmp_path / "notes.txt"
    note.write_text("my wiring notes")
    mpremote(board, "fs", "cp", str(stale), ":/lib/p1gen/gone.mpy", "+", "fs", "cp", str(note), ":/notes.txt")

    second = base_config(web_port, profile="emucs")
    proc = p1gen("provision", "--port", board.port, "--config", write_config(second, "second.json"), "--wait", 60)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "the board has p1gen %s" % VERSION in proc.stdout
    written = [line.split()[-1] for line in proc.stdout.splitlines() if line.startswith("  wrote ")]
    image_after = board_image.build_image("host")
    edited = {p for p in image_after if image_before.get(p) != image_after[p]}  # only while someone edits
    assert "/config.json" in written and set(written) - {"/config.json"} <= edited, proc.stdout
    assert "previous config is kept as /config.json.bak" in proc.stdout
    assert "1 to remove" in proc.stdout
    files = board.files()
    assert "/lib/p1gen/gone.mpy" not in files
    assert files["/notes.txt"] == b"my wiring notes"
    assert json.loads(files["/config.json.bak"]) == first
    assert json.loads(files["/config.json"]) == second
    assert read_status(web_port)["telegram"]["profile"] == "emucs"
    _, parsed = telegrams_on(board.uart, telegram_specifications.BELGIUM_FLUVIUS)[-1]
    assert parsed.BELGIUM_VERSION_INFORMATION.value == "50217"


def test_a_dry_run_changes_nothing_and_restarts_the_app(emu_board, write_config, web_port):
    board = emu_board()
    proc = p1gen("provision", "--port", board.port, "--config", write_config(base_config(web_port)), "--dry-run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "  would write /lib/p1gen/telegram/crc.mpy" in proc.stdout
    assert "/main.py" not in board.files()


def test_a_board_with_too_little_flash_is_refused_before_anything_is_written(emu_board, write_config, web_port):
    board = emu_board(flash_kb=96)
    proc = p1gen("provision", "--port", board.port, "--config", write_config(base_config(web_port)), "--wait", 0)
    line = one_line_error(proc, "provision")
    assert "not enough flash" in line and "KB free" in line
    assert board.files() == {}


def test_a_board_in_safe_mode_is_reported(emu_board, write_config, web_port, tmp_path):
    board = emu_board()
    config = write_config(base_config(web_port))
    assert p1gen("provision", "--port", board.port, "--config", config, "--wait", 60).returncode == 0
    flag = tmp_path / "safemode"
    flag.write_text("")
    mpremote(board, "fs", "cp", str(flag), ":/safemode")
    proc = p1gen("provision", "--port", board.port, "--config", config, "--wait", 30)
    line = one_line_error(proc, "provision")
    assert "but the board is in safe mode (the file /safemode exists)" in line
    assert "mpremote fs rm :safemode" in line


def test_the_safe_mode_pin_is_reported_too(emu_board, write_config, web_port):
    board = emu_board(env={"P1GEN_SAFE_MODE": "1"})  # the host board's safe-mode "pin"
    proc = p1gen("provision", "--port", board.port, "--config", write_config(base_config(web_port)))
    line = one_line_error(proc, "provision")
    assert "the files are on the board, but the board is in safe mode (the safe-mode pin is held)" in line
    assert "/main.py" in board.files()


def test_the_wrong_board_file_is_refused(emu_board, write_config, web_port):
    board = emu_board()
    proc = p1gen("provision", "--port", board.port, "--board", "pico_w", "--config",
                 write_config(base_config(web_port)))
    line = one_line_error(proc, "provision")
    assert "--board pico_w" in line and "use --board host" in line


@pytest.mark.parametrize("content, says", [
    ({"control": {"fuse_a": 500}}, "control.fuse_a: must be at most"),
    ({"wifi": {"sid": "home"}}, "wifi.sid: unknown key"),
    ({"control": {"policy": "sunshine"}}, "control.policy: must be one of"),
    ('{"wifi": {"ssid": "home"', "is not valid JSON"),
])
def test_an_invalid_config_is_refused_on_the_host_with_the_key_that_is_wrong(write_config, content, says):
    proc = p1gen("provision", "--port", "/dev/null-board", "--config", write_config(content))
    line = one_line_error(proc, "provision")
    assert says in line, line


def test_a_missing_config_file_is_named(tmp_path):
    proc = p1gen("provision", "--config", tmp_path / "nope.json")
    assert "cannot read the config" in one_line_error(proc, "provision")


def test_no_board_found(write_config, web_port):
    config = write_config(base_config(web_port))
    line = one_line_error(p1gen("provision", "--port", "/dev/ttyACM9", "--config", config), "provision")
    assert "no board found at /dev/ttyACM9" in line
    from serial.tools import list_ports

    if not any(p.vid == board_link.RP2_USB_VID for p in list_ports.comports()):
        line = one_line_error(p1gen("provision", "--config", config), "provision")
        assert "no board found: no Raspberry Pi USB serial device" in line


def test_a_port_without_micropython_behind_it_is_named(write_config, web_port):
    master, slave = os.openpty()  # a serial port where nothing answers
    try:
        proc = p1gen("provision", "--port", os.ttyname(slave), "--config", write_config(base_config(web_port)))
    finally:
        os.close(master)
        os.close(slave)
    assert "does not answer like MicroPython" in one_line_error(proc, "provision")


def test_micropython_too_old_for_the_compiled_files_is_refused():
    needed = board_image.mpy_cross_version()
    assert needed[0] == 6 and needed[1] >= 3
    statvfs = (4096, 4096, 212, 200, 200, 0, 0, 0, 0, 255)
    old = BoardInfo("rp2", "Raspberry Pi Pico W with RP2040", (1, 20, 0), 0x106, statvfs, None)  # 1.20: mpy v6.1
    with pytest.raises(CommandError, match=r"MicroPython 1\.20\.0 \(mpy v6\.1\), too old"):
        board_image.check_micropython(old, needed)
    none = BoardInfo("rp2", "Raspberry Pi Pico W with RP2040", (1, 18, 0), 0, statvfs, None)  # before _mpy
    with pytest.raises(CommandError, match="too old"):
        board_image.check_micropython(none, needed)
    current = BoardInfo("rp2", "Raspberry Pi Pico 2 W with RP2350", (1, 26, 1), 0x2B06, statvfs, "0.1.0")  # v6.3
    board_image.check_micropython(current, needed)
    assert board_link.choose_board("auto", current) == "pico2_w"
    assert board_link.choose_board("auto", old) == "pico_w"


def test_without_a_web_server_the_console_says_when_it_runs(emu_board, write_config):
    board = emu_board()
    config = write_config({"web": {"enabled": False}, "telegram": {"profile": "csp1"}})
    proc = p1gen("provision", "--port", board.port, "--config", config, "--wait", 60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "waiting for the firmware's first telegram\n" in proc.stdout
    # its own words, or (when they went out before the port came back) a quiet board not at its REPL
    assert (("the board is up: p1gen " in proc.stdout and " running on host" in proc.stdout)
            or "the board runs its firmware (no error on its console, not at its REPL)" in proc.stdout)
    _, parsed = telegrams_on(board.uart)[-1]
    assert parsed.P1_MESSAGE_HEADER.value == "40"  # csp1


def test_a_firmware_that_crashes_at_boot_is_reported_with_its_error(emu_board, write_config, web_port):
    board = emu_board(heapsize="48k")  # far less than the firmware needs: it dies while importing
    proc = p1gen("provision", "--port", board.port, "--config", write_config(base_config(web_port)), "--wait", 60)
    line = one_line_error(proc, "provision")
    # either its traceback is read, or it went out before the port came back (as it may on a real
    # board) and the idle REPL gives the crash away
    assert ("the firmware stopped: MemoryError" in line
            or "the firmware is not running: the board sits at its REPL" in line), line


def test_a_firmware_file_that_does_not_compile_is_named(tmp_path):
    bad = tmp_path / "broken.py"
    bad.write_text("def f(:\n")
    with pytest.raises(CommandError, match=r"broken\.py does not compile: SyntaxError"):
        board_image.MpyCache().compile(str(bad), "p1gen/broken.py")
    good = tmp_path / "fine.py"
    good.write_text("X = 1\n")
    first = board_image.MpyCache().compile(str(good), "p1gen/fine.py")
    assert first[:2] == b"M\x06" and board_image.MpyCache().compile(str(good), "p1gen/fine.py") == first


def test_a_board_that_runs_but_cannot_be_reached_is_told_apart(emu_board, write_config, web_port):
    board = emu_board()
    nowhere = "http://127.0.0.1:%d" % runner.free_port()  # as a p1gen.local that mDNS does not find
    proc = p1gen("provision", "--port", board.port, "--config", write_config(base_config(web_port)),
                 "--url", nowhere, "--wait", 8)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "running on host), but its status at %s does not answer: cannot reach" % nowhere in proc.stdout


@pytest.mark.parametrize("board_name", ["pico_w", "pico2_w"])
def test_the_image_for_a_real_board(board_name):
    image = board_image.build_image(board_name)
    assert image["/board.py"] == open(os.path.join(paths.BOARDS, board_name, "board.py"), "rb").read()
    compiled = [p for p in image if p.endswith(".mpy")]
    assert all(image[p][:2] == b"M\x06" for p in compiled)
    # every firmware module is there, compiled, and none of microdot's CPython-only modules
    sources = [os.path.relpath(p, paths.FIRMWARE) for p in
               glob.glob(os.path.join(paths.FIRMWARE, "p1gen", "**", "*.py"), recursive=True)]
    assert {"/lib/" + s[:-3].replace(os.sep, "/") + ".mpy" for s in sources} <= set(compiled)
    assert not [p for p in image if p.startswith("/lib/microdot/") and p.rsplit("/", 1)[1]
                in ("asgi.mpy", "wsgi.mpy", "jinja.mpy", "test_client.mpy")]
    assert "/lib/microdot/microdot.mpy" in image and "/lib/p1gen/web/index.html" in image


def test_auto_picks_the_micropython_board_and_refuses_to_guess_between_two(monkeypatch):
    from serial.tools import list_ports
    from serial.tools.list_ports_common import ListPortInfo

    def port(device, vid, pid):
        info = ListPortInfo(device)
        info.vid, info.pid = vid, pid
        return info

    probe = port("/dev/ttyACM0", 0x2E8A, 0x000C)  # a Raspberry Pi Debug Probe
    pico = port("/dev/ttyACM1", 0x2E8A, 0x0005)
    monkeypatch.setattr(list_ports, "comports", lambda: [probe, pico, port("/dev/ttyUSB0", 0x0403, 0x6001)])
    assert board_link.find_port("auto") == "/dev/ttyACM1"
    monkeypatch.setattr(list_ports, "comports", lambda: [pico, port("/dev/ttyACM2", 0x2E8A, 0x0005)])
    with pytest.raises(CommandError, match=r"several boards found \(/dev/ttyACM1, /dev/ttyACM2\)"):
        board_link.find_port("auto")
    monkeypatch.setattr(list_ports, "comports", lambda: [port("/dev/ttyUSB0", 0x0403, 0x6001)])
    with pytest.raises(CommandError, match="no board found"):
        board_link.find_port("auto")


@pytest.mark.parametrize("says, expected", [
    ("p1gen %s running on host" % VERSION, "the board is up: p1gen %s running on host" % VERSION),
    ("p1gen 0.0.1 running on host", "the board runs p1gen 0.0.1, not the %s just installed" % VERSION),
])
def test_after_the_reset_the_board_must_run_the_version_just_installed(says, expected):
    import serial

    master, slave = os.openpty()  # the board's console
    try:
        console = serial.serial_for_url(os.ttyname(slave), timeout=0.2)  # opening it empties it
        os.write(master, b"MicroPython v1.26 on host\r\n" + says.encode() + b"\r\n")
        try:
            answer = boot_watch.wait_until_running(console, os.ttyname(slave), 5, version=VERSION)
        except CommandError as e:
            answer = str(e)
    finally:
        os.close(master)
        os.close(slave)
    assert answer.startswith(expected), answer
