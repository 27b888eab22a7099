# W6 GEMM in pairs (issue 14, item 2): mlp's products (`mlp-bench gemm-serve`) against
# NumPy's (`gemm.py --serve`), both processes kept running, one timed batch of each
# back to back, PAIRS times per row, the order alternating. Each pair's ratio compares
# the two libraries under the same state of the host; the median of the pair ratios is
# the figure. The ratio of each side's best batch is printed beside it (the host only
# ever slows a batch down). (gemm.sh's medians of separate runs swing by 0.3 on a shared KVM host,
# where the host slows a virtual CPU for a second or more at a time: a pair is 0.5 s.)
#
# A batch is about TARGET seconds of products; GAP seconds of quiet precede each one,
# longer than OpenBLAS's worker threads spin after a call (about 0.1 s), so the idle
# partner takes no CPU from the timed one. The CPU time the partner used during the
# other's batches is printed for each configuration to show that it stayed idle.
#
# Usage: python3 gemm_pairs.py MLP_BENCH PEER_PYTHON
# Environment: PAIRS (default 15), THREADS (default "1 2"), TARGET (0.1), GAP (0.25),
# OPENBLAS_CORETYPE (runs both its setting and unset when set; unset only otherwise).
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS = [(p, n) for p in ("float64", "float32") for n in (1024, 256)]
TICK = os.sysconf("SC_CLK_TCK")


class Server:
    """A process answering `PRECISION N REPS` with the batch's wall seconds."""

    def __init__(self, argv, env):
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.info = []

    def run(self, prec, n, reps):
        self.proc.stdin.write(f"{prec} {n} {reps}\n")
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            if not line:
                sys.exit(f"gemm_pairs.py: {self.proc.args[0]} ended without an answer")
            try:
                return float(line)
            except ValueError:
                self.info.append(line.strip())

    def cpu(self):
        """User + system CPU seconds of the process and its threads so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def quartiles(xs):
    q = statistics.quantiles(xs, n=4) if len(xs) > 1 else [xs[0]] * 3
    return q[0], statistics.median(xs), q[2]


def configuration(bench, peer, coretype, threads, pairs, target, gap):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    env.pop("OPENBLAS_CORETYPE", None)
    if coretype != "unset":
        env["OPENBLAS_CORETYPE"] = coretype
    mlp = Server([bench, "gemm-serve"], env)
    numpy = Server([peer, os.path.join(HERE, "gemm.py"), "--serve"], env)
    sides = {"mlp": mlp, "NumPy": numpy}
    reps = {}
    for prec, n in ROWS:  # warm both, then size the batches from mlp's time of one product
        for s in sides.values():
            s.run(prec, n, 1)
        one = min(mlp.run(prec, n, 1) for _ in range(3))
        reps[prec, n] = max(1, round(target / one))
    times = {(side, row): [] for side in sides for row in ROWS}
    idle = {side: 0.0 for side in sides}
    for p in range(pairs):
        for i, row in enumerate(ROWS):
            order = ["mlp", "NumPy"] if (p + i) % 2 == 0 else ["NumPy", "mlp"]
            for side in order:
                partner = "NumPy" if side == "mlp" else "mlp"
                time.sleep(gap)
                c0 = sides[partner].cpu()
                times[side, row].append(sides[side].run(*row, reps[row]))
                idle[partner] += sides[partner].cpu() - c0
    for s in sides.values():
        s.close()
    cores = {side: next((l.split("OpenBLAS core ")[1].split()[0].rstrip(",") for l in s.info if "OpenBLAS core " in l), "?")
             for side, s in sides.items()}
    rows = []
    for prec, n in ROWS:
        flop = 2.0 * n ** 3 * reps[prec, n] / 1e9
        a, b = times["mlp", (prec, n)], times["NumPy", (prec, n)]
        ratios = [tb / ta for ta, tb in zip(a, b)]
        lo, med, hi = quartiles(ratios)
        rows.append((coretype, threads, prec, n, flop / statistics.median(a), flop / statistics.median(b), lo, med, hi,
                     min(ratios), max(ratios), sum(r >= 0.95 for r in ratios), min(b) / min(a)))
    return rows, cores, idle


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gemm_pairs.py MLP_BENCH PEER_PYTHON")
    bench, peer = sys.argv[1:]
    pairs = int(os.environ.get("PAIRS", "15"))
    threads = [int(t) for t in os.environ.get("THREADS", "1 2").split()]
    target = float(os.environ.get("TARGET", "0.1"))
    gap = float(os.environ.get("GAP", "0.25"))
    preset = os.environ.get("OPENBLAS_CORETYPE", "")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"== {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, CPU: {cpu}, {os.cpu_count()} CPUs, load before {load()}")
    print(f"== {pairs} pairs per row, batches of about {target} s, {gap} s apart, order alternating", flush=True)
    table = []
    for coretype in ([preset] if preset else []) + ["unset"]:
        for t in threads:
            rows, cores, idle = configuration(bench, peer, coretype, t, pairs, target, gap)
            table += rows
            print(f"OPENBLAS_CORETYPE {coretype}, {t} threads: mlp core {cores['mlp']}, NumPy core {cores['NumPy']}; "
                  f"CPU s the idle partner used during the other's batches: mlp {idle['mlp']:.2f}, "
                  f"NumPy {idle['NumPy']:.2f} (load {load()})", flush=True)
    print()
    print("| OPENBLAS_CORETYPE | threads | precision | n | mlp GFLOP/s | NumPy GFLOP/s | ratio (median of pairs) | quartiles | least, most | pairs >= 0.95 | ratio of best batches |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for e, t, prec, n, ga, gb, lo, med, hi, mn, mx, ok, best in table:
        print(f"| {e} | {t} | {prec} | {n} | {ga:.1f} | {gb:.1f} | {med:.2f} | {lo:.2f}-{hi:.2f} | {mn:.2f}, {mx:.2f} | {ok}/{pairs} | {best:.2f} |")
    print(f"== load after: {load()}")


if __name__ == "__main__":
    main()
