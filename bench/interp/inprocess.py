# Python peer of inprocess.mlp: fib(27) and the closure counter, each timed inside
# the process (no start-up): the best of ROUNDS runs (argv[1], default 5), in seconds.
import sys, time

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5

def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)

def make():
    c = 0
    def inc():
        nonlocal c
        c += 1
        return c
    return inc

best_fib = best_closure = 1e9
for r in range(ROUNDS):
    t0 = time.perf_counter()
    x = fib(27)
    best_fib = min(best_fib, time.perf_counter() - t0)
    # the loop at top level, as in closure.py
    counter = make()
    i = 0
    last = 0
    t0 = time.perf_counter()
    while i < 1_000_000:
        last = counter()
        i += 1
    y = last
    best_closure = min(best_closure, time.perf_counter() - t0)
print("fib27_s %.4f closure_s %.4f fib %d count %d" % (best_fib, best_closure, x, y))
