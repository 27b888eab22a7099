# 10^5 points scattered to a 640 x 480 PNG with matplotlib's Agg backend (its default
# figure at 100 dpi). Prints the seconds of the drawing and writing alone.
import time
import numpy as np
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

rng = np.random.default_rng(1)
n = 100000
x = rng.standard_normal(n); y = rng.standard_normal(n)
t0 = time.perf_counter()
fig, ax = plt.subplots()
ax.scatter(x, y)
ax.set_title("10^5 points")
fig.savefig("/tmp/mlp_bench_scatter_mpl.png")
plt.close(fig)
print(time.perf_counter() - t0)
