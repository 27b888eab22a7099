#!/usr/bin/env bash
# Interpreter benchmarks: each workload in bench/interp/ as NAME.mlp and NAME.py.
# Runs mlp and python3 alternately (mlp first) on this machine, keeps the best
# of $ROUNDS wall-clock runs of each, prints a table and the start-up times, and
# exits non-zero when the two programs of a pair print different output (or fail).
#
# Called by `make bench-interp` from the repository root; works from any folder.
# Environment: MLP (default: .build/release/mlp of this repository),
#   PYTHON (default: python3, resolved to the real executable so that a pyenv
#   shim's own start-up is not counted), PYFLAGS (extra flags for python, e.g. -S),
#   ROUNDS (default 5), STARTUP_ROUNDS (default 20), WORKLOADS (default: all),
#   TIMER (hyperfine when installed, else date).
set -u

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MLP="${MLP:-$ROOT/.build/release/mlp}"
ROUNDS="${ROUNDS:-5}"
STARTUP_ROUNDS="${STARTUP_ROUNDS:-20}"
WORKLOADS="${WORKLOADS:-fib loop closure strings}"
PYFLAGS="${PYFLAGS:-}"

# The real interpreter behind `python3` (a pyenv shim is a bash script that
# costs tens of milliseconds by itself on every start).
PY_CMD="${PYTHON:-python3}"
if ! PYTHON_EXE="$("$PY_CMD" -c 'import sys; print(sys.executable)' 2>/dev/null)" || [ -z "$PYTHON_EXE" ]; then
    echo "run.sh: cannot run $PY_CMD" >&2; exit 2
fi
if [ ! -x "$MLP" ]; then
    echo "run.sh: $MLP not found; build it with 'make build' (or swift build -c release)" >&2; exit 2
fi
PY="$PYTHON_EXE${PYFLAGS:+ $PYFLAGS}"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# TIMER=date forces the fallback timer.
TIMER="${TIMER:-}"
if [ -z "$TIMER" ]; then
    if command -v hyperfine >/dev/null 2>&1; then TIMER=hyperfine; else TIMER=date; fi
fi

# time_once 'CMD ARGS' : runs the command line once (stdout and stderr
# discarded) and prints its wall-clock time in seconds.
time_once() {
    if [ "$TIMER" = hyperfine ]; then
        # -N: no intermediate shell, so nothing but the command is timed.
        hyperfine -N --runs 1 --style none --export-json "$TMP/h.json" "$1" >/dev/null 2>&1 || { echo nan; return; }
        "$PYTHON_EXE" -c 'import json,sys; print("%.6f" % json.load(open(sys.argv[1]))["results"][0]["times"][0])' "$TMP/h.json"
    else
        local t0 t1
        t0=$(date +%s.%N)
        eval "$1" >/dev/null 2>&1
        t1=$(date +%s.%N)
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
    fi
}

min() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b + 0 < a + 0) print b; else print a }'; }

# best_pair N CMD_A CMD_B : alternates A and B N times (A first); sets BEST_A, BEST_B.
best_pair() {
    local n="$1" a="$2" b="$3" k t
    BEST_A=""; BEST_B=""
    for ((k = 0; k < n; k++)); do
        t=$(time_once "$a"); BEST_A=$(min "$BEST_A" "$t")
        t=$(time_once "$b"); BEST_B=$(min "$BEST_B" "$t")
    done
}

status=0
echo "mlp:     $MLP"
echo "python3: $PY ($("$PYTHON_EXE" --version 2>&1))"
echo "timer:   $TIMER, best of $ROUNDS alternating runs (mlp first); times include process start-up"
echo

ROWS=()
for w in $WORKLOADS; do
    m="$HERE/$w.mlp"; p="$HERE/$w.py"
    if [ ! -f "$m" ] || [ ! -f "$p" ]; then echo "missing $m or $p" >&2; status=1; continue; fi
    # One run of each to check the outputs (and to warm the caches).
    "$MLP" "$m" >"$TMP/$w.mlp.out" 2>"$TMP/$w.mlp.err"; rm_=$?
    # shellcheck disable=SC2086
    $PY "$p" >"$TMP/$w.py.out" 2>"$TMP/$w.py.err"; rp=$?
    if [ $rm_ -ne 0 ] || [ $rp -ne 0 ]; then
        echo "FAIL $w: exit codes mlp=$rm_ python=$rp" >&2
        cat "$TMP/$w.mlp.err" "$TMP/$w.py.err" >&2
        status=1; continue
    fi
    if ! cmp -s "$TMP/$w.mlp.out" "$TMP/$w.py.out"; then
        echo "FAIL $w: outputs differ" >&2
        diff "$TMP/$w.mlp.out" "$TMP/$w.py.out" | sed 's/^/    /' >&2
        status=1
    else
        echo "ok   $w: $(head -c 200 "$TMP/$w.mlp.out" | head -n 1)"
    fi
    best_pair "$ROUNDS" "'$MLP' '$m'" "$PY '$p'"
    ROWS+=("$w $BEST_A $BEST_B")
done

echo
printf '%-10s | %8s | %10s | %19s\n' workload "mlp s" "python3 s" "ratio (mlp/python)"
printf '%-10s-|-%8s-|-%10s-|-%19s\n' ---------- -------- ---------- -------------------
for row in "${ROWS[@]}"; do
    # shellcheck disable=SC2086
    set -- $row
    awk -v w="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%-10s | %8.3f | %10.3f | %19.2f\n", w, a, b, (b > 0 ? a / b : 0) }'
done

echo
best_pair "$STARTUP_ROUNDS" "'$MLP' -e 'print(1)'" "$PY -c 'print(1)'"
awk -v a="$BEST_A" -v b="$BEST_B" -v n="$STARTUP_ROUNDS" 'BEGIN {
    printf "start-up (best of %d): mlp -e '\''print(1)'\'' %.1f ms | python3 -c '\''print(1)'\'' %.1f ms | ratio %.2f\n", n, a * 1000, b * 1000, (b > 0 ? a / b : 0) }'

if [ $status -ne 0 ]; then echo "FAILED: some outputs differ or a program failed" >&2; fi
exit $status
