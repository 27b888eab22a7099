#!/usr/bin/env bash
# P4 VMC (WORKLOADS.md): mlp (nqs_p4.mlp) against NetKet (nqs_netket.py) in the same
# run, interleaved, ROUNDS rounds (default 3; round r uses seed r on both sides), two
# threads on each side (OPENBLAS/OMP 2, XLA intra-op 2; mlp's chains on 2 threads).
# TFIM N=20 h=1 and the Heisenberg chain N=20 (Sz=0, exchange moves), RBM alpha=1
# real, 1000 samples, SR shift 0.1, SGD lr 0.1 / 0.01, ITERATIONS (default 300).
# Reports the medians of the seconds per VMC+SR iteration (timed inside each
# process after a 5-iteration warm-up: NetKet's JIT compilation is not counted)
# and of the trained state's energy (20000 samples) as a relative error.
# Environment: MLP (default .build/release/mlp), PEER_PYTHON (bench/.venv/bin/python,
# `make bench-peers` installs netket), ROUNDS, ITERATIONS.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MLP="${MLP:-$ROOT/.build/release/mlp}"
PEER="${PEER_PYTHON:-$ROOT/bench/.venv/bin/python}"
ROUNDS="${ROUNDS:-3}"
ITERS="${ITERATIONS:-300}"
export OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 XLA_FLAGS="--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=2"
[ -x "$MLP" ] || { echo "nqs_run.sh: $MLP not found; run 'make build'" >&2; exit 2; }
"$PEER" -c 'import netket' 2>/dev/null || { echo "nqs_run.sh: netket not importable by $PEER; run 'make bench-peers'" >&2; exit 2; }
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), CPU: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc --all) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== peer: $("$PEER" -c 'import netket, jax; print("netket", netket.__version__, "jax", jax.__version__)' 2>/dev/null)"
# run NAME CMD...: appends "seconds relerr" of one run to $OUT/NAME
run() {
    local name="$1"; shift
    "$@" 2>/dev/null | awk '/^seconds_per_iteration/ { s = $2 } /^energy/ { r = $NF } END { print s, r }' >> "$OUT/$name"
}
for r in $(seq 1 "$ROUNDS"); do
    for m in tfim heisenberg; do
        run "mlp-$m" "$MLP" "$HERE/nqs_p4.mlp" "$m" "$r" "$ITERS"
        run "netket-$m" "$PEER" "$HERE/nqs_netket.py" "$m" "$r" "$ITERS"
    done
    echo "round $r done, load $(cut -d' ' -f1-3 /proc/loadavg): $(for f in "$OUT"/*; do printf '%s [%s] ' "$(basename "$f")" "$(tail -n 1 "$f")"; done)"
done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { cut -d' ' -f"$2" "$OUT/$1" | median; }
echo
printf '%-12s | %12s | %12s | %7s | %11s | %11s | %4s\n' workload "mlp s/iter" "NetKet s/it" ratio "mlp relerr" "NK relerr" goal
for m in tfim heisenberg; do
    awk -v n="$m" -v a="$(col "mlp-$m" 1)" -v b="$(col "netket-$m" 1)" -v ea="$(col "mlp-$m" 2)" -v eb="$(col "netket-$m" 2)" 'BEGIN {
        r = b / a
        printf "%-12s | %12.5f | %12.5f | %6.2fx | %11.2e | %11.2e | %4s\n", n, a, b, r, ea, eb, (r >= 1 && ea <= eb) ? "yes" : "NO" }'
done
echo "medians of $ROUNDS interleaved rounds; ratio = NetKet / mlp (> 1: mlp faster); relative error of the energy of the trained state (20000 samples) against the exact one. load after: $(cut -d' ' -f1-3 /proc/loadavg)"
