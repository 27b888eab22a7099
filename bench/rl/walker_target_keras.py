"""B2 walker-target with real Keras, the course's notebook (2019_06_SimpleRL_WalkerTarget.ipynb) step by step:
Sequential Dense(2, input_shape=(1,), sigmoid) -> Dense(2, softmax), categorical_crossentropy, SGD(0.01),
batch 10, nsteps 20, 100 epochs, creative_epsilon 0.01, RewardScaling 60, train_on_batch on all
batch*nsteps (observation, action) rows with target RewardScaling*R at the action taken.
The trajectories come from walker_target_numpy.epoch (the notebook's do_epoch, the same code for both);
only the net, its initialisation and its update are Keras's. Run with KERAS_BACKEND=jax.
Usage: walker_target_keras.py [seeds] [lr] [scaling] [epochs]"""
import os, sys
os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense, Input
import walker_target_numpy as ref   # the environment and the batch targets, shared


def init_net(lr):
    net = Sequential()
    net.add(Input(shape=(1,)))          # the notebook's input_shape=(1,)
    net.add(Dense(2, activation="sigmoid"))
    net.add(Dense(2, activation="softmax"))
    net.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=lr))
    return net


def run(seed, lr=0.01, scaling=60.0, num_epochs=100, batchsize=10, nsteps=20):
    keras.utils.set_random_seed(seed)   # Keras's initializers (glorot_uniform kernels, zero biases)
    rng = np.random.default_rng(seed)
    net = init_net(lr)
    predict = lambda o: np.asarray(net.predict_on_batch(o[:, None].astype("float32")))
    avg_reward = np.zeros(num_epochs)
    for epoch in range(num_epochs):
        obs, act, R = ref.epoch(predict, rng, batchsize, nsteps)   # the notebook's do_epoch
        net.train_on_batch(obs.reshape(-1, 1).astype("float32"), ref.targets(act, R, scaling).astype("float32"))
        avg_reward[epoch] = R.mean()
    return avg_reward, net


if __name__ == "__main__":
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    lr = float(sys.argv[2]) if len(sys.argv) > 2 else 0.01
    scaling = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
    epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    runs = []
    for s in range(seeds):
        avg, net = run(s, lr, scaling, epochs)
        p = np.asarray(net.predict_on_batch(np.array([[0.0], [1.0]], dtype="float32")))
        print(f"seed {s}: epoch {epochs - 1} average reward {avg[-1]:.1f}, last 10 epochs {avg[-10:].mean():.2f}; "
              f"P(move | off) = {p[0, 1]:.3f}, P(stay | on) = {p[1, 0]:.3f}", flush=True)
        runs.append(avg)
    runs = np.array(runs)
    last10 = runs[:, -10:].mean(axis=1)
    print(f"keras {keras.__version__} ({keras.backend.backend()}), lr {lr}, RewardScaling {scaling}, {seeds} seeds, {epochs} epochs:")
    print(f"  reward at the last epoch: mean {runs[:, -1].mean():.2f}, median {np.median(runs[:, -1]):.2f}")
    print(f"  mean of the last 10 epochs per run: mean {last10.mean():.2f}, median {np.median(last10):.2f}, "
          f"min {last10.min():.2f}, max {last10.max():.2f}; runs above 12: {(last10 > 12).sum()} of {seeds}")
