"""P1 RBM peers (WORKLOADS.md): scikit-learn's BernoulliRBM (PCD-1) and a NumPy
CD-1 reference written here, on the same data and settings as rbm_p1.mlp:
the first 10000 Fashion-MNIST training images binarised pixel > 127, 784 x 128,
weights N(0, 0.01^2), zero biases, batch 100 in file order, lr 0.05 on the
batch-mean gradient, 10 epochs. Usage: rbm_peers.py numpy|sklearn [float64|float32 [seed]]
(the data's dtype, which both keep through training).
Prints seconds per epoch (the whole training timed / 10), wall clock and CPU
seconds of the process (time.process_time, as mlp's cpu_clock), and the all-pixel
pseudo-log-likelihood of the first 1000 images (the same formula as mlp's
pseudo_likelihood: sum_i -softplus(F(v) - F(v with unit i flipped)))."""
import gzip, sys, time
import numpy as np

def load(n=10000):
    with gzip.open("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return (raw[: n * 784].reshape(n, 784) > 127).astype(np.float64)

def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))

def softplus(x):
    return np.logaddexp(0.0, x)

def pll(W, a, b, v):
    """W [visible, hidden]; mean over samples of sum over all units of log P(v_i | v_-i)."""
    pre = v @ W + b
    base = softplus(pre).sum(axis=1)
    total = np.zeros(len(v))
    s = 1.0 - 2.0 * v
    for i in range(v.shape[1]):
        flipped = softplus(pre + s[:, i:i + 1] * W[i]).sum(axis=1)
        diff = a[i] * s[:, i] + flipped - base
        total -= softplus(diff)
    return total.mean()

def numpy_cd1(x, epochs=10, batch=100, lr=0.05, hidden=128, seed=0):
    dt = x.dtype
    """CD-1 as Hinton's guide and mlp's cd(): h0 sampled to drive the
    reconstruction, probabilities in the statistics and for the reconstruction."""
    rng = np.random.default_rng(seed)
    n, nv = x.shape
    W = rng.normal(0.0, 0.01, (nv, hidden)).astype(dt)
    a = np.zeros(nv, dtype=dt)
    b = np.zeros(hidden, dtype=dt)
    for _ in range(epochs):
        for s in range(0, n, batch):
            v = x[s:s + batch]
            ph0 = sigmoid(v @ W + b)
            h0 = (rng.random(ph0.shape, dtype=dt) < ph0).astype(dt)
            pv = sigmoid(h0 @ W.T + a)
            ph1 = sigmoid(pv @ W + b)
            m = len(v)
            W += dt.type(lr / m) * (v.T @ ph0 - pv.T @ ph1)
            a += dt.type(lr) * (v.mean(axis=0) - pv.mean(axis=0))
            b += dt.type(lr) * (ph0.mean(axis=0) - ph1.mean(axis=0))
    return W, a, b

def main():
    which = sys.argv[1]
    dtype = sys.argv[2] if len(sys.argv) > 2 else "float64"
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    x = load().astype(dtype)
    if which == "numpy":
        t0, c0 = time.perf_counter(), time.process_time()
        W, a, b = numpy_cd1(x, seed=seed)
        t, c = time.perf_counter() - t0, time.process_time() - c0
    else:
        from sklearn.neural_network import BernoulliRBM
        rbm = BernoulliRBM(n_components=128, learning_rate=0.05, batch_size=100, n_iter=10, random_state=seed, verbose=0)
        t0, c0 = time.perf_counter(), time.process_time()
        rbm.fit(x)
        t, c = time.perf_counter() - t0, time.process_time() - c0
        W, a, b = rbm.components_.T, rbm.intercept_visible_, rbm.intercept_hidden_
    W, a, b = (np.asarray(p, dtype=np.float64) for p in (W, a, b))
    print(f"{which}-{dtype} {t / 10:.4f} s/epoch")
    print(f"{which}-{dtype} cpu {c / 10:.4f} s/epoch")
    print(f"{which}-{dtype} pll {pll(W, a, b, x[:1000].astype(np.float64)):.2f}")

if __name__ == "__main__":
    main()
