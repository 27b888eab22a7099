# W6 GEMM: 1024x1024 float64 matrix product, GFLOP/s (2 n^3 flops per product).
# Two warm-up products, then the best of 10 timed ones.
import time
import numpy as np

n = 1024
rng = np.random.default_rng(0)
a = rng.standard_normal((n, n))
b = rng.standard_normal((n, n))
c = a @ b
c = a @ b
best = 1e9
for i in range(10):
    t0 = time.perf_counter()
    c = a @ b
    best = min(best, time.perf_counter() - t0)
gflops = 2.0 * n * n * n / best / 1e9
print(f"matmul1024 {gflops:.2f} GFLOP/s")
