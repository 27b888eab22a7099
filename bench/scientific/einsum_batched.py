# einsum "bij,bjk->bik" of 64 batches of 128x128 matrices, seconds (best of 7 after a warm-up).
# NumPy's einsum with optimize=True (its fastest: hands the contraction to BLAS matmul).
import time
import numpy as np
a = np.random.default_rng(0).standard_normal((64, 128, 128))
c = np.einsum("bij,bjk->bik", a, a, optimize=True)
best = 1e9
for i in range(7):
    t0 = time.perf_counter()
    c = np.einsum("bij,bjk->bik", a, a, optimize=True)
    best = min(best, time.perf_counter() - t0)
print(f"einsum_batched {best:.6f} s")
