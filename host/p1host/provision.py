"""`p1gen provision`: install the firmware and a config on a board over USB, or update a
running board's firmware over Wi-Fi (--host).

The board gets the layout the firmware expects:

    /main.py            firmware/main.py (source: the board runs main.py, not main.mpy)
    /board.py           boards/<board>/board.py
    /lib/p1gen/...      firmware/p1gen, compiled with mpy-cross (.mpy v6)
    /lib/microdot/...   the installed microdot wheel, compiled the same way
    /config.json        the user's config, validated here by the board's own validator

The talking is done by mpremote's serial transport (raw REPL); only files whose
SHA-256 differs from the board's are written, files the new firmware no longer
has are removed from /lib/p1gen and /lib/microdot, and nothing else on the
flash is touched. The previous /config.json is kept as /config.json.bak. Files an
update over Wi-Fi left under /fw are removed: after a USB provision the firmware it
installed is the one that runs.

With --host NAME (a name such as garage.local, or an IP address, with :PORT when the
board's web.port is not 80) the board is updated over Wi-Fi through its web API: the
same image and the same plan, its config untouched, the new firmware on trial until it
has run --confirm-s seconds, else rolled back (docs/update.md). It needs the web
password (the --config file's web.password, or the environment variable P1GEN_PASSWORD).
"""
import argparse
import json
import os

from p1gen import __version__
from p1host.board_image import build_image, check_micropython, mpy_cross_version
from p1host.board_link import BOARDS, choose_board, find_port, identify, open_board, reset, safe_mode_reason
from p1host.board_sync import CONFIG_PATH, Plan, apply_plan, check_flash, list_board_files
from p1host.boot_watch import wait_until_running
from p1host.errors import CommandError


def add_arguments(parser):
    parser.description = __doc__.split("\n\n", 1)[1].strip()
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--config", metavar="FILE",
                        help="the config JSON to install (see the README's configuration reference); with "
                             "--host it is only checked, and gives the web password and port")
    parser.add_argument("--host", metavar="NAME",
                        help="update the board at this address over Wi-Fi (e.g. garage.local or 192.168.1.50:8080)")
    parser.add_argument("--confirm-s", type=int, default=60, metavar="SECONDS",
                        help="--host: how long the new firmware must send telegrams with its web server up "
                             "before it counts as good (default 60)")
    parser.add_argument("--port", default="auto",
                        help="the board's USB serial port, e.g. /dev/ttyACM0 or COM5 (default: auto, "
                             "the first Raspberry Pi USB device)")
    parser.add_argument("--board", default="auto", choices=("auto",) + BOARDS,
                        help="which board file to install (default: auto, from what the board reports; "
                             "host is the MicroPython unix port, for tests)")
    parser.add_argument("--wait", type=float, default=60, metavar="SECONDS",
                        help="how long to wait for the first telegram after the reset (0: do not wait)")
    parser.add_argument("--url", help="the status address to wait for (default: http://<wifi.hostname>.local "
                                      "with the config's web.port)")
    parser.add_argument("--dry-run", action="store_true",
                        help="check the config and the board and list what would be copied, change nothing")


def run(args):
    if args.host:
        return run_over_wifi(args)
    if not args.config:
        raise CommandError("--config FILE is needed to provision over USB")
    config_text, values = load_config(args.config)
    port = find_port(args.port)
    with open_board(port) as board:
        info = identify(board)
        board_name = choose_board(args.board, info)
        check_micropython(info, mpy_cross_version())
        files = build_image(board_name)
        files[CONFIG_PATH] = config_text
        on_board = list_board_files(board)
        plan = Plan(files, on_board)
        check_flash(plan, info)
        print("p1gen %s for %s; the board has %s" % (
            __version__, board_name, "p1gen " + info.firmware if info.firmware else "no p1gen yet"))
        print(plan.summary())
        if args.dry_run:
            for path in plan.writes:
                print("  would write %s" % path)
            for path in plan.removals:
                print("  would remove %s" % path)
        else:
            apply_plan(board, plan)
            if CONFIG_PATH in plan.writes and CONFIG_PATH in on_board:
                print("the board's previous config is kept as %s.bak (with any change made in its web page "
                      "since): `mpremote fs cp :%s.bak .` fetches it" % (CONFIG_PATH, CONFIG_PATH.lstrip("/")))
        safe_mode = safe_mode_reason(board) if "/board.py" in on_board or not args.dry_run else None
        reset(board, board_name)  # also after a dry run: the interrupted app starts again
        if safe_mode:
            raise CommandError("%s, but the board is in safe mode (%s): the firmware does not start; %s" % (
                "nothing changed" if args.dry_run else "the files are on the board", safe_mode[0], safe_mode[1]))
        if args.dry_run or args.wait <= 0:
            return 0
        url = args.url or status_url(board_name, values)
        print("waiting for the firmware's first telegram%s" % (" (status: %s)" % url if url else ""), flush=True)
        print(wait_until_running(board.transport.serial, port, args.wait, url, _web_password(values), __version__))
    print("provisioned %s on %s" % (board_name, port))
    return 0


def run_over_wifi(args):
    from p1host import ota
    from p1host.status import PASSWORD_ENV, base_url, fetch_status

    values = load_config(args.config)[1] if args.config else {}
    base = base_url(args.host)
    port = (values.get("web") or {}).get("port", 80)
    if ":" not in base.split("://", 1)[1] and port != 80:
        base += ":%d" % port
    password = os.environ.get(PASSWORD_ENV) or _web_password(values)
    board_name = None if args.board == "auto" else args.board
    image = build_image(board_name or fetch_status(base, 5, password)["board"])
    ota.update(base, password, image, __version__, board_name, args.confirm_s, args.dry_run, args.wait)
    return 0


def load_config(path):
    """Read and validate the config with the board's own validator; return the bytes to install."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise CommandError("cannot read the config %s: %s" % (path, e.strerror or e))
    try:
        values = json.loads(text)
    except ValueError as e:
        raise CommandError("the config %s is not valid JSON: %s" % (path, e))
    from p1gen.app import config as board_config

    _, errors = board_config.validate(values)
    if errors:
        raise CommandError("invalid config %s: %s" % (path, "; ".join(errors)))
    return text.encode("utf-8"), values


def status_url(board_name, values):
    """Where the board's status will answer, from its config (None: no web server or no Wi-Fi)."""
    web = values.get("web") or {}
    if web.get("enabled", True) is False:
        return None
    if board_name == "host":
        host = "127.0.0.1"  # the unix port serves on the PC itself
    elif (values.get("wifi") or {}).get("ssid"):
        host = (values["wifi"].get("hostname") or "p1gen") + ".local"
    else:
        return None
    port = web.get("port", 80)
    return "http://%s%s" % (host, "" if port == 80 else ":%d" % port)


def _web_password(values):
    return (values.get("web") or {}).get("password")
