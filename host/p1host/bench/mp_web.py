# Runs under the MicroPython unix port (p1gen bench web starts it): the board-side cost of
# a full last-hour history answer, one history sample, and one password check.
import gc
import json
import time

from p1gen.web.history import History
from p1gen.web.auth import Auth

results = {}
h = History()
for i in range(h.size):
    h.add((2000 - i * 10, i * 12, 16000 + i, 6000), i)
gc.collect()
before = gc.mem_alloc()
gc.disable()
start = time.ticks_us()
chunks = 0
size = 0
biggest = 0
for piece in h.json_chunks(age_ms=1000):
    chunks += 1
    size += len(piece)
    biggest = max(biggest, len(piece))
results["history_us"] = time.ticks_diff(time.ticks_us(), start)
results["history_alloc"] = gc.mem_alloc() - before
gc.enable()
results["history_bytes"] = size
results["history_chunks"] = chunks
results["history_biggest"] = biggest

start = time.ticks_us()
for i in range(100):
    h.add((i, i, i, i), i)
results["sample_us"] = time.ticks_diff(time.ticks_us(), start) // 100

auth = Auth(lambda: "a long enough password", clock=lambda: 0)
start = time.ticks_us()
for i in range(100):
    auth._clients.clear()  # measure the comparison, not the brake
    auth._tokens = 1
    auth.check("wrong password %d" % i, None, 0)
results["check_us"] = time.ticks_diff(time.ticks_us(), start) // 100
auth = Auth(lambda: "a long enough password", clock=lambda: 0)
gc.collect()
before = gc.mem_alloc()
for i in range(1000):
    auth.check("guess %d" % i, None, i * 10)
gc.collect()
results["brake_growth"] = gc.mem_alloc() - before
results["brake_failures"] = auth.failures
print(json.dumps(results))
