# The same episode loop as envloop.mlp in CPython: the environment a small class,
# the random policy from the random module.
import random, sys, time

EPISODES = int(sys.argv[1]) if len(sys.argv) > 1 else 2000

class Corridor:
    def __init__(self, n):
        self.n, self.pos = n, 0
    def reset(self):
        self.pos = 0
        return self.pos
    def step(self, a):
        if a == 1:
            self.pos = min(self.pos + 1, self.n - 1)
        else:
            self.pos = max(self.pos - 1, 0)
        done = self.pos == self.n - 1
        return self.pos, (1 if done else 0), done

env = Corridor(20)
random.seed(1)
steps = total = 0
t0 = time.perf_counter()
for e in range(EPISODES):
    s = env.reset()
    done = False
    while not done:
        a = 0 if random.random() < 0.5 else 1
        s, r, done = env.step(a)
        total += r
        steps += 1
t = time.perf_counter() - t0
print("steps_per_s %.0f episodes %d mean_length %.0f" % (steps / t, EPISODES, steps / EPISODES))
