#!/usr/bin/env bash
# All benchmarks: the interpreter benchmarks (bench/interp/run.sh), then every
# tensor workload in bench/tensor/ as NAME.mlp and NAME.py (NumPy). Each script
# times its own kernel in-process (warm-up, then best of N repetitions) and
# prints one line `NAME <figure> <unit>`; this script runs mlp then the peer for
# each workload, ROUNDS times in turn (this machine's speed drifts over seconds,
# so each round pairs two runs made side by side), and prints one table with the
# round whose ratio is the median of the rounds', the ratio oriented so that > 1
# means mlp is better. Exits non-zero only when a script fails (or
# prints something other than its result line).
#
# Called by `make bench` from the repository root; works from any folder.
# Environment: MLP (default: .build/release/mlp of this repository),
#   PEER_PYTHON (default: bench/.venv/bin/python when present, else python3 if
#   it imports numpy), OPENBLAS_NUM_THREADS / OMP_NUM_THREADS (default 2 each;
#   OMP_NUM_THREADS also sets mlp's own kernel threads unless MLP_NUM_THREADS does),
#   TENSOR_WORKLOADS (default: all), ROUNDS (default 5), SKIP_INTERP=1 to skip
#   bench/interp.
#   OPENBLAS_CORETYPE is left as the environment sets it (same for both sides).
set -u

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
MLP="${MLP:-$ROOT/.build/release/mlp}"
export MLP
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-2}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
TENSOR_WORKLOADS="${TENSOR_WORKLOADS:-matmul1024 exp1e7 fma1e7 sum1e7 small_ops}"
ROUNDS="${ROUNDS:-5}"

if [ ! -x "$MLP" ]; then
    echo "run.sh: $MLP not found; build it with 'make build' (or swift build -c release)" >&2; exit 2
fi

loadavg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime; }

status=0
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), CPU: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) CPUs"
echo "== load average before: $(loadavg)"
echo "== OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS OMP_NUM_THREADS=$OMP_NUM_THREADS OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)}"
echo

if [ "${SKIP_INTERP:-0}" != 1 ]; then
    echo "== interpreter benchmarks (bench/interp/run.sh)"
    bash "$HERE/interp/run.sh" || status=1
    echo
fi

# The peer: the venv from `make bench-peers`, else python3 when it has numpy.
PEER=""
if [ -n "${PEER_PYTHON:-}" ]; then
    PEER="$PEER_PYTHON"
elif [ -x "$HERE/.venv/bin/python" ]; then
    PEER="$HERE/.venv/bin/python"
elif command -v python3 >/dev/null 2>&1 && python3 -c 'import numpy' >/dev/null 2>&1; then
    PEER="$(python3 -c 'import sys; print(sys.executable)')"
fi
if [ -n "$PEER" ] && ! NUMPY_VERSION="$("$PEER" -c 'import numpy; print(numpy.__version__)' 2>/dev/null)"; then
    echo "run.sh: $PEER cannot import numpy" >&2; PEER=""
fi
echo "== tensor benchmarks (bench/tensor/)"
echo "mlp:   $MLP"
if [ -n "$PEER" ]; then
    echo "peer:  $PEER ($("$PEER" --version 2>&1), numpy $NUMPY_VERSION)"
else
    echo "peer:  NONE - no bench/.venv and python3 has no numpy; run 'make bench-peers' (python3 -m venv bench/.venv && pip install numpy). Peer columns are left empty." >&2
fi
echo "each script times its own kernel in-process (warm-up, then best of N repetitions); $ROUNDS rounds of mlp then the peer; the table shows the median round"
echo

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# run_one LABEL CMD... : runs a script, checks that it printed one `NAME figure unit`
# line for the expected NAME; prints the figure and sets UNIT, or prints nothing.
run_one() {
    local w="$1"; shift
    local rc=0
    "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
    if [ $rc -ne 0 ]; then
        echo "FAIL $w: $* exited with status $rc" >&2; sed 's/^/    /' "$TMP/err" >&2; return 1
    fi
    local line; line="$(grep -v '^[[:space:]]*$' "$TMP/out" | tail -n 1)"
    # shellcheck disable=SC2086
    set -- $line
    if [ $# -lt 3 ] || [ "$1" != "$w" ] || ! awk -v x="$2" 'BEGIN { exit !(x + 0 > 0) }'; then
        echo "FAIL $w: expected '$w <figure> <unit>', got '$line'" >&2; return 1
    fi
    UNIT="$3"; echo "$2"
}

# Goals from the issue (ratio, > 1 = mlp better).
goal() {
    case "$1" in
        matmul1024) echo 0.95 ;; exp1e7|fma1e7|sum1e7) echo 1.0 ;; small_ops) echo 3.0 ;; *) echo "" ;;
    esac
}

