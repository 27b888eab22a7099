"""One update of the B2 walker-target step, computed three ways from the same weights and the same batch
(200 rows = 10 trajectories x 20 steps): Keras train_on_batch (categorical_crossentropy, SGD 0.01, targets
60 R at the action taken), the NumPy gradient of walker_target_numpy.py, and mlp's train() with the same loss
and optimizer.  Prints the three updated weight sets and the largest differences.
Usage: KERAS_BACKEND=jax walker_target_onebatch.py path/to/mlp"""
import os, subprocess, sys, tempfile
os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np
import walker_target_numpy as ref

rng = np.random.default_rng(7)
params = [ref.glorot(rng, 1, 2), np.zeros(2), ref.glorot(rng, 2, 2), np.zeros(2)]
obs, act, R = ref.epoch(lambda o: ref.forward(params, o[:, None])[1], rng)
x = obs.reshape(-1, 1)
t = ref.targets(act, R, 60.0)
print("batch: R =", R.astype(int).tolist(), "; rows on target:", int(x.sum()))

g = ref.gradients(params, x, t)
upd_np = [p - 0.01 * gp for p, gp in zip(params, g)]

import keras
net = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(2, activation="sigmoid"), keras.layers.Dense(2, activation="softmax")])
net.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=0.01))
net.set_weights([p.astype("float32") for p in params])
net.train_on_batch(x.astype("float32"), t.astype("float32"))
upd_keras = [w.astype(float) for w in net.get_weights()]


def lit(a):
    return "tensor(" + repr(np.asarray(a, dtype=float).tolist()) + ")"


mlp = sys.argv[1] if len(sys.argv) > 1 else "mlp"
src = f"""net = dense(2, sigmoid) >> dense(2, softmax)
y = net(tensor([[0], [1]]))
net.weights = [{", ".join(lit(p) for p in params)}]
h = train(net, sgd(0.01), [{lit(x)}, {lit(t)}], loss=crossentropy, epochs=1, batch={len(x)}, shuffle=false, verbose=false)
for w in net.weights {{ print(reshape(w, [-1])) }}
"""
with tempfile.NamedTemporaryFile("w", suffix=".mlp", delete=False) as f:
    f.write(src)
out = subprocess.run([mlp, f.name], capture_output=True, text=True)
if out.returncode != 0:
    sys.exit(out.stderr)
vals = [np.array(eval(line.replace("tensor(", "(").strip())) for line in out.stdout.strip().splitlines()]
upd_mlp = [v.reshape(p.shape) for v, p in zip(vals, params)]

names = ["W1", "b1", "W2", "b2"]
for n, p, a, b, c in zip(names, params, upd_np, upd_keras, upd_mlp):
    print(f"{n}: before {p.ravel().round(6).tolist()}\n    step numpy {(a - p).ravel().round(7).tolist()}\n    step keras {(b - p).ravel().round(7).tolist()}\n    step mlp   {(c - p).ravel().round(7).tolist()}")
d_keras = max(np.abs((b - a)).max() for a, b in zip(upd_np, upd_keras))
d_mlp = max(np.abs((c - a)).max() for a, c in zip(upd_np, upd_mlp))
print(f"largest difference from numpy: keras {d_keras:.2e} (float32), mlp {d_mlp:.2e}")
