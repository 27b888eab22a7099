# The harmonic oscillator x'' = -x over 20 periods, SciPy's solve_ivp RK45 at rtol 1e-8, atol 1e-10,
# 1000 output times (t_eval); the right-hand side is a Python function. Seconds, best of 5.
import time
import numpy as np
from scipy.integrate import solve_ivp
f = lambda t, s: np.array([s[1], -s[0]])
t = np.linspace(0, 40 * np.pi, 1000)
y = solve_ivp(f, (0, t[-1]), [1.0, 0.0], t_eval=t, rtol=1e-8, atol=1e-10)
best = 1e9
for i in range(5):
    t0 = time.perf_counter()
    y = solve_ivp(f, (0, t[-1]), [1.0, 0.0], t_eval=t, rtol=1e-8, atol=1e-10)
    best = min(best, time.perf_counter() - t0)
print(f"odeint_oscillator {best:.6f} s")
