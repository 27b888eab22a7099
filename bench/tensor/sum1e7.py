# Sum of 10^7 float64 values, seconds. One warm-up, then the best of 7 timed runs.
import time
import numpy as np

a = np.random.default_rng(0).standard_normal(10_000_000)
s = np.sum(a)
best = 1e9
for i in range(7):
    t0 = time.perf_counter()
    s = np.sum(a)
    best = min(best, time.perf_counter() - t0)
print(f"sum1e7 {best:.6f} s")
