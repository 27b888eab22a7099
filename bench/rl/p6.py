# Workload P6 (WORKLOADS.md), the NumPy reference written for this bench: the scalar
# loop as NumPy users write it (Q a NumPy array, one step at a time, ties broken at
# random among the maxima), with the same maze, parameters and optimality check as p6.mlp.
import sys, time
import numpy as np

SEEDS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
MAP = ["S..#..", ".#.#..", ".#...#", ".###..", "...##.", "##...G"]
H, W = len(MAP), len(MAP[0])
WALL = np.array([[c == "#" for c in row] for row in MAP])
START, GOAL = (0, 0), (5, 5)
MOVES = [(0, 1), (0, -1), (1, 0), (-1, 0)]
ALPHA, GAMMA, EPS, CAP = 0.1, 0.95, 0.1, 200

def step(s, a):
    r, c = divmod(s, W)
    r2, c2 = r + MOVES[a][0], c + MOVES[a][1]
    if 0 <= r2 < H and 0 <= c2 < W and not WALL[r2, c2]:
        r, c = r2, c2
    s2 = r * W + c
    done = (r, c) == GOAL
    return s2, (1.0 if done else 0.0), done

def greedy_len(Q):
    s = START[0] * W + START[1]
    for t in range(11):
        s, _, done = step(s, int(np.argmax(Q[s])))
        if done:
            return t + 1
    return None

t0 = time.perf_counter()
total_steps, found = 0, []
for seed in range(SEEDS):
    rng = np.random.default_rng(seed)
    Q = np.zeros((H * W, 4))
    at = None
    for ep in range(1000):
        s = START[0] * W + START[1]
        for t in range(CAP):
            if rng.random() < EPS:
                a = int(rng.integers(4))
            else:
                q = Q[s]
                a = int(rng.choice(np.flatnonzero(q == q.max())))
            s2, r, done = step(s, a)
            target = r if done else r + GAMMA * Q[s2].max()
            Q[s, a] += ALPHA * (target - Q[s, a])
            s = s2
            total_steps += 1
            if done:
                break
        if at is None and greedy_len(Q) == 10:
            at = ep + 1
    found.append(at)
t = time.perf_counter() - t0
print("steps_per_s %.0f episodes_per_s %.0f" % (total_steps / t, SEEDS * 1000 / t))
print("episodes_to_optimal %.1f shortest 10" % np.mean(found))
