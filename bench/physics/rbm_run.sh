#!/usr/bin/env bash
# P1 RBM (WORKLOADS.md): mlp against scikit-learn's BernoulliRBM (PCD-1) and a
# NumPy CD-1 reference (rbm_peers.py), in the same run, interleaved, ROUNDS rounds
# (default 5, round r with seed r on every side), medians of the seconds per epoch
# and of the PLL (PCD's final PLL varies by a few nats from seed to seed); one BLAS thread on each side
# (OPENBLAS_NUM_THREADS=1; THREADS=2 for two). Quality: the all-pixel
# pseudo-log-likelihood of the first 1000 images (the same formula on both sides).
# The goal: mlp at least 2x faster than each peer with the PLL within 2 nats/image.
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
# run NAME CMD...: appends "seconds pll" of one run to $OUT/NAME
run() {
    local name="$1"; shift
    "$@" 2>&1 | awk '/s\/epoch/ { s = $(NF - 1) } / pll / { p = $NF } END { print s, p }' >> "$OUT/$name"
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
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
sec() { cut -d' ' -f1 "$OUT/$1" | median; }
pll() { cut -d' ' -f2 "$OUT/$1" | median; }
echo
printf '%-30s | %9s | %9s | %7s | %8s | %8s | %4s\n' "mlp against peer" "mlp s/ep" "peer s/ep" "ratio" "mlp PLL" "peer PLL" goal
printf '%-30s-|-%9s-|-%9s-|-%7s-|-%8s-|-%8s-|-%4s\n' ------------------------------ --------- --------- ------- -------- -------- ----
row() {
    awk -v n="$1" -v a="$(sec "$2")" -v b="$(sec "$3")" -v pa="$(pll "$2")" -v pb="$(pll "$3")" 'BEGIN {
        r = b / a; d = pa - pb; if (d < 0) d = -d
        printf "%-30s | %9.4f | %9.4f | %6.2fx | %8.2f | %8.2f | %4s\n", n, a, b, r, pa, pb, (r >= 2 && d <= 2) ? "yes" : "NO" }'
}
row "CD-1 f64 vs NumPy f64" mlp-cd-float64 numpy-float64
row "PCD-1 f64 vs sklearn f64" mlp-pcd-float64 sklearn-float64
row "CD-1 f32 vs NumPy f64" mlp-cd-float32 numpy-float64
row "PCD-1 f32 vs sklearn f64" mlp-pcd-float32 sklearn-float64
row "CD-1 f32 vs NumPy f32" mlp-cd-float32 numpy-float32
row "PCD-1 f32 vs sklearn f32" mlp-pcd-float32 sklearn-float32
echo "seconds per epoch, medians of $ROUNDS interleaved rounds; ratio = peer / mlp (> 1: mlp faster); == load after: $(cut -d' ' -f1-3 /proc/loadavg)"
