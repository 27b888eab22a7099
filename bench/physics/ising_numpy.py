"""P3 NumPy reference (bench/physics/run.sh): 2D Ising, L x L periodic, J = 1, h = 0,
vectorised checkerboard Metropolis: each half-sweep computes the neighbour sums of
the whole lattice with np.roll, looks up exp(-dE/T) in a table, and flips the
accepted sites of one colour; the energy per site is measured every sweep.
Timed in CPU seconds of this thread (time.thread_time).
usage: python3 ising_numpy.py L T sweeps [seed]"""
import sys
import time

import numpy as np


def main():
    L, T, sweeps = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    s = rng.choice(np.array([-1, 1], dtype=np.int8), size=(L, L))
    i, j = np.indices((L, L))
    colours = [(i + j) % 2 == c for c in (0, 1)]
    # acceptance probability by x = s * (neighbour sum) in -4..4
    table = np.array([1.0 if x <= 0 else np.exp(-2.0 * x / T) for x in range(-4, 5)])
    esum = 0.0
    t0 = time.thread_time()
    for _ in range(sweeps):
        for mask in colours:
            nb = np.roll(s, 1, 0) + np.roll(s, -1, 0) + np.roll(s, 1, 1) + np.roll(s, -1, 1)
            x = s * nb
            flip = mask & (rng.random((L, L)) < table[x + 4])
            s[flip] *= -1
        esum += -np.sum(s * (np.roll(s, -1, 0) + np.roll(s, -1, 1)), dtype=np.int64) / (L * L)
    dt = time.thread_time() - t0
    print(f"numpy metropolis L={L} T={T:g}: {L * L * sweeps / dt / 1e6:.2f} million attempts/s, <e> {esum / sweeps:.5f}")


main()
