# Runs under the MicroPython unix port (p1gen bench telegram starts it): time and heap per telegram.
import gc
import json
import sys
import time

from p1gen import telegram
from p1gen.reading import Reading

count = int(sys.argv[1])
results = {}
for profile in sorted(telegram.PROFILES):
    telegram.build(Reading(current_ma=(1, 2, 3)), profile)  # compile the template once
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    for i in range(20):
        telegram.build(Reading(current_ma=(16000 + i, -5300, 200), import_wh=(1234567, i), utc_s=1795250918 + i),
                       profile)
    per_telegram = (gc.mem_alloc() - before) // 20
    gc.enable()
    settled = elapsed = 0
    start = time.ticks_us()
    for i in range(count):
        telegram.build(Reading(current_ma=(16000 + i % 1000, -5300, 200), import_wh=(1234567, i), utc_s=1795250918 + i),
                       profile)
        if i == count // 10:  # heap after the first tenth, against the heap at the end
            elapsed = time.ticks_diff(time.ticks_us(), start)
            gc.collect()
            settled = gc.mem_alloc()
            start = time.ticks_us()
    elapsed += time.ticks_diff(time.ticks_us(), start)
    gc.collect()
    results[profile] = {"us": elapsed // count, "alloc": per_telegram, "growth": gc.mem_alloc() - settled}
print(json.dumps(results))
