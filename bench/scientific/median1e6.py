# median and the 10th/90th percentiles of 10^6 normal numbers, seconds (best of 7 after a warm-up).
import time
import numpy as np
a = np.random.default_rng(0).standard_normal(1_000_000)
m = np.median(a)
best = 1e9
for i in range(7):
    t0 = time.perf_counter()
    m = np.median(a)
    p = np.percentile(a, [10, 90])
    best = min(best, time.perf_counter() - t0)
print(f"median1e6 {best:.6f} s")
