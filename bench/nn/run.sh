#!/usr/bin/env bash
# Neural-network workloads W1-W5 of WORKLOADS.md: mlp (W*.mlp) against PyTorch eager
# and Keras 3 on JAX with a jitted train step (peers.py), each at 1 and 2 threads,
# all in this one run. ROUNDS rounds, interleaved (every workload, side and thread
# count once per round, in turn); each configuration's figure is the median of its
# rounds, each side keeps its faster thread count, and the ratio is mlp / fastest
# peer (> 1 = mlp faster). The load average is printed before and after: this
# machine is shared, and only ratios from one run compare.
#
# Environment: MLP (default .build/release/mlp), PEER_PYTHON (default
# bench/.venv/bin/python, made by `make bench-peers`), NN_WORKLOADS (default
# "W1 W2 W3 W4 W5"), ROUNDS (default 3), LIMIT (seconds one process may run, default
# 300; one that runs longer gives no figure, "-": PyTorch on 2 threads took minutes
# for a few steps on the loaded machine).
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MLP="${MLP:-$ROOT/.build/release/mlp}"
PEER="${PEER_PYTHON:-$ROOT/bench/.venv/bin/python}"
WORKLOADS="${NN_WORKLOADS:-W1 W2 W3 W4 W5}"
ROUNDS="${ROUNDS:-3}"
LIMIT="${LIMIT:-300}"
[ -x "$MLP" ] || { echo "run.sh: $MLP not found; run 'make build'" >&2; exit 2; }

# figure CMD...: the steps/s figure of a script's result line (empty on failure).
figure() { timeout "$LIMIT" "$@" 2>/dev/null | awk 'NF == 3 && $3 == "steps/s" { f = $2 } END { if (f != "") print f }'; }
median() { printf '%s\n' "$@" | awk 'NF' | sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
best() { printf '%s\n' "$@" | awk 'NF && $1 != "-" && $1 + 0 > b + 0 { b = $1 } END { print b }'; }
goal() { case "$1" in W3) echo 2.0 ;; *) echo 1.0 ;; esac; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), CPU: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) CPUs, load before $(load)"
echo "== OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)}; $ROUNDS interleaved rounds, medians"
if [ -x "$PEER" ]; then
    echo "== peers: $(KERAS_BACKEND=jax "$PEER" -c 'import torch, keras, jax; print("torch", torch.__version__, "| keras", keras.__version__, "| jax", jax.__version__)' 2>&1 | tail -n 1)"
else
    echo "== peers: NONE ($PEER missing; run 'make bench-peers')" >&2
fi
CONFIGS="mlp/1 mlp/2 torch/1 torch/2 keras/1 keras/2"
declare -A RUNS
for r in $(seq 1 "$ROUNDS"); do
    for w in $WORKLOADS; do
        line="round $r $w:"
        for c in $CONFIGS; do
            side="${c%/*}" t="${c#*/}" f=""
            if [ "$side" = mlp ]; then
                f="$(OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t figure "$MLP" "$HERE/$w.mlp")"
            elif [ -x "$PEER" ]; then
                f="$(figure "$PEER" "$HERE/peers.py" "$w" "$side" "$t")"
            fi
            RUNS[$w,$c]="${RUNS[$w,$c]:-} ${f:--}"
            line="$line $c ${f:--}"
        done
        echo "$line (load $(load))"
    done
done
echo
printf '| %-8s | %8s | %8s | %8s | %8s | %8s | %8s | %6s | %4s | %3s |\n' workload mlp/1 mlp/2 torch/1 torch/2 keras/1 keras/2 ratio goal met
printf '|%s|\n' '----------|----------|----------|----------|----------|----------|----------|--------|------|-----'
status=0
for w in $WORKLOADS; do
    declare -A MED=()
    for c in $CONFIGS; do
        # shellcheck disable=SC2086
        m="$(median $(printf '%s\n' ${RUNS[$w,$c]} | grep -v '^-$'))"
        MED[$c]="${m:--}"
    done
    m="$(best "${MED[mlp/1]}" "${MED[mlp/2]}")"
    p="$(best "${MED[torch/1]}" "${MED[torch/2]}" "${MED[keras/1]}" "${MED[keras/2]}")"
    [ -z "$m" ] && { echo "FAIL $w: mlp printed no figure" >&2; status=1; }
    awk -v w="$w" -v a="${m:-}" -v b="${p:-}" -v g="$(goal "$w")" -v m1="${MED[mlp/1]}" -v m2="${MED[mlp/2]}" \
        -v t1="${MED[torch/1]}" -v t2="${MED[torch/2]}" -v k1="${MED[keras/1]}" -v k2="${MED[keras/2]}" 'BEGIN {
        r = "-"; met = "-"
        if (a != "" && b != "" && b + 0 > 0) { r = sprintf("%.2f", a / b); met = (a / b >= g) ? "yes" : "NO" }
        printf "| %-8s | %8s | %8s | %8s | %8s | %8s | %8s | %6s | %4s | %3s |\n", w, m1, m2, t1, t2, k1, k2, r, g, met }'
done
echo "figures: training steps per second, median of $ROUNDS rounds; ratio: mlp's faster thread count / fastest peer configuration"
echo "== load after: $(load)"
exit $status
