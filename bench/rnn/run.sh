#!/usr/bin/env bash
# Recurrent-network workloads W2, W3, W4 of WORKLOADS.md: mlp (W*.mlp) against
# PyTorch eager and Keras 3 on JAX with a jitted train step (peers.py), each at
# 1 and 2 threads, all in this one run. The table keeps each side's fastest
# configuration; the ratio is mlp / fastest peer (> 1 = mlp faster).
#
# Environment: MLP (default .build/release/mlp), PEER_PYTHON (default
# bench/.venv/bin/python, made by `make bench-peers`), RNN_WORKLOADS (default "W3 W2 W4").
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MLP="${MLP:-$ROOT/.build/release/mlp}"
PEER="${PEER_PYTHON:-$ROOT/bench/.venv/bin/python}"
WORKLOADS="${RNN_WORKLOADS:-W3 W2 W4}"
[ -x "$MLP" ] || { echo "run.sh: $MLP not found; run 'make build'" >&2; exit 2; }

# figure CMD...: the steps/s figure of a script's result line (empty on failure).
figure() { "$@" 2>/dev/null | awk 'NF == 3 && $3 == "steps/s" { f = $2 } END { if (f != "") print f }'; }
best() { printf '%s\n' "$@" | awk 'NF && $1 + 0 > b + 0 { b = $1 } END { print b }'; }
goal() { case "$1" in W3) echo 2.0 ;; *) echo 1.0 ;; esac; }

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), CPU: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -x "$PEER" ]; then
    echo "== peers: $(KERAS_BACKEND=jax "$PEER" -c 'import torch, keras, jax; print("torch", torch.__version__, "| keras", keras.__version__, "| jax", jax.__version__)' 2>&1 | tail -n 1)"
else
    echo "== peers: NONE ($PEER missing; run 'make bench-peers')" >&2
fi
status=0
ROWS=()
for w in $WORKLOADS; do
    line="$w"
    m1="$(OPENBLAS_NUM_THREADS=1 figure "$MLP" "$HERE/$w.mlp")"
    m2="$(OPENBLAS_NUM_THREADS=2 figure "$MLP" "$HERE/$w.mlp")"
    [ -z "$m1" ] && [ -z "$m2" ] && { echo "FAIL $w: mlp printed no figure" >&2; status=1; }
    peers=()
    for f in torch keras; do
        for t in 1 2; do
            p=""
            [ -x "$PEER" ] && p="$(figure "$PEER" "$HERE/peers.py" "$w" "$f" "$t")"
            peers+=("$f/$t=${p:--}")
            [ -n "$p" ] && eval "peer_${f}_$t=$p" || eval "peer_${f}_$t="
        done
    done
    m="$(best "$m1" "$m2")"
    p="$(best "$peer_torch_1" "$peer_torch_2" "$peer_keras_1" "$peer_keras_2")"
    echo "$w: mlp 1/2 threads ${m1:--} ${m2:--} | ${peers[*]}"
    ROWS+=("$w ${m:--} ${p:--} $(goal "$w")")
done
echo
printf '%-8s | %10s | %12s | %26s | %5s | %4s\n' workload "mlp" "fastest peer" "ratio (> 1 = mlp faster)" goal met
printf '%-8s-|-%10s-|-%12s-|-%26s-|-%5s-|-%4s\n' -------- ---------- ------------ -------------------------- ----- ----
for row in "${ROWS[@]}"; do
    # shellcheck disable=SC2086
    set -- $row
    awk -v w="$1" -v a="$2" -v b="$3" -v g="$4" 'BEGIN {
        r = "-"; met = "-"
        if (a != "-" && b != "-" && b + 0 > 0) { r = sprintf("%.2f", a / b); met = (a / b >= g) ? "yes" : "NO" }
        printf "%-8s | %10s | %12s | %26s | %5s | %4s\n", w, a, b, r, g, met }'
done
echo "figures: training steps per second, best of 1 and 2 threads per side; == load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
