#!/usr/bin/env bash
# P4 VMC (WORKLOADS.md): mlp (nqs_p4.mlp) against NetKet (nqs_netket.py) in the same
# run, interleaved, ROUNDS rounds (default 3; round r uses seed r on both sides), two
# threads on each side (OPENBLAS/OMP 2, XLA intra-op 2; mlp's chains on 2 threads).
# TFIM N=20 h=1 and the Heisenberg chain N=20 (Sz=0, exchange moves), RBM alpha=1
# real, 1000 samples, SR shift 0.1, SGD lr 0.1 / 0.01, ITERATIONS (default 300).
# Per run: the seconds per VMC+SR iteration (timed inside each process after a
# 5-iteration warm-up: NetKet's JIT compilation is not counted), the trained state's
# energy from 20000 samples (each side's own estimate) and, with EXACT=1 (default),
# the exact energy of the trained state by enumeration (nqs_exact.py, NumPy, the
# same evaluator for both sides: no sampling noise), each as a relative error.
# Prints one line per run, then a Markdown table ready to paste into README.md:
# medians of ROUNDS runs with [min, max].
# Environment: MLP (default .build/release/mlp), PEER_PYTHON (bench/.venv/bin/python,
# `make bench-peers` installs netket), ROUNDS, ITERATIONS, EXACT.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MLP="${MLP:-$ROOT/.build/release/mlp}"
PEER="${PEER_PYTHON:-$ROOT/bench/.venv/bin/python}"
ROUNDS="${ROUNDS:-3}"
ITERS="${ITERATIONS:-300}"
EXACT="${EXACT:-1}"
export OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 XLA_FLAGS="--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=2"
[ -x "$MLP" ] || { echo "nqs_run.sh: $MLP not found; run 'make build'" >&2; exit 2; }
"$PEER" -c 'import netket' 2>/dev/null || { echo "nqs_run.sh: netket not importable by $PEER; run 'make bench-peers'" >&2; exit 2; }
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
CPU="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc --all) CPUs"
LOAD0="$(cut -d' ' -f1-3 /proc/loadavg)"
START="$(date -u '+%Y-%m-%d %H:%M UTC')"
PEERV="$("$PEER" -c 'import netket, jax; print("netket", netket.__version__, "jax", jax.__version__)' 2>/dev/null)"
echo "== $START, CPU: $CPU, load $LOAD0"
echo "== peer: $PEERV"
# run NAME SYSTEM ROUND CMD...: appends "seconds sampled-relerr exact-relerr" of one run to $OUT/NAME
run() {
    local name="$1" which="$2" r="$3"; shift 3
    local npz="$OUT/$name-$r.npz"
    local line ex="nan"
    line="$("$@" "$npz" 2>/dev/null | awk '/^seconds_per_iteration/ { s = $2 } /^energy/ { e = $NF } END { print s, e }')"
    if [ "$EXACT" = 1 ] && [ -f "$npz" ]; then
        ex="$(python3 "$HERE/nqs_exact.py" "$which" "$npz" | awk '{ print $NF }')"
    fi
    echo "$line ${ex:-nan}" >> "$OUT/$name"
    echo "  $name round $r: s/iter, relerr sampled, relerr exact: $line ${ex:-nan}"
}
for r in $(seq 1 "$ROUNDS"); do
    for m in tfim heisenberg; do
        run "mlp-$m" "$m" "$r" "$MLP" "$HERE/nqs_p4.mlp" "$m" "$r" "$ITERS"
        run "netket-$m" "$m" "$r" "$PEER" "$HERE/nqs_netket.py" "$m" "$r" "$ITERS"
    done
    echo "round $r done, load $(cut -d' ' -f1-3 /proc/loadavg)"
done
LOAD1="$(cut -d' ' -f1-3 /proc/loadavg)"
# stats NAME COLUMN: "median min max" of one column
stats() { cut -d' ' -f"$2" "$OUT/$1" | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR] }'; }
echo
echo "Run of $START, $CPU, $PEERV, $ROUNDS rounds of $ITERS iterations, load average $LOAD0 before, $LOAD1 after:"
echo
echo "| workload | mlp s/iter | NetKet s/iter | ratio | mlp rel. error (sampled) | NetKet rel. error (sampled) | mlp rel. error (exact) | NetKet rel. error (exact) | goal |"
echo "|---|---|---|---|---|---|---|---|---|"
for m in tfim heisenberg; do
    a="$(stats "mlp-$m" 1)"; b="$(stats "netket-$m" 1)"
    ea="$(stats "mlp-$m" 2)"; eb="$(stats "netket-$m" 2)"
    xa="$(stats "mlp-$m" 3)"; xb="$(stats "netket-$m" 3)"
    awk -v n="$m" -v a="$a" -v b="$b" -v ea="$ea" -v eb="$eb" -v xa="$xa" -v xb="$xb" -v exact="$EXACT" 'BEGIN {
        split(a, A, " "); split(b, B, " "); split(ea, EA, " "); split(eb, EB, " "); split(xa, XA, " "); split(xb, XB, " ")
        r = B[1] / A[1]
        # the energy compared: the exact one of the trained states where computed, else the sampled
        if (exact == 1) { ma = XA[1]; mb = XB[1]; hb = XB[3] } else { ma = EA[1]; mb = EB[1]; hb = EB[3] }
        ev = (ma <= mb) ? "energy equal or better" : (ma <= hb) ? "energy within NetKet'"'"'s spread" : "energy WORSE"
        printf "| %s N=20 | %.4f | %.4f | %.2fx | %.2e [%.1e, %.1e] | %.2e [%.1e, %.1e] | %.2e [%.1e, %.1e] | %.2e [%.1e, %.1e] | %s, %s |\n",
            (n == "tfim") ? "TFIM" : "Heisenberg", A[1], B[1], r, EA[1], EA[2], EA[3], EB[1], EB[2], EB[3], XA[1], XA[2], XA[3], XB[1], XB[2], XB[3],
            (r >= 1) ? "faster" : "SLOWER", ev }'
done
echo
echo "Medians of $ROUNDS interleaved rounds [min, max]; ratio = NetKet s/iter / mlp s/iter (> 1: mlp faster). Relative errors of the trained state's energy against the exact ground state: sampled = each side's 20000-sample estimate (noise about 5e-5 relative for the TFIM), exact = <psi|H|psi> by enumeration (nqs_exact.py)."
