"""Provisioning figures on the emulated Pico W (prints, never asserts):

    .venv/bin/python tests/host/bench_provision.py

The image (files, source and compiled bytes, build time without and with the
cache of compiled files), then `p1gen provision`
wall times through the pty: a bare board, the same again (nothing changed), a new
config only, and the flash the firmware takes. The pty runs at PC speed; a real
Pico W's USB (~1 MB/s raw, slower through the raw REPL) adds its own transfer time.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from emuboard import EmuBoard  # noqa: E402

from p1host import board_image, paths, runner  # noqa: E402


def source_bytes():
    total = 0
    for folder in (paths.P1GEN, paths.microdot_dir()):
        for root, _, names in os.walk(folder):
            total += sum(os.path.getsize(os.path.join(root, n)) for n in names if n.endswith(".py"))
    return total


def timed_provision(port, config):
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "p1host", "provision", "--port", port, "--config", config,
                           "--wait", "60"], capture_output=True, text=True, timeout=600)
    took = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit("provision failed: " + proc.stderr.strip())
    summary = next(line for line in proc.stdout.splitlines() if " to write " in line)
    return took, summary


def main():
    with tempfile.TemporaryDirectory(prefix="p1gen-bench-") as work:
        start = time.monotonic()
        image = board_image.build_image("host", cache_dir=os.path.join(work, "mpy"))
        cold_s = time.monotonic() - start
        start = time.monotonic()
        board_image.build_image("host", cache_dir=os.path.join(work, "mpy"))
        warm_s = time.monotonic() - start
        compiled = sum(len(v) for k, v in image.items() if k.startswith("/lib/"))
        print("image: %d files, %d KB compiled under /lib (from %d KB of source); build %.1f s cold, %.2f s cached"
              % (len(image), compiled // 1024, source_bytes() // 1024, cold_s, warm_s))
        web_port = runner.free_port()
        first = os.path.join(work, "first.json")
        second = os.path.join(work, "second.json")
        with open(first, "w") as f:
            json.dump({"web": {"port": web_port}, "telegram": {"profile": "csp1"}}, f)
        with open(second, "w") as f:
            json.dump({"web": {"port": web_port}, "telegram": {"profile": "dsmr5"}}, f)
        board_dir = os.path.join(work, "board")
        os.mkdir(board_dir)
        with EmuBoard(board_dir) as board:
            for label, config in (("bare board", first), ("nothing changed", first), ("config only", second)):
                took, summary = timed_provision(board.port, config)
                print("provision, %-16s %5.1f s  (%s; includes waiting for the first telegram)"
                      % (label + ":", took, summary))
            used = sum(len(v) for v in board.files().values())
        flash = board.flash_kb * 1024
        print("flash: %d KB of files on a %d KB Pico W file system (%.0f %%)"
              % (used // 1024, flash // 1024, 100.0 * used / flash))


if __name__ == "__main__":
    main()
