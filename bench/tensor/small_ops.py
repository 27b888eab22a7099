# 100,000 small tensor ops on 10x10 float64 tensors: 50,000 iterations of
# `c = a * b + a` (two element-wise ops each, loop included), seconds.
# One warm-up pass, then the best of 5 timed passes.
import time
import numpy as np

rng = np.random.default_rng(0)
a = rng.standard_normal((10, 10))
b = rng.standard_normal((10, 10))
c = np.zeros((10, 10))
for i in range(50_000):
    c = a * b + a
best = 1e9
for r in range(5):
    t0 = time.perf_counter()
    for i in range(50_000):
        c = a * b + a
    best = min(best, time.perf_counter() - t0)
print(f"small_ops {best:.6f} s")
