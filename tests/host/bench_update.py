"""Update-over-Wi-Fi figures on the emulated Pico W (prints, never asserts):

    .venv/bin/python tests/host/bench_update.py [--cuts 30]

A board provisioned over USB, with the host board's models (a flash erase holds the CPU 45 ms,
the UART takes a telegram's line time), then: a full update (every file sent), a one-file
update (same version, one module changed): the time until the switch and until the new
firmware has confirmed itself (--confirm-s 2 here, 60 by default), the bytes sent, the longest
gap between two telegrams while the files are sent and across the reset. Then the power is cut
(SIGKILL) at --cuts random moments of updates back and forth, each followed by the checks of
tests/host/test_update.py. Loopback HTTP: a real board's Wi-Fi adds its own transfer time.
"""
import argparse
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from emuboard import EmuBoard  # noqa: E402
from otaboard import PASSWORD, VERSION, LineWatch, config, image, power_cuts, provision_usb  # noqa: E402

from p1host import ota, runner  # noqa: E402


def timed_update(board, web_port, files, version, send_all):
    """The update's summary, the longest telegram gap while the files are sent, across the reset."""
    base = "http://127.0.0.1:%d" % web_port
    start = time.monotonic()
    with LineWatch(board.uart) as sending:
        summary = ota.update(base, PASSWORD, files, version, "host", confirm_s=2, wait=0, log=lambda _: None,
                             send_all=send_all)
    with LineWatch(board.uart) as reset:
        ota.wait_confirmed(base, version, 60)
    summary["seconds"] = time.monotonic() - start
    return summary, sending.longest_gap_s(), reset.longest_gap_s()


def _gap(seconds):
    return "(one telegram or none)" if seconds is None else "%.2f s" % seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cuts", type=int, default=30, help="power cuts (0: none)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="p1gen-bench-") as work:
        web_port = runner.free_port()
        cfg = os.path.join(work, "config.json")
        with open(cfg, "w") as f:
            json.dump(config(web_port), f)
        for run in ("updates", "cuts") if args.cuts else ("updates",):
            folder = os.path.join(work, run)
            os.mkdir(folder)
            with EmuBoard(folder, env={"P1GEN_MODELS": "1"}) as board:
                provision_usb(board, cfg, models=True)
                if run == "updates":
                    full = image(VERSION + "+full")
                    one = image(VERSION + "+full", {"telegram/crc.py": lambda t: t + "\nBENCH = 1\n"})
                    for label, files, send_all in (("full update (every file sent)", full, True),
                                                   ("one-file update", one, False)):
                        summary, sending, every = timed_update(board, web_port, files, VERSION + "+full", send_all)
                        print("%-30s %3d files, %6.1f KB sent, %5.1f s to send and switch, %5.1f s until "
                              "confirmed; longest telegram gap %s while sending, %s across the reset"
                              % (label + ":", summary["files_sent"], summary["sent_bytes"] / 1024.0,
                                 summary["sent_s"], summary["seconds"], _gap(sending), _gap(every)))
                    print("(until confirmed: the reset, then 2 s on trial here, 60 s by default)")
                else:
                    start = time.monotonic()
                    outcomes = power_cuts(board, web_port, args.cuts + 1, seed=30, say=print)
                    old = sum(1 for o in outcomes if o[3] == o[1])
                    print("power cuts: %d, each followed by a whole firmware, telegrams dsmr_parser accepts and "
                          "the config unchanged: %d ran the old firmware, %d the new; %.0f s"
                          % (len(outcomes), old, len(outcomes) - old, time.monotonic() - start))


if __name__ == "__main__":
    main()
