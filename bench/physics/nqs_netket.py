# P4 VMC (WORKLOADS.md) on NetKet: the system, machine and settings of nqs_p4.mlp.
# usage: nqs_netket.py tfim|heisenberg SEED [ITERATIONS [PARAMS.npz]]
# TFIM: 1D N=20 periodic, h=1, RBM alpha=1 real, MetropolisLocal, 1000 samples,
# SR diag_shift 0.1, Sgd lr 0.1. Heisenberg: N=20 periodic in total Sz=0 with
# MetropolisExchange, lr 0.01 (Marshall sign rule: NetKet's default for a bipartite
# graph). Prints the seconds per iteration (after a 5-iteration warm-up that
# includes JAX's compilation) and the trained state's energy from 20000 samples;
# with PARAMS.npz its parameters a, b, W (for nqs_exact.py).
import sys, time
import netket as nk
import jax
import numpy as np

which, seed = sys.argv[1], int(sys.argv[2])
iters = int(sys.argv[3]) if len(sys.argv) > 3 else 300
N = 20
g = nk.graph.Hypercube(length=N, n_dim=1, pbc=True)
if which == "tfim":
    hi = nk.hilbert.Spin(s=1 / 2, N=N)
    H = nk.operator.Ising(hilbert=hi, graph=g, h=1.0, J=-1.0)
    sampler = nk.sampler.MetropolisLocal(hi)
    lr, exact = 0.1, -25.490990
else:
    hi = nk.hilbert.Spin(s=1 / 2, N=N, total_sz=0)
    H = nk.operator.Heisenberg(hilbert=hi, graph=g)
    sampler = nk.sampler.MetropolisExchange(hi, graph=g)
    lr, exact = 0.01, -35.6175461
model = nk.models.RBM(alpha=1, param_dtype=float)
vs = nk.vqs.MCState(sampler, model, n_samples=1000, seed=seed, sampler_seed=seed + 1000)
opt = nk.optimizer.Sgd(learning_rate=lr)
sr = nk.optimizer.SR(diag_shift=0.1)
gs = nk.driver.VMC(H, opt, variational_state=vs, preconditioner=sr)
gs.run(n_iter=5, show_progress=False)
jax.block_until_ready(vs.parameters)
t0 = time.perf_counter()
gs.run(n_iter=iters - 5, show_progress=False)
jax.block_until_ready(vs.parameters)
dt = (time.perf_counter() - t0) / (iters - 5)
vs.n_samples = 20000
e = vs.expect(H)
mean, err = float(np.real(e.mean)), float(e.error_of_mean)
print(f"netket {nk.__version__} jax {jax.__version__}")
print(f"seconds_per_iteration {dt:.6f}")
print(f"energy {mean:.6f} {err:.6f} relerr {abs((mean - exact) / exact):.3e}")
if len(sys.argv) > 4:
    p = vs.parameters
    np.savez(sys.argv[4], a=np.asarray(p["visible_bias"]), b=np.asarray(p["Dense"]["bias"]), W=np.asarray(p["Dense"]["kernel"]))