# median_round UNIT "MLP FIGURES" "PEER FIGURES": the figures "mlp peer" of the round
# whose ratio (> 1 = mlp better) is the median of the rounds'; with no peer
# figures, mlp's best figure and "-".
median_round() {
    awk -v u="$1" -v ms="$2" -v ps="$3" 'BEGIN {
        n = split(ms, m, " "); k = split(ps, p, " "); rate = (u ~ /\/s$/)
        if (k == 0 || k != n) {
            b = m[1]; for (i = 2; i <= n; i++) if ((rate && m[i] + 0 > b + 0) || (!rate && m[i] + 0 < b + 0)) b = m[i]
            print b, "-"; exit
        }
        for (i = 1; i <= n; i++) { r[i] = rate ? m[i] / p[i] : p[i] / m[i]; o[i] = i }
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (r[o[j]] < r[o[i]]) { t = o[i]; o[i] = o[j]; o[j] = t }
        c = o[int((n + 1) / 2)]; print m[c], p[c] }'
}

ROWS=()
for w in $TENSOR_WORKLOADS; do
    m="$HERE/tensor/$w.mlp"; p="$HERE/tensor/$w.py"
    if [ ! -f "$m" ] || [ ! -f "$p" ]; then echo "missing $m or $p" >&2; status=1; continue; fi
    UNIT=""; ms=""; ps=""; peer="$PEER"
    for ((r = 0; r < ROUNDS; r++)); do
        x="$(run_one "$w" "$MLP" "$m")" || { status=1; break; }
        [ -z "$UNIT" ] && UNIT="$(awk -v w="$w" '$1 == w { print $3 }' "$TMP/out" | tail -n 1)"
        ms="$ms $x"
        if [ -n "$peer" ]; then
            # a failed peer run leaves this workload without peer figures
            if x="$(run_one "$w" "$peer" "$p")"; then ps="$ps $x"; else status=1; ps=""; peer=""; fi
        fi
    done
    echo "done $w ($UNIT): mlp${ms:- -} | numpy${ps:- -}"
    if [ -n "$ms" ]; then
        # shellcheck disable=SC2046
        set -- $(median_round "$UNIT" "$ms" "$ps")
        ROWS+=("$w $1 $2 ${UNIT:--} $(goal "$w")")
    else
        ROWS+=("$w - - - $(goal "$w")")
    fi
done

echo
printf '%-11s | %12s | %12s | %-7s | %28s | %5s | %4s\n' workload mlp numpy unit "ratio (> 1 = mlp better)" goal met
printf '%-11s-|-%12s-|-%12s-|-%-7s-|-%28s-|-%5s-|-%4s\n' ----------- ------------ ------------ ------- ---------------------------- ----- ----
for row in "${ROWS[@]}"; do
    # shellcheck disable=SC2086
    set -- $row
    awk -v w="$1" -v a="$2" -v b="$3" -v u="$4" -v g="${5:-}" 'BEGIN {
        r = ""; met = ""
        if (a != "-" && b != "-" && a + 0 > 0 && b + 0 > 0) {
            # A rate (GFLOP/s, .../s): mlp / peer. A time (s): peer / mlp.
            if (u ~ /\/s$/) r = a / b; else r = b / a
            if (g != "") met = (r + 0 >= g + 0) ? "yes" : "NO"
            r = sprintf("%.2f", r)
        }
        printf "%-11s | %12s | %12s | %-7s | %28s | %5s | %4s\n", w, a, b, u, (r == "" ? "-" : r), (g == "" ? "-" : g), (met == "" ? "-" : met) }'
done
echo
echo "ratio: mlp/numpy for rates (GFLOP/s), numpy/mlp for times (s); goals from the issue"
echo "== load average after: $(loadavg)"

if [ $status -ne 0 ]; then echo "FAILED: a script failed or printed an unexpected result line" >&2; fi
exit $status
