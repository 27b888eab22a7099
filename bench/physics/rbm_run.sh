#!/usr/bin/env bash
# P1 RBM (WORKLOADS.md): mlp against scikit-learn's BernoulliRBM (PCD-1) and a
# NumPy CD-1 reference (rbm_peers.py), in the same run, interleaved, ROUNDS rounds
# (default 5, round r with seed r on every side), medians of the seconds per epoch
# and of the per-round ratios (CPU seconds of the process, the work done, steadier
# than the wall clock when other jobs share the CPUs; the wall clock's ratio beside
# them), and each side's PLL median and range over the seeds
# (the PLL after 10 epochs varies by a few nats from seed to seed, PCD's most; hence
# 5 seeds or more); one BLAS thread on each side
# (OPENBLAS_NUM_THREADS=1; THREADS=2 for two). Quality: the all-pixel
# pseudo-log-likelihood of the first 1000 images (the same formula on both sides).
# The goal: mlp at least 2x faster than each peer with the PLL within 2 nats/image.
# The table at the end (rbm_table.py) is Markdown, ready for README.md.
#
# Environment: MLP (default .build/release/mlp), PEER_PYTHON (default
# bench/.venv/bin/python, made by `make bench-peers`), ROUNDS, THREADS.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MLP="${MLP:-$ROOT/.build/release/mlp}"
PEER="${PEER_PYTHON:-$ROOT/bench/.venv/bin/python}"
ROUNDS="${ROUNDS:-5}"
export OPENBLAS_NUM_THREADS="${THREADS:-1}" OMP_NUM_THREADS="${THREADS:-1}"
[ -x "$MLP" ] || { echo "rbm_run.sh: $MLP not found; run 'make build'" >&2; exit 2; }
[ -x "$PEER" ] || { echo "rbm_run.sh: $PEER not found; run 'make bench-peers'" >&2; exit 2; }
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), CPU: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc --all) CPUs, $OPENBLAS_NUM_THREADS BLAS thread(s), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== peers: $("$PEER" -c 'import numpy, sklearn; print("numpy", numpy.__version__, "| scikit-learn", sklearn.__version__)')"
# run NAME CMD...: appends "wall_seconds pll cpu_seconds" (per epoch) of one run to $OUT/NAME
run() {
    local name="$1"; shift
    "$@" 2>&1 | awk '/ cpu .*s\/epoch/ { c = $(NF - 1); next } /s\/epoch/ { s = $(NF - 1) } / pll / { p = $NF } END { print s, p, c }' >> "$OUT/$name"
}
for r in $(seq 1 "$ROUNDS"); do
    for prec in float64 float32; do
        run "mlp-cd-$prec" "$MLP" "$HERE/rbm_p1.mlp" cd "$prec" "$r"
        run "numpy-$prec" "$PEER" "$HERE/rbm_peers.py" numpy "$prec" "$r"
        run "mlp-pcd-$prec" "$MLP" "$HERE/rbm_p1.mlp" pcd "$prec" "$r"
        run "sklearn-$prec" "$PEER" "$HERE/rbm_peers.py" sklearn "$prec" "$r"
    done
    echo "round $r done, load $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo
"$PEER" "$HERE/rbm_table.py" "$OUT"
echo
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
