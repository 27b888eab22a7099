# Workload P5 (WORKLOADS.md), the NumPy reference written for this bench: the same
# loop as p5.mlp, vectorised over the batch of 100 trajectories as NumPy code is.
import sys, time
import numpy as np

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 50
N, eta, B, U = 100, 0.001, 100, 200
rng = np.random.default_rng(1)

def run(optimal):
    theta = 0.0
    for u in range(U):
        p = 1 / (1 + np.exp(-theta))
        k = rng.binomial(N, p, B)
        R = 2 * k - N
        G = k - N * p
        b = np.sum(G * G * R) / np.sum(G * G) if optimal else 0.0
        theta += eta * np.mean(G * (R - b))
    return theta

t0 = time.perf_counter()
plain, best = [], []
for r in range(RUNS):
    plain.append(run(False)); best.append(run(True))
t = time.perf_counter() - t0
print("updates_per_s %.0f" % (2 * RUNS * U / t))
print("theta_mean %.2f spread_none %.3f spread_optimal %.3f" % (np.mean(plain), np.std(plain, ddof=0), np.std(best, ddof=0)))
