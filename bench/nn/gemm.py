# W6 GEMM peer: NumPy's square products at n = 1024 and 256, float64 and float32,
# GFLOP/s (2 n^3 per product), best wall time of 5 passes; prints the lines
# `mlp-bench gemm` prints. Threads: OPENBLAS_NUM_THREADS (NumPy's bundled OpenBLAS).
# With --serve it answers requests as `mlp-bench gemm-serve` does (gemm_pairs.py):
# each stdin line `PRECISION N REPS` runs that product REPS times and prints the
# batch's wall seconds.
import sys
import time
import numpy as np


def operands(n):
    rng = np.random.default_rng(0)
    a64, b64 = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    return {"float64": (a64, b64), "float32": (a64.astype(np.float32), b64.astype(np.float32))}


def serve():
    try:
        from threadpoolctl import threadpool_info
        core = [i["architecture"] for i in threadpool_info() if i["internal_api"] == "openblas"][0]
    except Exception:
        core = "?"
    print(f"== NumPy {np.__version__}, OpenBLAS core {core}", flush=True)
    cache = {}
    for line in sys.stdin:
        words = line.split()
        if len(words) != 3 or words[0] not in ("float64", "float32"):
            sys.exit(f"gemm.py --serve: expected 'float64|float32 N REPS', got {line!r}")
        prec, n, reps = words[0], int(words[1]), int(words[2])
        if n not in cache:
            cache[n] = operands(n)
        a, b = cache[n][prec]
        t0 = time.perf_counter()
        for _ in range(reps):
            c = a @ b
        print(time.perf_counter() - t0, flush=True)
        del c


def best_of_five():
    for n in (1024, 256):
        reps = 3 if n >= 1024 else 100
        for name, (a, b) in operands(n).items():
            c = a @ b
            best = 1e9
            for _ in range(5):
                t0 = time.perf_counter()
                for _ in range(reps):
                    c = a @ b
                best = min(best, (time.perf_counter() - t0) / reps)
            print(f"BENCH gemm {name} {n}: {2.0 * n ** 3 / best / 1e9:.2f} GFLOP/s")


if __name__ == "__main__":
    serve() if "--serve" in sys.argv[1:] else best_of_five()
