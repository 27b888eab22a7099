# W6 GEMM peer: NumPy's square products at n = 1024 and 256, float64 and float32,
# GFLOP/s (2 n^3 per product), best wall time of 5 passes; prints the lines
# `mlp-bench gemm` prints. Threads: OPENBLAS_NUM_THREADS (NumPy's bundled OpenBLAS).
import time
import numpy as np

rng = np.random.default_rng(0)
for n in (1024, 256):
    a64, b64 = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    reps = 3 if n >= 1024 else 100
    for name, a, b in (("float64", a64, b64), ("float32", a64.astype(np.float32), b64.astype(np.float32))):
        c = a @ b
        best = 1e9
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(reps):
                c = a @ b
            best = min(best, (time.perf_counter() - t0) / reps)
        print(f"BENCH gemm {name} {n}: {2.0 * n ** 3 / best / 1e9:.2f} GFLOP/s")
