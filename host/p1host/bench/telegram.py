"""`p1gen bench telegram`: time per telegram build on MicroPython and CPython, and the heap
MicroPython allocates per telegram (gc.mem_alloc deltas) and keeps after 10 000 telegrams.
Target: <= 4 KB allocated per telegram, no growth. Prints; never asserts."""
import json
import os
import subprocess
import timeit

from p1gen import telegram
from p1gen.reading import Reading
from p1host import paths


def micropython_figures(count):
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mp_telegram.py")
    proc = subprocess.run([paths.tool("micropython"), "-X", "heapsize=150k", script, str(count)],
                          env=dict(os.environ, MICROPYPATH=paths.micropython_path()),
                          capture_output=True, text=True, timeout=600, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cpython_us(profile, count):
    reading = Reading(current_ma=(16000, -5300, 200), import_wh=(1234567, 89), utc_s=1795250918)
    telegram.build(reading, profile)
    return timeit.timeit(lambda: telegram.build(reading, profile), number=count) / count * 1e6


def main(args):
    count = 1000 if args.quick else 10000
    mp = micropython_figures(count)
    print("telegram build, %d telegrams per profile (MicroPython unix port, -X heapsize=150k)" % count)
    print("%-7s %6s %14s %14s %16s %14s" % ("profile", "bytes", "MicroPython", "CPython", "heap/telegram",
                                            "heap growth"))
    for profile in sorted(telegram.PROFILES):
        size = len(telegram.build(Reading(current_ma=(0, 0, 0)), profile))
        figures = mp[profile]
        print("%-7s %6d %11d us %11.1f us %13d B %12d B" % (
            profile, size, figures["us"], cpython_us(profile, count), figures["alloc"], figures["growth"]))
    print("target: <= 4096 B allocated per telegram and no growth over %d telegrams" % count)
    return 0
