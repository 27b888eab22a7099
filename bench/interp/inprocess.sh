#!/usr/bin/env bash
# fib(27) and the closure workload timed inside the process (start-up excluded), the
# measure of issue 14 item 5: inprocess.mlp and inprocess.py run alternately (mlp first)
# ROUNDS times, each reporting the best of its own INNER runs; prints the medians and
# the ratios mlp / python3 (below 1: mlp faster).
# Environment: MLP (default .build/release/mlp), PYTHON (default python3, resolved to the
# real executable), ROUNDS (default 5), INNER (default 3).
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MLP="${MLP:-$ROOT/.build/release/mlp}"
ROUNDS="${ROUNDS:-5}"
INNER="${INNER:-3}"
PY="$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)')" || { echo "inprocess.sh: no python3" >&2; exit 2; }
[ -x "$MLP" ] || { echo "inprocess.sh: $MLP not found; build it with 'swift build -c release'" >&2; exit 2; }

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }

echo "uptime before: $(uptime)"
mf=(); mc=(); pf=(); pc=()
for r in $(seq "$ROUNDS"); do
    mo="$("$MLP" "$HERE/inprocess.mlp" "$INNER")" || { echo "inprocess.mlp failed" >&2; exit 1; }
    po="$("$PY" "$HERE/inprocess.py" "$INNER")" || { echo "inprocess.py failed" >&2; exit 1; }
    mf+=("$(echo "$mo" | field fib27_s)"); mc+=("$(echo "$mo" | field closure_s)")
    pf+=("$(echo "$po" | field fib27_s)"); pc+=("$(echo "$po" | field closure_s)")
done
for w in fib27 closure; do
    if [ $w = fib27 ]; then m="$(printf '%s\n' "${mf[@]}" | median)"; p="$(printf '%s\n' "${pf[@]}" | median)"
    else m="$(printf '%s\n' "${mc[@]}" | median)"; p="$(printf '%s\n' "${pc[@]}" | median)"; fi
    printf '%-8s mlp %8.4f s  python3 %8.4f s  ratio mlp/python3 %5.2f\n' "$w" "$m" "$p" "$(awk -v a="$m" -v b="$p" 'BEGIN { print a / b }')"
done
echo "         mlp:     $mo"
echo "         python3: $po"
echo "uptime after: $(uptime)"
