# The exact energy of a trained real RBM (P4), the same evaluator for both sides:
# usage: nqs_exact.py tfim|heisenberg PARAMS.npz...  (arrays a [N], b [M], W [N, M];
# log psi(s) = a.s + sum_h log cosh(b_h + s.W[:, h]) up to a constant).
# Enumerates every configuration of the N=20 periodic chain (2^20; the Heisenberg
# chain in the total-Sz=0 sector, with the Marshall sign rule as both mlp's
# heisenberg() and NetKet's Heisenberg use it) and prints, per file, the relative
# error of <psi|H|psi>/<psi|psi> against the exact ground-state energy (Pauli units).
# This removes the sampling noise of the 20000-sample estimate (about 5e-5 relative
# for the TFIM), which is as large as the differences between runs.
import sys
import numpy as np

N = 20
EXACT = {"tfim": -25.490990, "heisenberg": -35.6175461}


def energy(which, a, b, W):
    x = np.arange(1 << N, dtype=np.int64)
    if which == "heisenberg":
        bits = np.zeros(1 << N, dtype=np.int64)
        for i in range(N):
            bits += (x >> i) & 1
        x = x[bits == N // 2]
    S = (1 - 2 * ((x[:, None] >> np.arange(N)[None, :]) & 1)).astype(np.float64)
    th = S @ W + b
    lp = S @ a + np.sum(np.logaddexp(th, -th), axis=1)
    psi = np.exp(lp - lp.max())
    Sr = np.roll(S, -1, axis=1)   # s_{i+1}, periodic
    if which == "tfim":
        # H = -sum s_i s_{i+1} - sum sx_i
        hpsi = -np.sum(S * Sr, axis=1) * psi
        for i in range(N):
            hpsi -= psi[x ^ (1 << i)]
    else:
        # H = sum s_i s_{i+1} + sum (XX + YY): an antiparallel pair exchanges with
        # element 2, -2 after the Marshall rotation (nearest neighbours are on
        # opposite sublattices of the even chain)
        pos = np.full(1 << N, -1, dtype=np.int64)
        pos[x] = np.arange(x.size)
        hpsi = np.sum(S * Sr, axis=1) * psi
        for i in range(N):
            j = (i + 1) % N
            anti = S[:, i] != S[:, j]
            hpsi[anti] -= 2 * psi[pos[x[anti] ^ (1 << i) ^ (1 << j)]]
    return float(psi @ hpsi / (psi @ psi))


if __name__ == "__main__":
    which = sys.argv[1]
    for f in sys.argv[2:]:
        d = np.load(f)
        e = energy(which, d["a"], d["b"], d["W"])
        print(f"{f} {e:.7f} relerr {abs((e - EXACT[which]) / EXACT[which]):.3e}")
