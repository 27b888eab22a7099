# Shared by run.sh and scaling.sh (sourced): interleaved rounds of mlp and the peers
# (peers.py) over a list of cases, medians, ratio mlp / fastest peer.
#
# A case is a workload of WORKLOADS.md with its script's arguments after colons:
# `W2` runs `mlp W2.mlp` and `peers.py W2 SIDE THREADS`; `W1:256:128` runs
# `mlp W1.mlp 256 128` and `peers.py W1 SIDE THREADS 256 128`; `LSTM:64` runs
# `mlp LSTM.mlp 64` (lstm(64) >> dense(8) on W2's data).
#
# Environment: MLP (default .build/release/mlp), MLP_BASE (optional: a second mlp, a
# baseline such as main's build, run as base/1 and base/2 in the same rounds),
# PEER_PYTHON (default bench/.venv/bin/python, made by `make bench-peers`), ROUNDS
# (default 3), LIMIT (seconds one process may run, default 300; one that runs longer
# gives no figure, "-": PyTorch on 2 threads took minutes for a few steps on the
# loaded machine).
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MLP="${MLP:-$ROOT/.build/release/mlp}"
MLP_BASE="${MLP_BASE:-}"
PEER="${PEER_PYTHON:-$ROOT/bench/.venv/bin/python}"
ROUNDS="${ROUNDS:-3}"
LIMIT="${LIMIT:-300}"
[ -x "$MLP" ] || { echo "$(basename "$0"): $MLP not found; run 'make build'" >&2; exit 2; }

# figure CMD...: the steps/s figure of a script's result line (empty on failure).
figure() { timeout "$LIMIT" "$@" 2>/dev/null | awk 'NF == 3 && $3 == "steps/s" { f = $2 } END { if (f != "") print f }'; }
median() { printf '%s\n' "$@" | awk 'NF' | sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
best() { printf '%s\n' "$@" | awk 'NF && $1 != "-" && $1 + 0 > b + 0 { b = $1 } END { print b }'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# nn_bench GOALFN CASE...: the rounds and the table; GOALFN CASE prints the case's goal
# (a ratio, or "-" for none). Exit status 1 when mlp printed no figure for a case.
nn_bench() {
    local goalfn="$1"; shift
    local cases="$*"
    echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), CPU: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) CPUs, load before $(load)"
    echo "== OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)}; $ROUNDS interleaved rounds, medians; mlp: $MLP${MLP_BASE:+; base: $MLP_BASE}"
    if [ -x "$PEER" ]; then
        echo "== peers: $(KERAS_BACKEND=jax "$PEER" -c 'import torch, keras, jax; print("torch", torch.__version__, "| keras", keras.__version__, "| jax", jax.__version__)' 2>&1 | tail -n 1)"
    else
        echo "== peers: NONE ($PEER missing; run 'make bench-peers')" >&2
    fi
    local configs="mlp/1 mlp/2" c r w side t f line
    [ -n "$MLP_BASE" ] && configs="$configs base/1 base/2"
    configs="$configs torch/1 torch/2 keras/1 keras/2"
    declare -A RUNS
    for r in $(seq 1 "$ROUNDS"); do
        for w in $cases; do
            local name="${w%%:*}" args=""
            [ "$name" != "$w" ] && args="${w#*:}" && args="${args//:/ }"
            line="round $r $w:"
            for c in $configs; do
                side="${c%/*}" t="${c#*/}" f=""
                # shellcheck disable=SC2086
                if [ "$side" = mlp ] || [ "$side" = base ]; then
                    local bin="$MLP"; [ "$side" = base ] && bin="$MLP_BASE"
                    f="$(OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t figure "$bin" "$HERE/$name.mlp" $args)"
                elif [ -x "$PEER" ]; then
                    f="$(figure "$PEER" "$HERE/peers.py" "$name" "$side" "$t" $args)"
                fi
                RUNS[$w,$c]="${RUNS[$w,$c]:-} ${f:--}"
                line="$line $c ${f:--}"
            done
            echo "$line (load $(load))"
        done
    done
    echo
    local head="| %-12s |" sep="|--------------|"
    for c in $configs; do head="$head %8s |"; sep="$sep----------|"; done
    # shellcheck disable=SC2059,SC2086
    printf "$head %6s | %4s | %3s |\n" case $configs ratio goal met
    echo "$sep--------|------|-----|"
    local status=0
    for w in $cases; do
        declare -A MED=()
        local row=""
        for c in $configs; do
            # shellcheck disable=SC2086
            m="$(median $(printf '%s\n' ${RUNS[$w,$c]} | grep -v '^-$'))"
            MED[$c]="${m:--}"
            row="$row $(printf '%8s |' "${MED[$c]}")"
        done
        local m p
        m="$(best "${MED[mlp/1]}" "${MED[mlp/2]}")"
        p="$(best "${MED[torch/1]}" "${MED[torch/2]}" "${MED[keras/1]}" "${MED[keras/2]}")"
        [ -z "$m" ] && { echo "FAIL $w: mlp printed no figure" >&2; status=1; }
        awk -v w="$w" -v a="${m:-}" -v b="${p:-}" -v g="$("$goalfn" "$w")" -v row="$row" 'BEGIN {
            r = "-"; met = "-"
            if (a != "" && b != "" && b + 0 > 0) { r = sprintf("%.2f", a / b); if (g != "-") met = (a / b >= g) ? "yes" : "NO" }
            printf "| %-12s |%s %6s | %4s | %3s |\n", w, row, r, g, met }'
    done
    echo "figures: training steps per second, median of $ROUNDS rounds; ratio: mlp's faster thread count / fastest peer configuration${MLP_BASE:+ (base: not in the ratio)}"
    echo "== load after: $(load)"
    return $status
}
