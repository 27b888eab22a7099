# The peers of bench/nn: workloads W1-W5 of WORKLOADS.md in PyTorch eager
# and in Keras 3 on JAX (the whole train step one jax.jit function, as Keras's
# guide to custom JAX training loops writes it; faster than train_on_batch).
#
#   python peers.py W1|W2|W3|W4|W5 torch|keras THREADS
#   python peers.py W1 torch|keras THREADS BATCH HIDDEN   (scaling.sh; default 64 128)
#   python peers.py LSTM torch|keras THREADS H            (lstm(H) >> dense(8), W2's data; default 256)
#
# Same data shapes, layers, loss and optimizer as the mlp scripts (float32, each
# framework's default). Times training steps (forward + backward + adam update)
# on one fixed random batch: warm-up, then best of 3 timed passes; prints
# `W2 <steps/s> steps/s`.
import os
import sys
import time

workload, framework, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
extra = [int(a) for a in sys.argv[4:]]
# Before the frameworks load: their thread pools read these.
os.environ["OMP_NUM_THREADS"] = str(threads)
os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
if threads == 1:
    os.environ["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
import numpy as np

# (batch, time, input width, output width, steps per timed pass); W1 and W5 have no time axis
SHAPES = {"W1": (64, 0, 784, 10, 200), "W2": (32, 50, 8, 8, 40), "W3": (20, 20, 3, 2, 400),
          "W4": (32, 64, 65, 65, 30), "W5": (64, 0, 0, 10, 20)}
# the scaling table's variants (W1.mlp and LSTM.mlp take the same arguments and steps)
hidden = 128
if workload == "W1" and extra:
    hidden = extra[1] if len(extra) > 1 else hidden
    SHAPES["W1"] = (extra[0], 0, 784, 10, max(10, min(400, 1638400 // (extra[0] * hidden))))
units = extra[0] if extra else 256
SHAPES["LSTM"] = (32, 50, 8, 8, max(5, 3200 // units))
bs, T, D, O, steps = SHAPES[workload]
rng = np.random.default_rng(0)
classify = workload in ("W1", "W4", "W5")
if workload == "W1":
    x = rng.standard_normal((bs, 784)).astype(np.float32)
    y = rng.integers(0, 10, size=bs)
elif workload == "W5":
    x = rng.standard_normal((bs, 28, 28, 1)).astype(np.float32)   # channels last (Keras); torch transposes
    y = rng.integers(0, 10, size=bs)
elif workload == "W4":
    ids = rng.integers(0, 65, size=(bs, T + 1))
    x = np.eye(65, dtype=np.float32)[ids[:, :-1]]
    y = ids[:, 1:]
else:
    x = rng.standard_normal((bs, T, D)).astype(np.float32)
    y = rng.standard_normal((bs, T, O)).astype(np.float32)


def timed(step):
    for _ in range(max(3, steps // 10)):
        step()
    best = 1e9
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        best = min(best, time.perf_counter() - t0)
    return steps / best


if framework == "torch":
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)

    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            if workload == "W1":
                self.rnns = []
                self.head = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))
            elif workload == "W5":
                self.rnns = []
                self.head = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                          nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                          nn.Flatten(), nn.Linear(16 * 7 * 7, 10))
            elif workload == "W2":
                self.rnns = torch.nn.ModuleList([torch.nn.LSTM(8, 64, batch_first=True),
                                                 torch.nn.LSTM(64, 64, batch_first=True)])
                self.head = torch.nn.Linear(64, 8)
            elif workload == "LSTM":
                self.rnns = torch.nn.ModuleList([torch.nn.LSTM(8, units, batch_first=True)])
                self.head = torch.nn.Linear(units, 8)
            elif workload == "W3":
                self.rnns = torch.nn.ModuleList([torch.nn.LSTM(3, 5, batch_first=True),
                                                 torch.nn.LSTM(5, 2, batch_first=True)])
                self.head = None
            else:
                self.rnns = torch.nn.ModuleList([torch.nn.LSTM(65, 128, batch_first=True)])
                self.head = torch.nn.Linear(128, 65)

        def forward(self, x):
            for rnn in self.rnns:
                x, _ = rnn(x)
            return self.head(x) if self.head is not None else x

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    xt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy() if workload == "W5" else x)
    if classify:
        # the logits' softmax and cross-entropy in one (the mlp and Keras nets end in softmax)
        yt = torch.from_numpy(y).reshape(-1)
        lossf = lambda out: torch.nn.functional.cross_entropy(out.reshape(-1, O), yt)
    else:
        yt = torch.from_numpy(y)
        lossf = lambda out: torch.nn.functional.mse_loss(out, yt)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = lossf(net(xt))
        loss.backward()
        opt.step()
else:
    os.environ["KERAS_BACKEND"] = "jax"
    import keras
    keras.utils.set_random_seed(0)
    L = keras.layers
    layers = [keras.Input((784,) if workload == "W1" else (28, 28, 1) if workload == "W5" else (T, D))]
    if workload == "W1":
        layers += [L.Dense(hidden, activation="relu"), L.Dense(10, activation="softmax")]
    elif workload == "W5":
        layers += [L.Conv2D(8, 3, padding="same", activation="relu"), L.MaxPooling2D(2),
                   L.Conv2D(16, 3, padding="same", activation="relu"), L.MaxPooling2D(2),
                   L.Flatten(), L.Dense(10, activation="softmax")]
    elif workload == "W2":
        layers += [keras.layers.LSTM(64, return_sequences=True), keras.layers.LSTM(64, return_sequences=True),
                   keras.layers.Dense(8)]
    elif workload == "LSTM":
        layers += [keras.layers.LSTM(units, return_sequences=True), keras.layers.Dense(8)]
    elif workload == "W3":
        layers += [keras.layers.LSTM(5, return_sequences=True), keras.layers.LSTM(2, return_sequences=True)]
    else:
        layers += [keras.layers.LSTM(128, return_sequences=True), keras.layers.Dense(65, activation="softmax")]
    net = keras.Sequential(layers)
    opt = keras.optimizers.Adam(1e-3)
    lossf = keras.losses.SparseCategoricalCrossentropy() if classify else keras.losses.MeanSquaredError()
    opt.build(net.trainable_variables)
    import jax

    # The whole step (forward, backward, adam) as one jitted function of the state,
    # as Keras's guide writes a JAX training loop; the Python loop only calls it.
    def loss_of(tv, ntv, xb, yb):
        out, ntv = net.stateless_call(tv, ntv, xb, training=True)
        return lossf(yb, out), ntv

    grad_fn = jax.value_and_grad(loss_of, has_aux=True)

    @jax.jit
    def train_step(state, xb, yb):
        tv, ntv, ov = state
        (loss, ntv), grads = grad_fn(tv, ntv, xb, yb)
        tv, ov = opt.stateless_apply(ov, grads, tv)
        return loss, (tv, ntv, ov)

    state = [[v.value for v in net.trainable_variables], [v.value for v in net.non_trainable_variables],
             [v.value for v in opt.variables]]
    xj, yj = jax.numpy.asarray(x), jax.numpy.asarray(y)

    def step():
        global state
        loss, state = train_step(state, xj, yj)
        loss.block_until_ready()

print(f"{workload} {timed(step):.1f} steps/s")
