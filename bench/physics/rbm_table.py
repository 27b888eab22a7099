"""Summarises rbm_run.sh's runs: argv[1] is the folder with one file per
configuration, one line "wall_seconds_per_epoch pll cpu_seconds_per_epoch" per
round (round r on line r). Prints a Markdown table ready to paste into README.md:
the medians of the CPU seconds per epoch, the median and the range of the
per-round ratios (peer / mlp, the rounds interleaved so that a load change hits
both sides of a round alike), the median ratio of the wall-clock seconds, and
each side's PLL median with its range over the rounds' seeds."""
import statistics, sys

ROWS = [
    ("CD-1 float64 vs NumPy CD-1 float64", "mlp-cd-float64", "numpy-float64"),
    ("PCD-1 float64 vs scikit-learn float64", "mlp-pcd-float64", "sklearn-float64"),
    ("CD-1 float32 vs NumPy CD-1 float64", "mlp-cd-float32", "numpy-float64"),
    ("PCD-1 float32 vs scikit-learn float64", "mlp-pcd-float32", "sklearn-float64"),
    ("CD-1 float32 vs NumPy CD-1 float32", "mlp-cd-float32", "numpy-float32"),
    ("PCD-1 float32 vs scikit-learn float32", "mlp-pcd-float32", "sklearn-float32"),
]

def read(folder, name):
    rows = []
    with open(f"{folder}/{name}") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                rows.append((float(parts[2]), float(parts[1]), float(parts[0])))  # cpu, pll, wall
    return rows

def main():
    folder = sys.argv[1]
    print("| mlp against peer | mlp CPU s/epoch | peer CPU s/epoch | ratio: median [range] | wall-clock ratio | mlp PLL: median [range] | peer PLL: median [range] | PLL gap | >= 2x, PLL within 2 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, mine, peer in ROWS:
        a, b = read(folder, mine), read(folder, peer)
        n = min(len(a), len(b))
        if n == 0:
            print(f"| {label} | no runs | | | | | | | |")
            continue
        a, b = a[:n], b[:n]
        ratios = [pb[0] / pa[0] for pa, pb in zip(a, b)]
        ratio = statistics.median(ratios)
        wall = statistics.median(pb[2] / pa[2] for pa, pb in zip(a, b))
        la, lb = [p[1] for p in a], [p[1] for p in b]
        gap = abs(statistics.median(la) - statistics.median(lb))
        goal = "yes" if ratio >= 2 and gap <= 2 else "no"
        print(f"| {label} | {statistics.median(p[0] for p in a):.4f} | {statistics.median(p[0] for p in b):.4f} | "
              f"{ratio:.2f}x [{min(ratios):.2f}, {max(ratios):.2f}] | {wall:.2f}x | "
              f"{statistics.median(la):.2f} [{min(la):.2f}, {max(la):.2f}] | "
              f"{statistics.median(lb):.2f} [{min(lb):.2f}, {max(lb):.2f}] | {gap:.2f} | {goal} |")
    print(f"\n{n} rounds (seeds 1 to {n}); ratio = peer / mlp CPU seconds per epoch in the same round (> 1: mlp faster), "
          "one BLAS thread each; "
          "PLL: all-pixel pseudo-log-likelihood of the first 1000 images, nats per image (untrained: -543.4).")
    print("\nPer round (CPU seconds per epoch / wall seconds per epoch / PLL), rounds 1 to n:\n")
    for name in sorted({r[1] for r in ROWS} | {r[2] for r in ROWS}):
        runs = read(folder, name)
        print(f"    {name:16} " + "  ".join(f"{c:.4f}/{w:.4f}/{p:.2f}" for c, p, w in runs))

if __name__ == "__main__":
    main()
