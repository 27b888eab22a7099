"""B2 walker-target (LECTURES.md B2, the course's 2019_06_SimpleRL_WalkerTarget protocol) in plain NumPy:
net Dense(2, sigmoid) -> Dense(2, softmax) with Keras's default init (glorot_uniform kernels, zero biases),
loss = mean over the batch*nsteps rows of categorical cross-entropy with target RewardScaling*R at the
action taken, plain SGD.  The step order is the notebook's: first action uniform random, then for each of
nsteps steps: apply the previous action, observe (1 on target), query the net, sample the next action
(with probability creative_epsilon per step the whole batch acts uniformly at random).
Usage: python3 walker_target_numpy.py [seeds] [lr] [scaling] [epochs]
       python3 walker_target_numpy.py tf [seeds] ...   (with TensorFlow's fused-kernel gradient p - t)
       python3 walker_target_numpy.py odds [seeds]   (how often the course's printout happens)"""
import sys
import numpy as np


def glorot(rng, fan_in, fan_out):
    lim = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-lim, lim, size=(fan_in, fan_out))


def forward(params, x):
    W1, b1, W2, b2 = params
    h = 1 / (1 + np.exp(-(x @ W1 + b1)))
    z = h @ W2 + b2
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return h, p


def gradients(params, x, t):
    """Gradients of mean_rows(-sum_i t_i log p_i) (Keras's categorical_crossentropy on a softmax output)."""
    W1, b1, W2, b2 = params
    h, p = forward(params, x)
    n = x.shape[0]
    dz = (t.sum(axis=1, keepdims=True) * p - t) / n
    gW2 = h.T @ dz
    gb2 = dz.sum(axis=0)
    dh = dz @ W2.T * h * (1 - h)
    gW1 = x.T @ dh
    gb1 = dh.sum(axis=0)
    return [gW1, gb1, gW2, gb2]


def gradients_tf_kernel(params, x, t):
    """The same with TensorFlow's fused softmax cross-entropy kernel's gradient at the logits, p - t
    (tf.keras took it for a softmax output from late 2018; it assumes targets that sum to 1)."""
    W1, b1, W2, b2 = params
    h, p = forward(params, x)
    dz = (p - t) / x.shape[0]
    dh = dz @ W2.T * h * (1 - h)
    return [x.T @ dh, dh.sum(axis=0), h.T @ dz, dz.sum(axis=0)]


def epoch(predict, rng, batchsize=10, nsteps=20, target_max=10, eps=0.01):
    """One batch of trajectories, the notebook's do_epoch (predict: observations [batch] -> probabilities
    [batch, 2]); returns (observations, actions, R), each [batch, nsteps] but R [batch]."""
    actions = rng.integers(2, size=batchsize)
    targets = rng.integers(target_max, size=batchsize)
    walker = np.zeros(batchsize, dtype=int)
    obs_hist = np.zeros((batchsize, nsteps))
    act_hist = np.zeros((batchsize, nsteps), dtype=int)
    reward = np.zeros(batchsize)
    for j in range(nsteps):
        walker += actions
        obs = (walker == targets).astype(float)
        reward += obs
        probs = predict(obs)
        if rng.random() < eps:
            actions = rng.integers(2, size=batchsize)
        else:
            actions = (rng.random(batchsize) > probs[:, 0]).astype(int)
        act_hist[:, j] = actions
        obs_hist[:, j] = obs
    return obs_hist, act_hist, reward


def targets(act, R, scaling=60.0):
    """The notebook's action_one_hots: RewardScaling * R at the action taken, rows [batch * nsteps, 2]."""
    batchsize, nsteps = act.shape
    t = np.zeros((batchsize, nsteps, 2))
    for j in range(nsteps):
        t[np.arange(batchsize), j, act[:, j]] = scaling * R
    return t.reshape(-1, 2)


def train(seed, lr=0.01, scaling=60.0, epochs=100, batchsize=10, nsteps=20):
    rng = np.random.default_rng(seed)
    params = [glorot(rng, 1, 2), np.zeros(2), glorot(rng, 2, 2), np.zeros(2)]
    avg = []
    for ep in range(epochs):
        obs, act, R = epoch(lambda o: forward(params, o[:, None])[1], rng, batchsize, nsteps)
        g = gradients(params, obs.reshape(-1, 1), targets(act, R, scaling))
        params = [p - lr * gp for p, gp in zip(params, g)]
        avg.append(R.mean())
    return np.array(avg), params


def course_odds(seeds=200, first=1000):
    """How often a run shows the course's printout (12.9 at epoch 39, 12.2 at epoch 99) from a fresh net,
    and from a net trained 100 epochs before (the training cell run a second time)."""
    runs = np.array([train(s, epochs=200)[0] for s in range(first, first + seeds)])
    for label, a, b in [("fresh nets, epochs 0-99", 39, 99), ("the same nets again, epochs 100-199", 139, 199)]:
        print(f"{label} ({seeds} seeds from {first}): reward at epoch {b}: mean {runs[:, b].mean():.2f}, "
              f"median {np.median(runs[:, b]):.2f}; P(>= 12.2) = {(runs[:, b] >= 12.2).mean():.3f}; "
              f"P(>= 12.9 at epoch {a}) = {(runs[:, a] >= 12.9).mean():.3f}; "
              f"both = {((runs[:, a] >= 12.9) & (runs[:, b] >= 12.2)).mean():.3f}")


def main(args):
    if args[:1] == ["odds"]:
        return course_odds(int(args[1]) if len(args) > 1 else 200)
    global gradients
    variant = ""
    if args[:1] == ["tf"]:
        gradients, variant, args = gradients_tf_kernel, " (TensorFlow's fused-kernel gradient p - t)", args[1:]
    seeds = int(args[0]) if len(args) > 0 else 20
    lr = float(args[1]) if len(args) > 1 else 0.01
    scaling = float(args[2]) if len(args) > 2 else 60.0
    epochs = int(args[3]) if len(args) > 3 else 100
    runs = np.array([train(s, lr, scaling, epochs)[0] for s in range(seeds)])
    last10 = runs[:, -10:].mean(axis=1)
    print(f"numpy{variant}, lr {lr}, RewardScaling {scaling}, {seeds} seeds, {epochs} epochs:")
    print(f"  reward at the last epoch: mean {runs[:, -1].mean():.2f}, median {np.median(runs[:, -1]):.2f}")
    print(f"  mean of the last 10 epochs per run: mean {last10.mean():.2f}, median {np.median(last10):.2f}, "
          f"min {last10.min():.2f}, max {last10.max():.2f}; runs above 12: {(last10 > 12).sum()} of {seeds}")
    print("  per run:", " ".join(f"{v:.1f}" for v in last10))


if __name__ == "__main__":
    main(sys.argv[1:])
